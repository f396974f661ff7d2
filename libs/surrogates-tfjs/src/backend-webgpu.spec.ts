import { describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from './backend.js';

// Its own file: the selection is once per process (per test file under jest).
describe('selectBackend with webgpu asked for', () => {
  it('runs on the GPU through WebGPU where Dawn finds one, else says why not and falls back to the usual order', async () => {
    const lines: string[] = [];
    const chosen = await selectBackend('webgpu', { env: {}, logger: (l) => lines.push(l) });
    expect(lines).toHaveLength(1);
    if (chosen.name === 'webgpu') {
      expect(chosen.device).toMatch(/^GPU \(WebGPU via Dawn: /);
    } else {
      // Without the optional packages (as in CI), or without a Vulkan GPU driver.
      expect(['tensorflow', 'wasm', 'cpu']).toContain(chosen.name);
      expect(lines[0]).toMatch(
        new RegExp(
          `^TensorFlow.js backend: ${chosen.name} on .* instead of the requested webgpu; not used: webgpu: (webgpu \\(Dawn\\) not installed|Dawn found no GPU adapter|Dawn could not|@tensorflow/tfjs-backend-webgpu not installed)`,
        ),
      );
    }
    expect(tf.getBackend()).toBe(chosen.name);
    const t = tf.mul(tf.tensor1d([1, 2, 3]), 2);
    expect(Array.from(await t.data())).toEqual([2, 4, 6]);
    t.dispose();
  });
});
