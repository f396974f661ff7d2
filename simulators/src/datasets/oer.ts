/**
 * OER catalyst composition library ("OER plate A"): every unary to quaternary
 * composition of Ni, Fe, Co, Mn, Ce, La at 10 at% steps (2,121 points).
 * The emulator normalises the asked fractions to sum 1 and answers the
 * overpotential of the nearest measured composition (Euclidean distance in
 * fraction space); the distance and the composition used are in the metadata.
 * Quinary/senary compositions were not measured: they get their nearest
 * quaternary neighbour, or fail past `maxDistance`.
 *
 * Data: oer_plate_a.csv from aspuru-guzik-group/olympus @ 440b6b5, src/olympus/datasets/dataset_oer_plate_3496 (MIT, Olympus);
 * measured by Caltech JCAP high-throughput screens (Gregoire group).
 * Cite: B. Rohr et al., "Benchmarking the acceleration of materials discovery by sequential learning", Chem. Sci. 11, 2696–2706 (2020);
 *       E. Soedarmadji et al., npj Comput. Mater. 5 (2019); F. Häse et al., Mach. Learn.: Sci. Technol. 2, 035021 (2021).
 */
import type { Parameter } from '#optimizer';
import type { Capabilities } from '#protocol';
import { column, numberAt, readDataset, type CsvTable } from './csv.js';
import type { Emulator, EmulatorAnswer, EmulatorObjective, EmulatorParams } from './emulator.js';

export const OER_FILE = 'oer_plate_a.csv';
export const OER_ELEMENTS = ['Ni', 'Fe', 'Co', 'Mn', 'Ce', 'La'] as const;

export interface OerOptions {
  /** Largest distance to a measured composition still answered; farther is an experiment failure. Default: no limit. */
  maxDistance?: number;
}

export class OerEmulator implements Emulator {
  readonly name = 'oer';
  readonly kind = 'oer-emulator';
  readonly objectives: EmulatorObjective[] = [{ name: 'overpotential', direction: 'minimize', low: 0 }];
  readonly size: number;
  private readonly points: Float64Array;
  private readonly overpotential: Float64Array;
  private readonly maxDistance: number;

  constructor(table: CsvTable, options: OerOptions = {}) {
    const cols = OER_ELEMENTS.map((e) => column(table, e));
    const y = column(table, 'overpotential');
    const d = OER_ELEMENTS.length;
    this.size = table.rows.length;
    this.points = new Float64Array(this.size * d);
    this.overpotential = new Float64Array(this.size);
    table.rows.forEach((_, i) => {
      let sum = 0;
      cols.forEach((c, k) => {
        const v = numberAt(table, i, c);
        this.points[i * d + k] = v;
        sum += v;
      });
      if (Math.abs(sum - 1) > 1e-6) throw new Error(`${table.file}: line ${i + 2}: fractions sum to ${sum}, not 1`);
      this.overpotential[i] = numberAt(table, i, y);
    });
    this.maxDistance = options.maxDistance ?? Number.POSITIVE_INFINITY;
    if (!(this.maxDistance > 0)) throw new Error(`oer: maxDistance must be positive, got ${options.maxDistance}`);
  }

  get capabilities(): Capabilities {
    return {
      parameters: Object.fromEntries(OER_ELEMENTS.map((e) => [e, { low: 0, high: 1 }])),
      objectives: ['overpotential'],
      description: `OER composition plate: nearest of ${this.size} measured compositions in ${OER_FILE} (fractions normalised to sum 1)`,
    };
  }

  /** Six fractions in [0, 1]; the emulator normalises them (absent elements count as 0). */
  campaignParameters(): Parameter[] {
    return OER_ELEMENTS.map((e) => ({ name: e, type: 'continuous', low: 0, high: 1, scale: 'linear' }));
  }

  evaluate(params: EmulatorParams): EmulatorAnswer {
    const x: number[] = [];
    for (const e of OER_ELEMENTS) {
      const v = params[e] ?? 0;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
        return { ok: false, reason: `fraction "${e}" must be a number >= 0, got ${JSON.stringify(v)}` };
      x.push(v);
    }
    const sum = x.reduce((a, b) => a + b, 0);
    if (!(sum > 0)) return { ok: false, reason: `the fractions of ${OER_ELEMENTS.join(', ')} are all 0: no composition` };
    const q = x.map((v) => v / sum);
    const d = OER_ELEMENTS.length;
    let best = -1;
    let bestD2 = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.size; i++) {
      let d2 = 0;
      for (let k = 0; k < d; k++) d2 += (this.points[i * d + k] - q[k]) ** 2;
      if (d2 < bestD2) {
        bestD2 = d2;
        best = i;
      }
    }
    const distance = Math.sqrt(bestD2);
    const used = OER_ELEMENTS.map((e, k) => `${e}${this.points[best * d + k].toFixed(1)}`).join(' ');
    if (distance > this.maxDistance) {
      return {
        ok: false,
        reason: `no measured composition within ${this.maxDistance} of the asked one (nearest ${used} at ${distance.toFixed(3)})`,
      };
    }
    return { ok: true, values: { overpotential: this.overpotential[best] }, metadata: { dataset: OER_FILE, composition: used, distance } };
  }
}

export function oerEmulator(options?: OerOptions, dir?: string): OerEmulator {
  return new OerEmulator(readDataset(OER_FILE, dir), options);
}
