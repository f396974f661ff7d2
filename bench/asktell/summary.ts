import { quantile } from './random.js';
import type { RunRecord } from './session.js';

/** One row per problem and setting: the final log10 regret over the seeds whose run finished. */
export interface SummaryRow {
  problem: string;
  setting: string;
  runs: number;
  failed: number;
  median: number | null;
  q1: number | null;
  q3: number | null;
  medianAskMs: number | null;
}

export function summarise(records: readonly RunRecord[]): SummaryRow[] {
  const groups = new Map<string, { problem: string; setting: string; runs: RunRecord[] }>();
  for (const r of records) {
    const setting = `b${r.budget}.q${r.batch}${r.pending ? `.p${r.pending}` : ''}`;
    const key = JSON.stringify([r.problem, setting]);
    const group = groups.get(key) ?? { problem: r.problem, setting, runs: [] };
    group.runs.push(r);
    groups.set(key, group);
  }
  return [...groups.values()]
    .sort((a, b) => (a.problem === b.problem ? a.setting.localeCompare(b.setting) : a.problem < b.problem ? -1 : 1))
    .map(({ problem, setting, runs }) => {
      const ok = runs.filter((r) => r.finalLog10Regret !== null && !r.error);
      const regrets = ok.map((r) => r.finalLog10Regret!);
      return {
        problem,
        setting,
        runs: runs.length,
        failed: runs.length - ok.length,
        median: quantile(regrets, 0.5),
        q1: quantile(regrets, 0.25),
        q3: quantile(regrets, 0.75),
        medianAskMs: quantile(
          ok.flatMap((r) => r.askMs),
          0.5,
        ),
      };
    });
}

const fixed = (x: number | null) => (x === null ? '—' : x.toFixed(2));

export function summaryMarkdown(rows: readonly SummaryRow[]): string {
  return [
    'Median [Q1, Q3] over seeds of the final log10 simple regret (floored at -8); median ask latency over all asks.',
    '',
    '| problem | setting | runs ok | log10 regret, median [Q1, Q3] | median ask |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.problem} | ${r.setting} | ${r.runs - r.failed}/${r.runs} | ${fixed(r.median)} [${fixed(r.q1)}, ${fixed(r.q3)}] | ${r.medianAskMs === null ? '—' : `${Math.round(r.medianAskMs)} ms`} |`,
    ),
    '',
  ].join('\n');
}
