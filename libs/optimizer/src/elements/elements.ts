/**
 * Elemental properties by element symbol, with missing values imputed by
 * stated rules so that every element of the table has a full vector:
 * - enthalpy of fusion (missing for C, N, O, As, most heavy lanthanides and
 *   the noble gases): Richard's rule, ΔH_fus ≈ R·T_m (an entropy of fusion
 *   of about R, which holds within a factor of about 1.5 for metals);
 * - anything else still missing (Pauling electronegativity of He, Ne, Ar;
 *   the melting point of He): the median of that property over the table.
 * Which values were imputed is reported with them.
 */
import { ELEMENT_TABLE } from './table.js';

/** Atomic number, then one value per ELEMENT_PROPERTIES entry (null where unknown). */
export type ElementRow = readonly [number, ...(number | null)[]];

export const ELEMENT_PROPERTIES = [
  'atomicWeight',
  'electronegativity',
  'covalentRadius',
  'density',
  'meltingPoint',
  'boilingPoint',
  'fusionEnthalpy',
  'ionisationEnergy',
] as const;
export type ElementProperty = (typeof ELEMENT_PROPERTIES)[number];

export const ELEMENT_PROPERTY_UNITS: Readonly<Record<ElementProperty, string>> = {
  atomicWeight: 'g/mol',
  electronegativity: 'Pauling',
  covalentRadius: 'pm',
  density: 'g/cm3',
  meltingPoint: 'K',
  boilingPoint: 'K',
  fusionEnthalpy: 'kJ/mol',
  ionisationEnergy: 'kJ/mol (first)',
};

export interface ElementProperties {
  symbol: string;
  atomicNumber: number;
  values: Readonly<Record<ElementProperty, number>>;
  /** Properties whose value was imputed (see the rules above). */
  imputed: readonly ElementProperty[];
}

const GAS_CONSTANT_KJ = 8.314462618e-3;

const medians: Readonly<Record<ElementProperty, number>> = Object.fromEntries(
  ELEMENT_PROPERTIES.map((p, k) => {
    const v = Object.values(ELEMENT_TABLE)
      .map((row) => row[k + 1])
      .filter((x): x is number => typeof x === 'number')
      .sort((a, b) => a - b);
    const mid = Math.floor(v.length / 2);
    return [p, v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2];
  }),
) as Record<ElementProperty, number>;

const cache = new Map<string, ElementProperties>();

/** The symbols the table holds, by atomic number. */
export function elementSymbols(): string[] {
  return Object.keys(ELEMENT_TABLE).sort((a, b) => ELEMENT_TABLE[a][0] - ELEMENT_TABLE[b][0]);
}

/** Properties of an element by symbol (case-sensitive, e.g. "Fe"); undefined when the table lacks it. */
export function elementProperties(symbol: string): ElementProperties | undefined {
  const hit = cache.get(symbol);
  if (hit) return hit;
  if (!Object.prototype.hasOwnProperty.call(ELEMENT_TABLE, symbol)) return undefined;
  const row = ELEMENT_TABLE[symbol];
  const values = {} as Record<ElementProperty, number>;
  const imputed: ElementProperty[] = [];
  ELEMENT_PROPERTIES.forEach((p, k) => {
    const v = row[k + 1];
    if (typeof v === 'number') values[p] = v;
    else imputed.push(p);
  });
  for (const p of imputed) if (p !== 'fusionEnthalpy') values[p] = medians[p];
  if (imputed.includes('fusionEnthalpy')) values.fusionEnthalpy = GAS_CONSTANT_KJ * values.meltingPoint;
  const out: ElementProperties = { symbol, atomicNumber: row[0], values, imputed };
  cache.set(symbol, out);
  return out;
}
