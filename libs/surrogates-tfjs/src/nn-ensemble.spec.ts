import { describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '#random';
import { selectBackend } from './backend.js';
import { NeuralEnsemble, type NeuralEnsembleOptions } from './nn-ensemble.js';

const tiny: NeuralEnsembleOptions = { members: 3, hidden: [8, 8], minSteps: 30, maxSteps: 30, seed: 5, logger: () => {} };

function data(n: number, d: number): { X: number[][]; y: number[] } {
  const rng = new Rng(3);
  const X = Array.from({ length: n }, () => Array.from({ length: d }, () => rng.next()));
  return { X, y: X.map((x) => x.reduce((a, b, j) => a + Math.sin(3 * b + j), 0)) };
}

describe('NeuralEnsemble', () => {
  it('leaves no tensor behind after fit and posterior', async () => {
    const { X, y } = data(50, 3);
    await selectBackend(undefined, { logger: () => {} }); // initialise the backend first
    const before = tf.memory().numTensors;
    const model = new NeuralEnsemble(tiny);
    await model.fit(X, y);
    model.posterior(X);
    model.posterior(X.slice(0, 5));
    await model.posteriorAsync(X);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reads the same posterior asynchronously (the only read WebGPU has), chunk by chunk', async () => {
    const { X, y } = data(40, 2);
    const model = new NeuralEnsemble({ ...tiny, predictChunk: 7 });
    await model.fit(X, y);
    const sync = model.posterior(X);
    const async = await model.posteriorAsync(X);
    expect(Array.from(async.mean)).toEqual(Array.from(sync.mean));
    expect(Array.from(async.variance)).toEqual(Array.from(sync.variance));
    await expect(new NeuralEnsemble(tiny).posteriorAsync(X)).rejects.toThrow(/fit before asking for a posterior/);
  });

  it('gives the same posterior whatever the prediction chunk', async () => {
    const { X, y } = data(40, 2);
    const whole = new NeuralEnsemble(tiny);
    const chunked = new NeuralEnsemble({ ...tiny, predictChunk: 7 });
    await whole.fit(X, y);
    await chunked.fit(X, y);
    const a = whole.posterior(X);
    const b = chunked.posterior(X);
    expect(Array.from(b.mean)).toEqual(Array.from(a.mean));
    expect(Array.from(b.variance)).toEqual(Array.from(a.variance));
  });

  it('splits the variance: total = noise estimate + disagreement ≥ disagreement', async () => {
    const { X, y } = data(40, 2);
    const total = new NeuralEnsemble(tiny);
    const epistemic = new NeuralEnsemble({ ...tiny, variance: 'epistemic' });
    await total.fit(X, y);
    await epistemic.fit(X, y);
    const a = total.posterior(X);
    const b = epistemic.posterior(X);
    expect(Array.from(b.mean)).toEqual(Array.from(a.mean));
    for (let i = 0; i < X.length; i++) expect(a.variance[i]).toBeGreaterThan(b.variance[i]);
  });

  it('records what produced it', async () => {
    const { X, y } = data(20, 2);
    const model = new NeuralEnsemble(tiny);
    await model.fit(X, y);
    expect(model.description).toMatchObject({ members: 3, hidden: [8, 8], steps: 30, backend: { name: tf.getBackend() } });
  });

  it('refuses bad settings and non-finite data', async () => {
    expect(() => new NeuralEnsemble({ members: 0 })).toThrow(/members must be a positive integer/);
    expect(() => new NeuralEnsemble({ minSteps: 10, maxSteps: 5 })).toThrow(/minSteps ≤ maxSteps/);
    await expect(new NeuralEnsemble(tiny).fit([[0], [1]], [0, Number.NaN])).rejects.toThrow(/outcome 1 is NaN/);
  });
});
