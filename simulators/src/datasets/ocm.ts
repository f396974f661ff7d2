/**
 * Oxidative coupling of methane, high-throughput catalyst screen: 59
 * catalysts × a 216-point process grid (12,708 measured; Na/SiO2 has no 900 °C
 * rows). The emulator answers by exact lookup.
 *
 * Data: ocm_hte_nguyen2020.csv from ur-whitelab/BO-LIFT @ 43d38ef, paper/dataset/oxidative_methane_coupling.csv
 * (MIT per its setup.py; first published in the paper's Supporting Information).
 * Cite: T. N. Nguyen et al., "High-Throughput Experimentation and Catalyst Informatics for Oxidative Coupling of Methane",
 *       ACS Catal. 10, 921–932 (2020), doi:10.1021/acscatal.9b04293; M. C. Ramos et al., arXiv:2304.05341 (2023).
 */
import type { Parameter } from '#optimizer';
import type { Capabilities } from '#protocol';
import { column, numberAt, readDataset, type CsvTable } from './csv.js';
import {
  distinct,
  isReason,
  numericParam,
  onGrid,
  type Emulator,
  type EmulatorAnswer,
  type EmulatorObjective,
  type EmulatorParams,
} from './emulator.js';

export const OCM_FILE = 'ocm_hte_nguyen2020.csv';

/** Process parameters: campaign name, CSV column (or how it is derived), unit. */
const PROCESS = [
  { name: 'temperature_C', unit: '°C' },
  { name: 'total_flow_mL_min', unit: 'mL/min' },
  { name: 'ch4_o2_ratio', unit: '' },
  { name: 'ar_fraction', unit: '' },
] as const;

/** Reported values (percentages); C2y is the usual objective. */
const OUTPUTS = ['C2y', 'C2s', 'CH4_conv', 'C2H6y', 'C2H4y', 'COy', 'CO2y'] as const;

/** Numeric per-catalyst columns usable as descriptors of the catalyst choice. */
const CATALYST_DESCRIPTORS = [
  'M1_atom_number',
  'M2_atom_number',
  'M3_atom_number',
  'M1_mol%',
  'M2_mol%',
  'M3_mol%',
  'M2_mol',
  'M3_mol',
] as const;

export class OcmEmulator implements Emulator {
  readonly name = 'ocm';
  readonly kind = 'ocm-emulator';
  readonly objectives: EmulatorObjective[] = [
    { name: 'C2y', direction: 'maximize', low: 0, high: 100 },
    { name: 'C2s', direction: 'maximize', low: 0 },
    { name: 'CH4_conv', direction: 'maximize', low: 0, high: 100 },
  ];
  readonly catalysts: string[];
  readonly descriptors: Record<string, Record<string, number>> = {};
  readonly grids: Record<string, number[]>;
  readonly size: number;
  private readonly values = new Map<string, Record<string, number>>();

