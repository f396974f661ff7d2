/**
 * Descriptor vectors of a categorical parameter's choices (e.g. DFT
 * descriptors of ligands, bases, solvents): each descriptor min-max scaled
 * over the choices, a descriptor equal for every choice left out (it tells
 * no two choices apart). A model on these sees "a ligand of large molar volume
 * and low HOMO" rather than "ligand 7", so what it learns about one choice
 * carries over to choices of similar descriptors, including choices absent
 * from its training data (the approach of EDBO, Shields et al., Nature 590,
 * 89–96, 2021).
 *
 * All varying descriptors are kept, however many: reaction tables carry a
 * handful per component (7 in the EDBO tables), and a projection (PCA over
 * the choices) would mix descriptors of different meaning into directions
 * fitted to however few choices there are, for a dimension the model's
 * per-coordinate length-scales (or the trees' feature sampling) already
 * handle. A parameter with many descriptors does widen the encoding by that
 * many coordinates (Encoder.descriptorCategoricals lists each block's size).
 */
import type { CategoricalParameter } from '../space.js';
import { scaleDescriptors } from './composition-features.js';

export interface ChoiceDescriptors {
  /** Names of the descriptors kept (those that vary between choices), sorted. */
  names: string[];
  /** One vector per choice (in choice order), each entry in [0, 1]. */
  vectors: number[][];
}

/**
 * The scaled descriptor vectors of p's choices, or undefined when they cannot
 * stand for the choices: p has no descriptors, every descriptor is constant,
 * or two choices share a vector (the model could not tell them apart, nor
 * decode map a vector back to one choice). Such a parameter stays one-hot.
 */
export function choiceDescriptors(p: CategoricalParameter): ChoiceDescriptors | undefined {
  const d = p.descriptors;
  if (!d) return undefined;
  const names = Object.keys(d[p.choices[0]] ?? {}).sort();
  const raw = p.choices.map((c) => names.map((n) => d[c]?.[n] ?? NaN));
  const { names: keptNames, vectors } = scaleDescriptors(names, raw);
  if (keptNames.length === 0) return undefined;
  if (vectors.some((v) => v.some((e) => !Number.isFinite(e)))) return undefined;
  const seen = new Set(vectors.map((v) => v.join(',')));
  if (seen.size < vectors.length) return undefined;
  return { names: keptNames, vectors };
}

/** Index of the vector nearest to x[offset ... offset + width) (squared Euclidean; the first on ties). */
export function nearestChoice(x: ArrayLike<number>, offset: number, vectors: readonly (readonly number[])[]): number {
  let best = 0;
  let bestD = Infinity;
  for (let c = 0; c < vectors.length; c++) {
    const v = vectors[c];
    let s = 0;
    for (let k = 0; k < v.length; k++) {
      const e = x[offset + k] - v[k];
      s += e * e;
    }
    if (s < bestD) {
      bestD = s;
      best = c;
    }
  }
  return best;
}
