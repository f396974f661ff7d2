import { describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from './backend.js';

describe('selectBackend', () => {
  it('refuses an unknown HAKKEN_TF_BACKEND with the accepted names', async () => {
    await expect(selectBackend(undefined, { env: { HAKKEN_TF_BACKEND: 'webgl' }, logger: () => {} })).rejects.toThrow(
      /HAKKEN_TF_BACKEND is "webgl": expected one of tensorflow, webgpu, wasm, cpu/,
    );
  });

  it('falls back past the absent native packages, logs once, and keeps the first selection', async () => {
    const lines: string[] = [];
    const first = await selectBackend(undefined, { env: {}, logger: (l) => lines.push(l) });
    // tfjs-node(-gpu) cannot install here: wasm (or cpu, were wasm to fail) is what runs.
    expect(['tensorflow', 'wasm', 'cpu']).toContain(first.name);
    expect(tf.getBackend()).toBe(first.name);
    expect(first.device).toMatch(/CPU|GPU/);
    const again = await selectBackend('cpu', { logger: (l) => lines.push(l) });
    expect(again).toBe(first);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^TensorFlow.js backend: ${first.name} on `));
    // Ops work on the selected backend.
    const t = tf.add(tf.tensor1d([1, 2]), 1);
    expect(Array.from(t.dataSync())).toEqual([2, 3]);
    t.dispose();
  });
});