  constructor(table: CsvTable) {
    const name = column(table, 'Name');
    const cols = {
      temperature_C: column(table, 'Temp'),
      total_flow_mL_min: column(table, 'Total_flow'),
      ch4_o2_ratio: column(table, 'CH4/O2'),
      ar: column(table, 'Ar_flow'),
    };
    const outCols = OUTPUTS.map((o) => column(table, o));
    const descCols = CATALYST_DESCRIPTORS.map((d) => column(table, d));
    const processOf = (i: number): number[] => [
      numberAt(table, i, cols.temperature_C),
      numberAt(table, i, cols.total_flow_mL_min),
      numberAt(table, i, cols.ch4_o2_ratio),
      // Ar fraction is one of 0.15, 0.40, 0.70 (Ar_flow / Total_flow, rounded as the source's flows are).
      Math.round((100 * numberAt(table, i, cols.ar)) / numberAt(table, i, cols.total_flow_mL_min)) / 100,
    ];
    this.catalysts = distinct(table.rows.map((r) => r[name]));
    const processRows = table.rows.map((_, i) => processOf(i));
    this.grids = Object.fromEntries(PROCESS.map((p, k) => [p.name, distinct(processRows.map((r) => r[k])).sort((a, b) => a - b)]));
    // For six catalysts the 900 °C rows list other mol% values than the rest (a quirk of the source):
    // a catalyst's descriptors are its most frequent composition.
    const compositions = new Map<string, Map<string, { count: number; desc: Record<string, number> }>>();
    table.rows.forEach((r, i) => {
      const desc = Object.fromEntries(CATALYST_DESCRIPTORS.map((d, j) => [d, numberAt(table, i, descCols[j])]));
      const perCatalyst = compositions.get(r[name]) ?? new Map<string, { count: number; desc: Record<string, number> }>();
      compositions.set(r[name], perCatalyst);
      const signature = JSON.stringify(desc);
      const entry = perCatalyst.get(signature) ?? { count: 0, desc };
      entry.count++;
      perCatalyst.set(signature, entry);
      const key = this.key(r[name], processRows[i]);
      if (this.values.has(key)) throw new Error(`${table.file}: line ${i + 2} repeats ${key}`);
      this.values.set(key, Object.fromEntries(OUTPUTS.map((o, k) => [o, numberAt(table, i, outCols[k])])));
    });
    for (const [catalyst, perCatalyst] of compositions) {
      this.descriptors[catalyst] = [...perCatalyst.values()].reduce((m, e) => (e.count > m.count ? e : m)).desc;
    }
    this.size = this.values.size;
  }

  get capabilities(): Capabilities {
    return {
      parameters: {
        catalyst: { choices: [...this.catalysts] },
        ...Object.fromEntries(
          PROCESS.map((p) => [p.name, { choices: this.grids[p.name].map(String), ...(p.unit ? { unit: p.unit } : {}) }]),
        ),
      },
      objectives: [...OUTPUTS],
      description: `OCM catalyst screen: lookup in ${OCM_FILE} (${this.size} measured conditions)`,
    };
  }

  /** Catalyst as a categorical with composition descriptors (atomic numbers, mol%); process variables as categorical grids. */
  campaignParameters(): Parameter[] {
    return [
      { name: 'catalyst', type: 'categorical', choices: [...this.catalysts], descriptors: structuredClone(this.descriptors) },
      ...PROCESS.map((p): Parameter => ({
        name: p.name,
        type: 'categorical',
        choices: this.grids[p.name].map(String),
        descriptors: Object.fromEntries(this.grids[p.name].map((g) => [String(g), { [p.name]: g }])),
      })),
    ];
  }

  evaluate(params: EmulatorParams): EmulatorAnswer {
    const catalyst = params.catalyst;
    if (typeof catalyst !== 'string' || !this.catalysts.includes(catalyst)) {
      return {
        ok: false,
        reason:
          catalyst === undefined
            ? 'missing parameter "catalyst"'
            : `catalyst ${JSON.stringify(catalyst)} was not screened (${this.catalysts.length} catalysts, e.g. ${this.catalysts.slice(0, 3).join(', ')})`,
      };
    }
    const process: number[] = [];
    for (const p of PROCESS) {
      const n = numericParam(params, p.name);
      if (isReason(n)) return { ok: false, reason: n.reason };
      const g = onGrid(p.name, n, this.grids[p.name]);
      if (isReason(g)) return { ok: false, reason: g.reason };
      process.push(g);
    }
    const key = this.key(catalyst, process);
    const values = this.values.get(key);
    if (!values) return { ok: false, reason: `the condition ${key} was not measured in the screen` };
    return { ok: true, values: { ...values }, metadata: { dataset: OCM_FILE } };
  }

  private key(catalyst: string, process: number[]): string {
    return `${catalyst} @ ${PROCESS.map((p, k) => `${p.name}=${process[k]}`).join(', ')}`;
  }
}

export function ocmEmulator(dir?: string): OcmEmulator {
  return new OcmEmulator(readDataset(OCM_FILE, dir));
}
