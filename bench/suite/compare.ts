/**
 * Compares optimizers on the suite from their run files: per problem the
 * median [Q1, Q3] of the final log10 regret and the median ask time; the
 * first optimizer's wins, ties (difference within the larger interquartile
 * range) and losses against each other; the median difference; the mean rank
 * per problem; and the first optimizer's worst problems.
 *
 * Reads this repository's run files (`bench:suite -- run`) and the outside
 * driver's (`drive.mjs`), which name the same fields or near enough.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { quantile } from '../asktell/random.js';

export interface RunOutcome {
  problem: string;
  seed: number;
  log10Regret: number | null;
  askMs: number[];
  error?: string;
}

export interface ProblemStats {
  runs: number;
  failed: number;
  median: number;
  q1: number;
  q3: number;
  medianAskMs: number | null;
}

export interface Comparison {
  optimizers: string[];
  problems: string[];
  /** stats[optimizer][problem] (absent: no finished run). */
  stats: Record<string, Record<string, ProblemStats>>;
  /** The first optimizer against each other: wins, ties, losses, median difference of the medians (negative: the first is better). */
  versus: { other: string; wins: number; ties: number; losses: number; medianDifference: number; problems: number }[];
  /** Mean rank per optimizer over the problems every optimizer finished (1 = best; ties share the mean rank). */
  meanRank: Record<string, number>;
  /** Median over all asks of all runs, per optimizer. */
  medianAskMs: Record<string, number | null>;
}

/** The run files of a result folder (`runs/*.json`) or a JSON-lines file of run outcomes. */
export async function loadOutcomes(path: string): Promise<RunOutcome[]> {
  if (path.endsWith('.jsonl')) {
    const text = await readFile(path, 'utf8');
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as RunOutcome);
  }
  const dir = join(path, 'runs');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(files.map(async (f) => toOutcome(JSON.parse(await readFile(join(dir, f), 'utf8')) as Record<string, unknown>)));
}

/** A run record of either runner, reduced to what the comparison needs. */
export function toOutcome(run: Record<string, unknown>): RunOutcome {
  const asks = Array.isArray(run.askMs)
    ? (run.askMs as number[])
    : Array.isArray(run.asks)
      ? (run.asks as { ms: number }[]).map((a) => a.ms)
      : [];
  const error = (run.error as string | null | undefined) ?? (run.status === 'error' ? 'failed' : undefined);
  return {
    problem: run.problem as string,
    seed: run.seed as number,
    log10Regret: (run.finalLog10Regret as number | null | undefined) ?? null,
    askMs: asks.map((ms) => Math.round(ms * 10) / 10),
    ...(error ? { error } : {}),
  };
}

function statsOf(runs: RunOutcome[]): ProblemStats | undefined {
  const ok = runs.filter((r) => !r.error && r.log10Regret !== null).map((r) => r.log10Regret!);
  if (ok.length === 0) return undefined;
  return {
    runs: runs.length,
    failed: runs.length - ok.length,
    median: quantile(ok, 0.5)!,
    q1: quantile(ok, 0.25)!,
    q3: quantile(ok, 0.75)!,
    medianAskMs: quantile(
      runs.flatMap((r) => r.askMs),
      0.5,
    ),
  };
}

/**
 * Compares optimizers (name -> outcomes) on the problems and seeds they all
 * ran: a problem counts where every optimizer finished at least one run of it,
 * and only the seeds every optimizer finished are used.
 */
