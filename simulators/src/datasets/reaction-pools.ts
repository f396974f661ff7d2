/**
 * Reaction-condition pools measured in full factorial designs: the emulator
 * answers the measured yield of the exact combination asked.
 *
 * direct_arylation_edbo.csv — Pd-catalysed direct C–H arylation (BMS HTE), 1,728 = 4 bases × 12 ligands × 4 solvents × 3 concentrations × 3 temperatures.
 *   Data: b-shields/edbo @ 9b41eac (MIT, © 2020 Benjamin J. Shields) and doyle-lab-ucla/edboplus @ f5d1687 (MIT, © 2022 Jose A. Garrido Torres) for names and cost.
 *   Cite: B. J. Shields et al., "Bayesian reaction optimization as a tool for chemical synthesis", Nature 590, 89–96 (2021);
 *         J. A. Garrido Torres et al., J. Am. Chem. Soc. (2022), doi:10.1021/jacs.2c08592 (cost).
 *
 * suzuki_miyaura_edbo.csv — Suzuki–Miyaura HTE, 3,696 = 4 electrophiles × 3 nucleophiles × 11 ligands × 7 bases × 4 solvents.
 *   Data: b-shields/edbo @ 9b41eac (MIT). Cite: D. Perera et al., Science 359, 429–434 (2018), doi:10.1126/science.aap9112; Shields et al., Nature 2021.
 *
 * Both carry 7 DFT descriptors per component (EDBO tables; ligands Boltzmann-weighted):
 * dipole (D), molar mass (g/mol), molar volume (Bohr³), HOMO, LUMO, electronegativity, hardness (Hartree).
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
  type EmulatorObjective,
  type EmulatorParams,
  type EmulatorAnswer,
} from './emulator.js';

export const DFT_DESCRIPTORS = [
  'dipole',
  'molar_mass',
  'molar_volume',
  'homo_energy',
  'lumo_energy',
  'electronegativity',
  'hardness',
] as const;

interface PoolSpec {
  name: string;
  file: string;
  components: string[];
  ordinals: Array<{ column: string; unit: string }>;
  objectives: EmulatorObjective[];
}

export const DIRECT_ARYLATION: PoolSpec = {
  name: 'direct-arylation',
  file: 'direct_arylation_edbo.csv',
  components: ['base', 'ligand', 'solvent'],
  ordinals: [
    { column: 'concentration_M', unit: 'M' },
    { column: 'temperature_C', unit: '°C' },
  ],
  objectives: [
    { name: 'yield', direction: 'maximize', low: 0, high: 100 },
    { name: 'cost', direction: 'minimize', low: 0 },
  ],
};

export const SUZUKI_MIYAURA: PoolSpec = {
  name: 'suzuki-miyaura',
  file: 'suzuki_miyaura_edbo.csv',
  components: ['electrophile', 'nucleophile', 'ligand', 'base', 'solvent'],
  ordinals: [],
  objectives: [{ name: 'yield', direction: 'maximize', low: 0, high: 100 }],
};

export interface PoolParameterOptions {
  /**
   * How ordinal numeric columns (concentration, temperature) appear in the
   * campaign: `categorical` (default: choices "0.057", "0.1", … with the value
   * as descriptor, so the whole space is a finite pool) or `continuous`
   * (low/high of the grid; off-grid proposals fail as unmeasured).
   */
  ordinal?: 'categorical' | 'continuous';
  /** Attach the DFT descriptors to each categorical choice. Default true. */
  descriptors?: boolean;
}

/** A full-factorial reaction pool: exact lookup of the measured objectives. */
export class ReactionPool implements Emulator {
  readonly name: string;
  readonly kind: string;
  readonly objectives: EmulatorObjective[];
  /** Choices per component, in first-seen order. */
  readonly choices: Record<string, string[]>;
  /** DFT descriptors per component and choice. */
  readonly descriptors: Record<string, Record<string, Record<string, number>>>;
  /** Measured grid per ordinal column. */
  readonly grids: Record<string, number[]>;
  readonly size: number;
  private readonly values = new Map<string, Record<string, number>>();

