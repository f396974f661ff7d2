/**
 * `ocm`: pools of real catalyst runs for the several-objective suite, from the
 * high-throughput screen of oxidative coupling of methane by Nguyen et al.
 * (ACS Catal. 10, 921–932, 2020; MIT via ur-whitelab/BO-LIFT), copied into
 * data/ (data/README.md says what was kept and how). Each instance is the
 * full condition grid of 20 catalysts drawn from the 59 (about 4,300 runs),
 * with one of two objective pairs: the C2 yield (maximise) against the
 * carbon-oxide yield COy + CO2y (minimise), or against the C2 selectivity
 * (maximise; the runs whose selectivity the source gives above 100 % are
 * left out). The best hypervolume is the pool's own front's (exact).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { PoolRow } from '../asktell/problems.js';
import { seededRandom } from '../asktell/random.js';
import { drawMoSetting, moName, type MoInstance } from './mo-common.js';
import { hypervolume } from './pareto.js';

interface OcmRun {
  id: string;
  catalyst: number;
  temp: number;
  flow: number;
  arFlow: number;
  ratio: number;
  c2y: number;
  c2s: number;
  cox: number;
}

interface OcmData {
  catalysts: Record<string, string>[];
  runs: OcmRun[];
}

/** The folder holding the data, found upwards from this module (the sources or the build). */
function dataFolder(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, 'bench', 'suite', 'data');
    if (existsSync(join(candidate, 'ocm_runs.csv.gz'))) return candidate;
    if (dirname(dir) === dir) throw new Error('bench/suite/data/ocm_runs.csv.gz not found above the suite module');
  }
}

let loaded: OcmData | undefined;
export function ocmData(): OcmData {
  if (loaded) return loaded;
  const folder = dataFolder();
  const parse = (text: string) => {
    const [head, ...lines] = text.trim().split('\n');
    const cols = head.split(',');
    return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
  };
  const catalysts = parse(readFileSync(join(folder, 'ocm_catalysts.csv'), 'utf8'));
  const runs = parse(gunzipSync(readFileSync(join(folder, 'ocm_runs.csv.gz'))).toString('utf8')).map((row, i) => ({
    id: `r${i}`,
    catalyst: Number(row.catalyst),
    temp: Number(row.Temp),
    flow: Number(row.Total_flow),
    arFlow: Number(row.Ar_flow),
    ratio: Number(row['CH4/O2']),
    c2y: Number(row.C2y),
    c2s: Number(row.C2s),
    cox: Number(row.COy) + Number(row.CO2y),
  }));
  loaded = { catalysts, runs };
  return loaded;
}

export function ocmInstance(seed: number): MoInstance {
  const key = `ocm-${seed}`;
  const r = seededRandom(`mosuite/${key}`);
  const { catalysts, runs } = ocmData();
  const pair = r() < 0.5 ? ('oxides' as const) : ('selectivity' as const);
  const order = catalysts.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const chosen = new Set(order.slice(0, 20));
  const rows = runs.filter((run) => chosen.has(run.catalyst) && (pair === 'oxides' || run.c2s <= 100));
  const setting = drawMoSetting(r);
  const second = pair === 'oxides' ? 'cox_yield' : 'c2_selectivity';
  const secondOf = (run: OcmRun) => (pair === 'oxides' ? run.cox : run.c2s);
  const coxRef = Math.ceil(Math.max(...rows.map((run) => run.cox)) + 1);
  const truth = new Map(rows.map((run) => [run.id, { c2_yield: run.c2y, [second]: secondOf(run) }]));
  const catalystName = (i: number) => catalysts[i].Name;
  const pool: PoolRow[] = rows.map((run) => {
    const c = catalysts[run.catalyst];
    return {
      id: run.id,
      params: {
        catalyst: catalystName(run.catalyst),
        temperature: String(run.temp),
        total_flow: String(run.flow),
        ch4_o2: String(run.ratio),
        ar_flow: String(run.arFlow),
      },
      features: {
        m1_atom_number: Number(c.M1_atom_number),
        m2_atom_number: Number(c.M2_atom_number),
        m3_atom_number: Number(c.M3_atom_number),
        support_id: Number(c.Support_ID),
        m1_mol_pct: Number(c['M1_mol%']),
        m2_mol_pct: Number(c['M2_mol%']),
        m3_mol_pct: Number(c['M3_mol%']),
        temperature_c: run.temp,
        total_flow_ml_min: run.flow,
        ar_fraction: Number((run.arFlow / run.flow).toFixed(3)),
        ch4_o2: run.ratio,
      },
    };
  });
  const levels = (name: string) => [...new Set(pool.map((row) => row.params[name]))];
  const minimised = rows.map((run) => [-run.c2y, pair === 'oxides' ? run.cox : -run.c2s]);
  const ref = [0, pair === 'oxides' ? coxRef : 0];
  return {
    key,
    family: 'ocm',
    seed,
    name: moName(key, 5, 2, setting).replace('-m2', `-m2-${pair}`),
    parameters: ['catalyst', 'temperature', 'total_flow', 'ch4_o2', 'ar_flow'].map((name) => ({
      name,
      type: 'categorical' as const,
      choices: levels(name),
    })),
    objectives: [
      { name: 'c2_yield', goal: 'maximize', ref: 0 },
      pair === 'oxides' ? { name: second, goal: 'minimize', ref: coxRef } : { name: second, goal: 'maximize', ref: 0 },
    ],
    optimum: hypervolume(minimised, ref),
    optimumHow: `exact: the front of the pool's ${rows.length} runs (20 of the 59 catalysts, every condition measured)`,
    budget: 40,
    ...setting,
    pool,
    failing: false,
    evaluate: (p) => {
      const values = truth.get(p.id as string);
      if (!values) throw new Error(`${key}: no pool row "${String(p.id)}"`);
      return { values };
    },
  };
}