export function compare(results: Record<string, RunOutcome[]>): Comparison {
  const optimizers = Object.keys(results);
  const finished = (o: string, problem: string) =>
    new Set(results[o].filter((r) => r.problem === problem && !r.error && r.log10Regret !== null).map((r) => r.seed));
  const allProblems = [...new Set(optimizers.flatMap((o) => results[o].map((r) => r.problem)))].sort();
  const stats: Comparison['stats'] = Object.fromEntries(optimizers.map((o) => [o, {}]));
  const problems: string[] = [];
  for (const problem of allProblems) {
    const common = optimizers.map((o) => finished(o, problem)).reduce((a, b) => new Set([...a].filter((s) => b.has(s))));
    if (common.size === 0) continue;
    problems.push(problem);
    for (const o of optimizers) {
      const runs = results[o].filter((r) => r.problem === problem && (common.has(r.seed) || r.error));
      stats[o][problem] = statsOf(runs)!;
    }
  }
  const [first, ...others] = optimizers;
  const versus = others.map((other) => {
    let wins = 0;
    let ties = 0;
    let losses = 0;
    const differences: number[] = [];
    for (const problem of problems) {
      const a = stats[first][problem];
      const b = stats[other][problem];
      const difference = a.median - b.median;
      differences.push(difference);
      if (Math.abs(difference) <= Math.max(a.q3 - a.q1, b.q3 - b.q1)) ties++;
      else if (difference < 0) wins++;
      else losses++;
    }
    return { other, wins, ties, losses, medianDifference: quantile(differences, 0.5) ?? NaN, problems: problems.length };
  });
  const rankSum: Record<string, number> = Object.fromEntries(optimizers.map((o) => [o, 0]));
  for (const problem of problems) {
    const medians = optimizers.map((o) => stats[o][problem].median);
    for (const [i, o] of optimizers.entries()) {
      const better = medians.filter((m) => m < medians[i]).length;
      const equal = medians.filter((m) => m === medians[i]).length;
      rankSum[o] += better + (equal + 1) / 2;
    }
  }
  return {
    optimizers,
    problems,
    stats,
    versus,
    meanRank: Object.fromEntries(optimizers.map((o) => [o, problems.length ? rankSum[o] / problems.length : NaN])),
    medianAskMs: Object.fromEntries(
      optimizers.map((o) => [
        o,
        quantile(
          results[o].filter((r) => problems.includes(r.problem)).flatMap((r) => r.askMs),
          0.5,
        ),
      ]),
    ),
  };
}

const fixed = (x: number) => x.toFixed(2);
const ms = (x: number | null) => (x === null ? '—' : x < 1000 ? `${Math.round(x)} ms` : `${(x / 1000).toFixed(1)} s`);

export function comparisonMarkdown(c: Comparison, worst = 5): string {
  const [first] = c.optimizers;
  const lines = [
    `Final log10 simple regret (floored at -8), median [Q1, Q3] over the seeds every optimizer finished; median ask time.`,
    '',
    `| problem | ${c.optimizers.join(' | ')} | ${c.optimizers
      .slice(1)
      .map((o) => `${first} − ${o}`)
      .join(' | ')} |`,
    `|---|${c.optimizers.map(() => '---|').join('')}${c.optimizers
      .slice(1)
      .map(() => '---|')
      .join('')}`,
    ...c.problems.map((p) => {
      const cells = c.optimizers.map((o) => {
        const s = c.stats[o][p];
        return `${fixed(s.median)} [${fixed(s.q1)}, ${fixed(s.q3)}] (${s.runs - s.failed} runs, ${ms(s.medianAskMs)})`;
      });
      const diffs = c.optimizers.slice(1).map((o) => {
        const a = c.stats[first][p];
        const b = c.stats[o][p];
        const d = a.median - b.median;
        const tie = Math.abs(d) <= Math.max(a.q3 - a.q1, b.q3 - b.q1);
        return `${d > 0 ? '+' : ''}${fixed(d)} ${tie ? 'tie' : d < 0 ? '**win**' : '**loss**'}`;
      });
      return `| ${p} | ${cells.join(' | ')} | ${diffs.join(' | ')} |`;
    }),
    '',
    '| optimizer | mean rank | median ask |',
    '|---|---|---|',
    ...c.optimizers.map((o) => `| ${o} | ${fixed(c.meanRank[o])} | ${ms(c.medianAskMs[o])} |`),
    '',
    ...c.versus.map(
      (v) =>
        `${first} against ${v.other} on ${v.problems} problems: ${v.wins} wins, ${v.ties} ties, ${v.losses} losses; ` +
        `median difference of the medians ${v.medianDifference > 0 ? '+' : ''}${fixed(v.medianDifference)} (negative: ${first} lower).`,
    ),
  ];
  if (c.versus.length) {
    const other = c.versus[0].other;
    const gaps = c.problems
      .map((p) => ({ p, d: c.stats[first][p].median - c.stats[other][p].median }))
      .sort((a, b) => b.d - a.d)
      .slice(0, worst);
    lines.push(
      '',
      `${first}'s worst ${gaps.length} against ${other}: ${gaps.map((g) => `${g.p} (${g.d > 0 ? '+' : ''}${fixed(g.d)})`).join(', ')}.`,
    );
  }
  return `${lines.join('\n')}\n`;
}