  constructor(
    private readonly spec: PoolSpec,
    table: CsvTable,
  ) {
    this.name = spec.name;
    this.kind = `${spec.name}-emulator`;
    this.objectives = spec.objectives;
    const compCols = spec.components.map((c) => column(table, c));
    const ordCols = spec.ordinals.map((o) => column(table, o.column));
    const objCols = spec.objectives.map((o) => column(table, o.name));
    this.choices = Object.fromEntries(spec.components.map((c, k) => [c, distinct(table.rows.map((r) => r[compCols[k]]))]));
    this.grids = Object.fromEntries(
      spec.ordinals.map((o, k) => [o.column, distinct(table.rows.map((_, i) => numberAt(table, i, ordCols[k]))).sort((a, b) => a - b)]),
    );
    this.descriptors = {};
    for (const [k, c] of spec.components.entries()) {
      const dCols = DFT_DESCRIPTORS.map((d) => column(table, `${c}_${d}`));
      const perChoice: Record<string, Record<string, number>> = {};
      table.rows.forEach((r, i) => {
        perChoice[r[compCols[k]]] ??= Object.fromEntries(DFT_DESCRIPTORS.map((d, j) => [d, numberAt(table, i, dCols[j])]));
      });
      this.descriptors[c] = perChoice;
    }
    table.rows.forEach((r, i) => {
      const key = this.key(
        compCols.map((col) => r[col]),
        ordCols.map((col) => numberAt(table, i, col)),
      );
      if (this.values.has(key)) throw new Error(`${table.file}: line ${i + 2} repeats the combination ${key}`);
      this.values.set(key, Object.fromEntries(spec.objectives.map((o, k) => [o.name, numberAt(table, i, objCols[k])])));
    });
    this.size = this.values.size;
  }

  get capabilities(): Capabilities {
    return {
      parameters: {
        ...Object.fromEntries(Object.entries(this.choices).map(([c, choices]) => [c, { choices }])),
        ...Object.fromEntries(this.spec.ordinals.map((o) => [o.column, { choices: this.grids[o.column].map(String), unit: o.unit }])),
      },
      objectives: this.objectives.map((o) => o.name),
      description: `${this.name}: lookup of measured values in ${this.spec.file} (${this.size} combinations)`,
    };
  }

  /** The campaign's `parameters`, each categorical choice with its DFT descriptors (see PoolParameterOptions). */
  campaignParameters(options: PoolParameterOptions = {}): Parameter[] {
    const withDescriptors = options.descriptors ?? true;
    const categorical: Parameter[] = this.spec.components.map((c) => ({
      name: c,
      type: 'categorical',
      choices: [...this.choices[c]],
      ...(withDescriptors ? { descriptors: structuredClone(this.descriptors[c]) } : {}),
    }));
    const ordinal: Parameter[] = this.spec.ordinals.map((o) => {
      const grid = this.grids[o.column];
      if (options.ordinal === 'continuous')
        return { name: o.column, type: 'continuous', low: grid[0], high: grid[grid.length - 1], scale: 'linear', unit: o.unit };
      return {
        name: o.column,
        type: 'categorical',
        choices: grid.map(String),
        descriptors: Object.fromEntries(grid.map((g) => [String(g), { [o.column]: g }])),
      };
    });
    return [...categorical, ...ordinal];
  }

  evaluate(params: EmulatorParams): EmulatorAnswer {
    const comps: string[] = [];
    for (const c of this.spec.components) {
      const v = params[c];
      if (v === undefined) return { ok: false, reason: `missing parameter "${c}" (${this.name} needs ${this.paramNames().join(', ')})` };
      if (typeof v !== 'string' || !this.choices[c].includes(v)) {
        return { ok: false, reason: `${c} ${JSON.stringify(v)} is not in the ${this.name} pool (choices: ${this.choices[c].join(', ')})` };
      }
      comps.push(v);
    }
    const ords: number[] = [];
    for (const o of this.spec.ordinals) {
      const n = numericParam(params, o.column);
      if (isReason(n)) return { ok: false, reason: n.reason };
      const g = onGrid(o.column, n, this.grids[o.column]);
      if (isReason(g)) return { ok: false, reason: g.reason };
      ords.push(g);
    }
    const key = this.key(comps, ords);
    const values = this.values.get(key);
    if (!values) return { ok: false, reason: `the combination ${key} was not measured` };
    return { ok: true, values: { ...values }, metadata: { dataset: this.spec.file } };
  }

  private paramNames(): string[] {
    return [...this.spec.components, ...this.spec.ordinals.map((o) => o.column)];
  }

  private key(comps: string[], ords: number[]): string {
    return [...comps, ...ords.map(String)].join(' / ');
  }
}

/** The direct-arylation pool (yield max, cost min), read from the datasets (simulators/datasets). */
export function directArylationEmulator(dir?: string): ReactionPool {
  return new ReactionPool(DIRECT_ARYLATION, readDataset(DIRECT_ARYLATION.file, dir));
}

/** The Suzuki–Miyaura pool (yield max), read from the datasets (simulators/datasets). */
export function suzukiEmulator(dir?: string): ReactionPool {
  return new ReactionPool(SUZUKI_MIYAURA, readDataset(SUZUKI_MIYAURA.file, dir));
}

/** Campaign `parameters` for the direct-arylation pool, categorical choices with DFT descriptors. */
export function directArylationCampaignParameters(options?: PoolParameterOptions, dir?: string): Parameter[] {
  return directArylationEmulator(dir).campaignParameters(options);
}

/** Campaign `parameters` for the Suzuki–Miyaura pool, categorical choices with DFT descriptors. */
export function suzukiCampaignParameters(options?: PoolParameterOptions, dir?: string): Parameter[] {
  return suzukiEmulator(dir).campaignParameters(options);
}
