/**
 * `npm run bench:suite -- <command>`: the generated benchmark suite (suite.ts).
 *
 *   list     the instances of a split: name, family, dimension, setting, budget, optimum and how it is known
 *   run      runs an optimizer on a split's instances, each in its own setting, over seeds
 *   emit     writes each instance as a problem module of the outside driver (drive.mjs)
 *   compare  compares result folders: wins, ties, losses, median difference, rank, ask times
 *   mo-list, mo-emit  the same as list and emit for the several-objective families (multi.ts), which
 *            run with the outside driver only (this repository's runner scores one objective)
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { runOne, type RunRecord } from '../asktell/session.js';
import { summarise, summaryMarkdown } from '../asktell/summary.js';
import { compare, comparisonMarkdown, loadOutcomes, toOutcome } from './compare.js';
import { moInstance, type MoInstance } from './multi.js';
import { settingOf, suiteInstance, SUITE_KEYS, type SuiteInstance } from './suite.js';

const here = dirname(fileURLToPath(import.meta.url));
const splitFile = join(here, '..', '..', '..', 'bench', 'suite', 'split.json');
const moSplitFile = join(here, '..', '..', '..', 'bench', 'suite', 'split-mo.json');

const HELP = `usage: npm run bench:suite -- <command> [options]
  list      [--split tune|test|all] [--only REGEX]
  run       [--split test] [--only REGEX] [--optimizer CMD] [--seeds 0-2] [--jobs 1] [--timeout 300] --out DIR
            (each instance runs in its own setting: batch size, pending evaluations, budget)
  emit      [--split all] --out DIR     problem modules for drive.mjs, one folder per setting (needs the build)
  compare   DIR_OR_JSONL ... [--names a,b]   the first against the others
  mo-list   [--split tune|test|all] [--only REGEX]     the several-objective instances
  mo-emit   [--split all] [--only REGEX] --out DIR     their problem modules for drive.mjs (needs the build)`;

const defaultOptimizer = `"${process.execPath}" "${join(here, '..', '..', 'libs', 'optimizer', 'src', 'cli', 'asktell.js')}"`;

function parseSeeds(text: string): number[] {
  const range = /^(\d+)-(\d+)$/.exec(text);
  if (range) return Array.from({ length: Number(range[2]) - Number(range[1]) + 1 }, (_, i) => Number(range[1]) + i);
  const list = text.split(',').map(Number);
  if (list.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`bad --seeds ${text} (use e.g. 0-2 or 0,3,5)`);
  return list;
}

/** The instances of a split whose name matches `only` (names from split.json, so that only those are generated). */
async function selected(split: string, only: string | undefined): Promise<SuiteInstance[]> {
  if (split !== 'all' && split !== 'tune' && split !== 'test') throw new Error(`bad --split ${split} (tune, test or all)`);
  const recorded = JSON.parse(await readFile(splitFile, 'utf8')) as Record<'tune' | 'test', string[]>;
  const names =
    split === 'all' ? SUITE_KEYS.map((k) => [...recorded.tune, ...recorded.test].find((n) => n.startsWith(`${k}-`))!) : recorded[split];
  const pattern = only === undefined ? undefined : new RegExp(only);
  return names.filter((name) => !pattern || pattern.test(name)).map(suiteInstance);
}

/** The several-objective instances of a split (names from split-mo.json). */
async function selectedMo(split: string, only: string | undefined): Promise<MoInstance[]> {
  if (split !== 'all' && split !== 'tune' && split !== 'test') throw new Error(`bad --split ${split} (tune, test or all)`);
  const recorded = JSON.parse(await readFile(moSplitFile, 'utf8')) as Record<'tune' | 'test', string[]>;
  const names = split === 'all' ? [...recorded.tune, ...recorded.test] : recorded[split];
  const pattern = only === undefined ? undefined : new RegExp(only);
  return names.filter((name) => !pattern || pattern.test(name)).map(moInstance);
}

