import { describe, expect, it } from '@jest/globals';
import { Rng } from '#random';
import type { Posterior, Surrogate } from '../surrogates/surrogate.js';
import { GaussianProcess } from '../surrogates/gp.js';
import { expectedImprovement, logExpectedImprovement, logProbabilityOfImprovement, probabilityOfImprovement } from './analytic.js';
import {
  acquisitionFor,
  acquisitionProblems,
  candidateAcquisition,
  describeAcquisition,
  resolvedAcquisition,
  ucbKappa,
  withFeasibility,
  type AcquisitionChoice,
} from './choice.js';

/** A model whose posterior at x = [i] is mean m[i], variance v[i] (independent points). */
class Table implements Surrogate {
  constructor(
    private readonly m: number[],
    private readonly v: number[],
  ) {}
  fit(): void {}
  posterior(X: number[][]): Posterior {
    return { mean: Float64Array.from(X, (x) => this.m[x[0]]), variance: Float64Array.from(X, (x) => this.v[x[0]]) };
  }
}

const mean = [0, 1, 0.5, -1];
const variance = [0.25, 0.01, 1, 4];
const model = new Table(mean, variance);
const X = mean.map((_, i) => [i]);
const best = 0.8;
const value = (choice: AcquisitionChoice) => Array.from(acquisitionFor(choice, model, best, new Rng(1)).evaluate(X));

describe('acquisition choice', () => {
  it('computes each kind in closed form at each point', () => {
    const sd = variance.map(Math.sqrt);
    mean.forEach((m, i) => {
      expect(value({ kind: 'logEI' })[i]).toBeCloseTo(logExpectedImprovement(m, sd[i], best), 12);
      expect(value({ kind: 'EI' })[i]).toBeCloseTo(expectedImprovement(m, sd[i], best), 12);
      expect(value({ kind: 'PI' })[i]).toBeCloseTo(logProbabilityOfImprovement(m, sd[i], best), 12);
      expect(value({ kind: 'UCB' })[i]).toBeCloseTo(m + 2 * sd[i], 12);
      expect(value({ kind: 'UCB', kappa: 0.5 })[i]).toBeCloseTo(m + 0.5 * sd[i], 12);
      // beta is the weight on the variance: kappa = sqrt(beta).
      expect(value({ kind: 'UCB', beta: 9 })[i]).toBeCloseTo(m + 3 * sd[i], 12);
      expect(value({ kind: 'exploration' })[i]).toBeCloseTo(variance[i], 12);
    });
    // by hand: EI at mean 1, sd 0.1 against 0.8: z = 2, sd (z Φ(z) + φ(z)) = 0.1 (2 × 0.9772499 + 0.0539910)
    expect(value({ kind: 'EI' })[1]).toBeCloseTo(0.1 * (2 * 0.9772499 + 0.053991), 6);
  });

  it('ranks the points as each kind should: exploration the most uncertain, UCB with a small kappa the best mean', () => {
    const argmax = (v: number[]) => v.indexOf(Math.max(...v));
    expect(argmax(value({ kind: 'exploration' }))).toBe(3);
    expect(argmax(value({ kind: 'UCB', kappa: 0.1 }))).toBe(1);
    expect(argmax(value({ kind: 'UCB', kappa: 3 }))).toBe(3);
    expect(argmax(value({ kind: 'PI' }))).toBe(1);
  });

  it('draws a Thompson sample on the first points it sees, reads it back there, and -Infinity elsewhere; reproducible by seed', () => {
    const a = acquisitionFor({ kind: 'thompson' }, model, best, new Rng(5));
    const first = Array.from(a.evaluate(X.slice(0, 3)));
    expect(Array.from(a.evaluate([[2], [0], [3]]))).toEqual([first[2], first[0], -Infinity]);
    const b = acquisitionFor({ kind: 'thompson' }, model, best, new Rng(5));
    expect(Array.from(b.evaluate(X.slice(0, 3)))).toEqual(first);
  });

  it('weighs each kind by P(feasible) as its scale allows', () => {
    const logFeasible = {
      name: 'logPFeasible',
      evaluate: (P: number[][]) => Float64Array.from(P, (x) => Math.log([0.9, 0.4, 0.6, 0.1][x[0]])),
    };
    const w = (choice: AcquisitionChoice) =>
      Array.from(withFeasibility(choice.kind, acquisitionFor(choice, model, best, new Rng(1)), logFeasible).evaluate(X));
    const p = [0.9, 0.4, 0.6, 0.1];
    w({ kind: 'logEI' }).forEach((v, i) => expect(v).toBeCloseTo(value({ kind: 'logEI' })[i] + Math.log(p[i]), 12));
    w({ kind: 'EI' }).forEach((v, i) => expect(v).toBeCloseTo(value({ kind: 'EI' })[i] * p[i], 12));
    w({ kind: 'exploration' }).forEach((v, i) => expect(v).toBeCloseTo(variance[i] * p[i], 12));
    // UCB may be negative: points with P(feasible) below 1/2 are left out instead.
    expect(w({ kind: 'UCB' }).map((v, i) => (p[i] < 0.5 ? v : Number.isFinite(v)))).toEqual([true, -Infinity, true, -Infinity]);
  });

  it('ranks a candidate set by a log-scale score in the order of the values it reports', () => {
    const m = Float64Array.from(mean);
    const v = Float64Array.from(variance);
    for (const choice of [
      { kind: 'EI' },
      { kind: 'PI' },
      { kind: 'UCB' },
      { kind: 'exploration' },
      { kind: 'thompson' },
    ] as AcquisitionChoice[]) {
      const { value: reported, score } = candidateAcquisition(choice, m, v, best, new Rng(3));
      const order = (a: Float64Array) => Array.from(a.keys()).sort((i, j) => a[j] - a[i]);
      expect(order(score)).toEqual(order(reported));
    }
    const pi = candidateAcquisition({ kind: 'PI' }, m, v, best, new Rng(3)).value;
    pi.forEach((x, i) => expect(x).toBeCloseTo(probabilityOfImprovement(mean[i], Math.sqrt(variance[i]), best), 12));
  });

  it('names every problem of a choice', () => {
    expect(acquisitionProblems({ kind: 'UCB', beta: 4 })).toEqual([]);
    expect(acquisitionProblems({ kind: 'EI', kappa: 2 })).toEqual(['acquisition kappa applies to UCB only, not to EI']);
    expect(acquisitionProblems({ kind: 'UCB', beta: -1, kappa: 2 })).toEqual([
      'acquisition beta must be a finite number ≥ 0 (got -1)',
      'acquisition: give beta or kappa, not both (kappa = √beta)',
    ]);
    expect(acquisitionProblems({ kind: 'qEI' as never })[0]).toMatch(/unknown acquisition "qEI"/);
  });

  it('writes the defaults out for the provenance, and describes log EI as it always has', () => {
    expect(resolvedAcquisition(undefined)).toEqual({ kind: 'logEI' });
    expect(resolvedAcquisition({ kind: 'UCB', beta: 4 })).toEqual({ kind: 'UCB', kappa: 2, beta: 4 });
    expect(ucbKappa({ kind: 'UCB' })).toBe(2);
    expect(describeAcquisition({ kind: 'logEI' })).toBe('logEI (+ log P(feasible) after failures)');
  });
});

