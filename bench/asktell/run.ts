/**
 * `npm run bench:asktell`: benchmarks an ask/tell optimizer (by default the
 * repository's own, `npm run asktell`) on the public single-objective
 * problems, over seeds, from the repository alone. Per run it starts the
 * optimizer command, speaks the protocol of PROTOCOL.md in this folder,
 * evaluates the problem here (adding its observation noise) and records the
 * regret of the best noiseless value; then it writes one JSON per run and a
 * summary: the median [Q1, Q3] over seeds of the final log10 regret per problem.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { problemByName, PROBLEM_NAMES } from './problems.js';
import { runOne, type RunRecord } from './session.js';
import { summarise, summaryMarkdown } from './summary.js';

const HELP = `usage: npm run bench:asktell -- [options]
  --optimizer CMD   the optimizer command (default: this repository's, node dist/libs/optimizer/src/cli/asktell.js)
  --problem A,B     problems (default all: ${PROBLEM_NAMES.join(', ')})
  --seeds 0-9       seeds: a range or a list (default 0-9)
  --budget N        evaluations per run (default the problem's, else 40)
  --batch Q         candidates per ask (default 1)
  --pending K       keep K evaluations in flight, told one at a time as each finishes (asynchronous; default 0)
  --jobs J          runs at once (default 1)
  --timeout S       seconds per request before the run fails (default 120)
  --out DIR         where runs/*.json and summary.{md,json} go (default bench/out/asktell)`;

const defaultOptimizer = `"${process.execPath}" "${join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'libs', 'optimizer', 'src', 'cli', 'asktell.js')}"`;

function parseSeeds(text: string): number[] {
  const range = /^(\d+)-(\d+)$/.exec(text);
  if (range) return Array.from({ length: Number(range[2]) - Number(range[1]) + 1 }, (_, i) => Number(range[1]) + i);
  const list = text.split(',').map(Number);
  if (list.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`bad --seeds ${text} (use e.g. 0-9 or 0,3,5)`);
  return list;
}

function positive(text: string | undefined, flag: string, fallback: number | undefined): number | undefined {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`bad ${flag} ${text} (a whole number of at least 1)`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      optimizer: { type: 'string' },
      problem: { type: 'string' },
      seeds: { type: 'string', default: '0-9' },
      budget: { type: 'string' },
      batch: { type: 'string' },
      pending: { type: 'string' },
      jobs: { type: 'string' },
      timeout: { type: 'string' },
      out: { type: 'string', default: join('bench', 'out', 'asktell') },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const problems = (values.problem?.split(',') ?? PROBLEM_NAMES).map((name) => problemByName(name.trim()));
  const seeds = parseSeeds(values.seeds);
  const batch = positive(values.batch, '--batch', 1)!;
  const pending = values.pending === '0' ? 0 : positive(values.pending, '--pending', 0)!;
  const jobs = positive(values.jobs, '--jobs', 1)!;
  const timeoutMs = positive(values.timeout, '--timeout', 120)! * 1000;
  const optimizer = values.optimizer ?? defaultOptimizer;
  await mkdir(join(values.out, 'runs'), { recursive: true });

  const tasks = problems.flatMap((problem) => seeds.map((seed) => ({ problem, seed })));
  const records: RunRecord[] = [];
  let next = 0;
  const worker = async () => {
    for (let task = tasks[next++]; task; task = tasks[next++]) {
      const budget = positive(values.budget, '--budget', task.problem.budget ?? 40)!;
      const record = await runOne(task.problem, { optimizer, seed: task.seed, budget, batch, pending, timeoutMs });
      records.push(record);
      await writeFile(
        join(values.out, 'runs', `${record.problem}.b${budget}.q${batch}${pending ? `.p${pending}` : ''}.s${task.seed}.json`),
        `${JSON.stringify(record)}\n`,
      );
      const outcome = record.error
        ? `failed: ${record.error}`
        : `log10 regret ${record.finalLog10Regret!.toFixed(2)}, best ${record.finalBest!.toFixed(4)}`;
      process.stdout.write(
        `[${record.problem} b${budget}.q${batch}${pending ? `.p${pending}` : ''} seed ${task.seed}] ${outcome}, ${record.wallS.toFixed(1)} s\n`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));

  const rows = summarise(records);
  const markdown = summaryMarkdown(rows);
  await writeFile(join(values.out, 'summary.md'), markdown);
  await writeFile(join(values.out, 'summary.json'), `${JSON.stringify(rows, null, 1)}\n`);
  process.stdout.write(`\n${markdown}\nwritten to ${values.out}/summary.{md,json} and ${values.out}/runs/\n`);
  if (rows.some((r) => r.failed > 0)) process.exitCode = 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:asktell: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