async function moCommand(command: string, values: { split?: string; only?: string; out?: string }): Promise<void> {
  const rows = await selectedMo(values.split ?? 'all', values.only);
  if (command === 'mo-list') {
    process.stdout.write(
      '| name | family | parameters | objectives | limit | setting | budget | best hypervolume | how |\n|---|---|---|---|---|---|---|---|---|\n',
    );
    for (const i of rows)
      process.stdout.write(
        `| ${i.name} | ${i.family} | ${i.pool ? `pool of ${i.pool.length}` : i.parameters.length} | ${i.objectives.map((o) => `${o.name} ${o.goal === 'minimize' ? 'min' : 'max'} (ref ${o.ref.toPrecision(4)})`).join(', ')} | ${i.outcomeConstraints?.map((c) => `${c.name} ${c.op} ${c.value}`).join(', ') ?? ''} | ${settingOf(i).folder} | ${i.budget} | ${i.optimum.toPrecision(8)} | ${i.optimumHow} |\n`,
      );
    return;
  }
  if (!values.out) throw new Error('mo-emit needs --out DIR');
  const out = resolve(values.out);
  const moduleUrl = pathToFileURL(join(here, 'multi.js')).href;
  const folders = new Map<string, string>();
  for (const i of rows) {
    const { folder, flags } = settingOf(i);
    await mkdir(join(out, folder), { recursive: true });
    folders.set(folder, flags);
    await writeFile(
      join(out, folder, `${i.name}.mjs`),
      `// ${i.name}: generated by \`npm run bench:suite -- mo-emit\`; best hypervolume ${i.optimumHow}\n` +
        `import { moDriverProblem, moInstance } from '${moduleUrl}';\n` +
        `export default moDriverProblem(moInstance('${i.key}'));\n`,
    );
  }
  for (const [folder, flags] of folders)
    process.stdout.write(`node drive.mjs --optimizer CMD --problem ${join(out, folder)} ${flags} --seeds 0-2 --out RESULTS\n`);
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      split: { type: 'string' },
      only: { type: 'string' },
      optimizer: { type: 'string' },
      seeds: { type: 'string', default: '0-2' },
      jobs: { type: 'string', default: '1' },
      timeout: { type: 'string', default: '300' },
      out: { type: 'string' },
      names: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !command) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  if (command === 'mo-list' || command === 'mo-emit') return moCommand(command, values);
  if (command === 'list') {
    const rows = await selected(values.split ?? 'all', values.only);
    process.stdout.write(
      '| name | family | parameters | setting | budget | noise sd | goal | optimum | how |\n|---|---|---|---|---|---|---|---|---|\n',
    );
    for (const i of rows)
      process.stdout.write(
        `| ${i.name} | ${i.family} | ${i.parameters.length} | ${settingOf(i).folder} | ${i.budget} | ${i.noiseSd ?? 0} | ${i.objective.goal} | ${i.optimum.toPrecision(8)} | ${i.optimumHow} |\n`,
      );
    return;
  }
  if (command === 'emit') {
    if (!values.out) throw new Error('emit needs --out DIR');
    const out = resolve(values.out);
    const moduleUrl = pathToFileURL(join(here, 'suite.js')).href;
    const folders = new Map<string, string>();
    for (const i of await selected(values.split ?? 'all', values.only)) {
      const { folder, flags } = settingOf(i);
      await mkdir(join(out, folder), { recursive: true });
      folders.set(folder, flags);
      await writeFile(
        join(out, folder, `${i.name}.mjs`),
        `// ${i.name}: generated by \`npm run bench:suite -- emit\`; ${i.optimumHow}\n` +
          `import { driverProblem, suiteInstance } from '${moduleUrl}';\n` +
          `export default driverProblem(suiteInstance('${i.key}'));\n`,
      );
    }
    for (const [folder, flags] of folders)
      process.stdout.write(`node drive.mjs --optimizer CMD --problem ${join(out, folder)} ${flags} --seeds 0-2 --out RESULTS\n`);
    return;
  }
  if (command === 'run') {
    if (!values.out) throw new Error('run needs --out DIR');
    const instances = await selected(values.split ?? 'test', values.only);
    const seeds = parseSeeds(values.seeds);
    const jobs = Number(values.jobs);
    const timeoutMs = Number(values.timeout) * 1000;
    const optimizer = values.optimizer ?? defaultOptimizer;
    await mkdir(join(values.out, 'runs'), { recursive: true });
    const tasks = instances.flatMap((problem) => seeds.map((seed) => ({ problem, seed })));
    const records: RunRecord[] = [];
    let next = 0;
    const worker = async () => {
      for (let task = tasks[next++]; task; task = tasks[next++]) {
        const { problem, seed } = task;
        const record = await runOne(problem, {
          optimizer,
          seed,
          budget: problem.budget!,
          batch: problem.batch,
          pending: problem.pending,
          timeoutMs,
        });
        records.push(record);
        await writeFile(join(values.out!, 'runs', `${problem.name}.s${seed}.json`), `${JSON.stringify(record)}\n`);
        const outcome = record.error ? `failed: ${record.error}` : `log10 regret ${record.finalLog10Regret!.toFixed(2)}`;
        process.stdout.write(`[${problem.name} seed ${seed}] ${outcome}, ${record.wallS.toFixed(1)} s\n`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
    const markdown = summaryMarkdown(summarise(records));
    await writeFile(join(values.out, 'summary.md'), markdown);
    await writeFile(
      join(values.out, 'outcomes.jsonl'),
      records.map((r) => JSON.stringify(toOutcome(r as unknown as Record<string, unknown>))).join('\n') + '\n',
    );
    process.stdout.write(`\n${markdown}\nwritten to ${values.out}/\n`);
    return;
  }
  if (command === 'compare') {
    if (positionals.length < 2) throw new Error('compare needs two result folders (or outcomes.jsonl files) at least');
    const names = values.names?.split(',') ?? positionals.map((p) => p.replace(/\/$/, '').split('/').pop()!);
    const results = Object.fromEntries(await Promise.all(positionals.map(async (p, i) => [names[i], await loadOutcomes(p)] as const)));
    process.stdout.write(comparisonMarkdown(compare(results)));
    return;
  }
  throw new Error(`unknown command "${command}"\n${HELP}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:suite: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