describe('the gradient of an acquisition on a GP', () => {
  const rng = new Rng(5);
  const X = Array.from({ length: 30 }, () => [rng.next(), rng.next()]);
  const gp = new GaussianProcess({ fixed: { lengthscales: [0.25, 0.4], outputscale: 1, noise: 1e-4, mean: 0 } });
  gp.fit(
    X,
    X.map(([a, b]) => Math.sin(5 * a) + b),
  );

  it.each([{ kind: 'logEI' }, { kind: 'EI' }, { kind: 'UCB', kappa: 1.5 }] as AcquisitionChoice[])(
    '$kind: the value of evaluate and a gradient that matches central differences',
    (choice) => {
      const acq = acquisitionFor(choice, gp, 1.2, new Rng(1));
      expect(acq.gradient).toBeDefined();
      const grad = new Float64Array(2);
      for (const x of [
        [0.3, 0.6],
        [0.85, 0.15],
      ]) {
        const v = acq.gradient?.(x, grad) as number;
        expect(Object.is(v, acq.evaluate([x])[0])).toBe(true);
        for (let c = 0; c < 2; c++) {
          const e = 1e-6;
          const up = [...x];
          const down = [...x];
          up[c] += e;
          down[c] -= e;
          const [a, b] = acq.evaluate([up, down]);
          const fd = (a - b) / (2 * e);
          expect(Math.abs(grad[c] - fd)).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd)));
        }
      }
    },
  );

  it('is absent for a model without posterior gradients and for PI, which the search then differentiates numerically', () => {
    expect(acquisitionFor({ kind: 'logEI' }, model, 0, new Rng(1)).gradient).toBeUndefined();
    expect(acquisitionFor({ kind: 'PI' }, gp, 0, new Rng(1)).gradient).toBeUndefined();
  });
});
