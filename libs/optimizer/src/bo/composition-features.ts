/**
 * Sorted weighted elemental descriptors of a composition: for each of its
 * maxComponents slots, taken in order of decreasing fraction, the fraction f
 * and f times the component's descriptor vector. A model on these features
 * sees "a majority element of high electronegativity with a minority of low
 * melting point" rather than "20% of component 3", so what it learns about
 * one element carries over to elements of similar properties, including
 * elements absent from its training data.
 *
 * Descriptor vectors: the built-in elemental properties of each component
 * (elements/elements.ts) or the parameter's own `descriptors`, each
 * property min-max scaled over the parameter's components; a property equal
 * for every component carries nothing and is left out.
 */
import { ELEMENT_PROPERTIES, elementProperties } from '../elements/elements.js';
import type { CompositionParameter } from '../space.js';

export interface ComponentDescriptors {
  /** Names of the descriptor properties kept (those that vary between components). */
  names: string[];
  /** One vector per component (in component order), each entry in [0, 1]. */
  vectors: number[][];
}

/**
 * Min-max scales each descriptor (a column of raw, one row per component or
 * choice) over the rows, leaving out those equal in every row: they tell no
 * two rows apart (a column with a missing, NaN, entry is left out too: its
 * comparisons fail).
 */
export function scaleDescriptors(names: readonly string[], raw: readonly (readonly number[])[]): ComponentDescriptors {
  const kept: number[] = [];
  const lo: number[] = [];
  const span: number[] = [];
  names.forEach((_, k) => {
    const column = raw.map((r) => r[k]);
    const min = Math.min(...column);
    const max = Math.max(...column);
    if (max > min) {
      kept.push(k);
      lo.push(min);
      span.push(max - min);
    }
  });
  return {
    names: kept.map((k) => names[k]),
    vectors: raw.map((r) => kept.map((k, i) => (r[k] - lo[i]) / span[i])),
  };
}

export function componentDescriptors(p: CompositionParameter): ComponentDescriptors {
  let names: string[];
  let raw: number[][];
  if (p.descriptors) {
    const d = p.descriptors;
    names = Object.keys(d[p.components[0]] ?? {}).sort();
    raw = p.components.map((c) => names.map((n) => d[c][n]));
  } else {
    names = [...ELEMENT_PROPERTIES];
    raw = p.components.map((c) => {
      const e = elementProperties(c);
      if (!e) throw new Error(`composition "${p.name}": "${c}" is not an element of the built-in table and no descriptors were given`);
      return ELEMENT_PROPERTIES.map((q) => e.values[q]);
    });
  }
  return scaleDescriptors(names, raw);
}

/** Length of the feature block: maxComponents slots of (fraction, fraction × descriptors). */
export function sortedFeatureSize(maxComponents: number, descriptors: ComponentDescriptors): number {
  return maxComponents * (1 + descriptors.names.length);
}

/**
 * Writes the sorted weighted features of `fractions` (fractions of the total,
 * one per component) into out[at...]. Ties in fraction keep component order,
 * so equal compositions always give equal features; slots beyond the
 * non-zero components are zeros.
 */
export function writeSortedFeatures(
  fractions: readonly number[],
  maxComponents: number,
  descriptors: ComponentDescriptors,
  out: number[],
  at: number,
): void {
  const order = Array.from(fractions.keys()).sort((a, b) => fractions[b] - fractions[a] || a - b);
  const width = 1 + descriptors.names.length;
  for (let s = 0; s < maxComponents; s++) {
    const j = order[s];
    const f = j === undefined ? 0 : Math.max(0, fractions[j]);
    out[at + s * width] = f;
    for (let k = 0; k < descriptors.names.length; k++) out[at + s * width + 1 + k] = f === 0 ? 0 : f * descriptors.vectors[j][k];
  }
}
