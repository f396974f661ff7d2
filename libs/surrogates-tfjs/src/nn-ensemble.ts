/**
 * A deep ensemble (Lakshminarayanan, Pritzel & Blundell, "Simple and scalable
 * predictive uncertainty estimation using deep ensembles", NeurIPS 2017) as a
 * surrogate: M small MLPs, each from its own seeded initialisation and its own
 * order of mini-batches, each predicting a mean μ_m(x) and a variance
 * σ²_m(x) = softplus(s_m(x)) + floor, trained by the Gaussian negative
 * log-likelihood ½ (log σ² + (y − μ)² / σ²) with Adam on standardised inputs
 * and outcomes. The members are combined as a uniform mixture:
 *   mean = E_m[μ_m(x)],  variance = E_m[σ²_m(x)] + Var_m[μ_m(x)].
 * The first term is the members' estimate of the observation noise, the
 * second their disagreement (epistemic); `variance: 'epistemic'` keeps only
 * the second, which is what the Surrogate interface's "noise excluded" asks.
 *
 * The members are trained together as batched matrix products ([M, B, ·]), so
 * one step costs a few dozen tensor ops whatever M is. Training is by
 * mini-batches with a step budget scaled to N and bounded, so fitting tens of
 * thousands of observations stays in seconds. All tensors are freed after fit
 * and after each posterior (weights are kept as Float32Arrays), so a dropped
 * model leaks nothing. Initial weights and batch orders come from the seeded
 * Rng, so a seed reproduces a fit on a given backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '#random';
import type { Posterior, Surrogate } from '#optimizer';
import { type BackendName, type BackendSelection, selectBackend } from './backend.js';

export type Activation = 'relu' | 'tanh';

export interface NeuralEnsembleOptions {
  /** Ensemble members. Default 5. */
  members?: number;
  /** Hidden layer widths. Default [64, 64]. */
  hidden?: number[];
  /** Default 'relu' (as in the paper). */
  activation?: Activation;
  /** Mini-batch size per member (at most N). Default 256. */
  batchSize?: number;
  /** Passes over the data aimed for; the step count is then clamped to [minSteps, maxSteps]. Default 50. */
  epochs?: number;
  /** Default 500: small data sets still get enough steps. */
  minSteps?: number;
  /** Default 2000: bounds the fit time on large data sets. */
  maxSteps?: number;
  /** Adam's initial learning rate, decayed by a cosine schedule to 5 % of it. Default 3e-3. */
  learningRate?: number;
  /** Smallest member variance, in standardised outcome units. Default 1e-4. */
  varianceFloor?: number;
  /** 'total' (default): noise estimate plus disagreement; 'epistemic': disagreement only. */
  variance?: 'total' | 'epistemic';
  /** Points per posterior chunk (bounds memory). Default 8192. */
  predictChunk?: number;
  seed?: number;
  /** Preferred TensorFlow.js backend, passed to selectBackend on the first fit of the process. */
  backend?: BackendName;
  /** Receives the backend selection line. */
  logger?: (line: string) => void;
}

type Resolved = Required<Omit<NeuralEnsembleOptions, 'backend' | 'logger'>> & Pick<NeuralEnsembleOptions, 'backend' | 'logger'>;

/** One dense layer for all members: weights [M, in, out] and biases [M, 1, out], row-major. */
interface Layer {
  inputs: number;
  outputs: number;
  weights: Float32Array;
  bias: Float32Array;
}

interface Fitted {
  layers: Layer[];
  dim: number;
  xShift: Float64Array;
  xScale: Float64Array;
  yShift: number;
  yScale: number;
  steps: number;
  backend: BackendSelection;
}

/** Adam whose learning rate can be changed between steps (tfjs reads it at each update). */
class ScheduledAdam extends tf.AdamOptimizer {
  setLearningRate(rate: number): void {
    this.learningRate = rate;
  }
}

/** softplus⁻¹(1): the output bias that starts every member at unit variance. */
const UNIT_VARIANCE_BIAS = Math.log(Math.E - 1);

export class NeuralEnsemble implements Surrogate {
  private readonly o: Resolved;
  private fitted: Fitted | undefined;

  constructor(options: NeuralEnsembleOptions = {}) {
    this.o = {
      members: options.members ?? 5,
      hidden: options.hidden ?? [64, 64],
      activation: options.activation ?? 'relu',
      batchSize: options.batchSize ?? 256,
      epochs: options.epochs ?? 50,
      minSteps: options.minSteps ?? 500,
      maxSteps: options.maxSteps ?? 2000,
      learningRate: options.learningRate ?? 3e-3,
      varianceFloor: options.varianceFloor ?? 1e-4,
      variance: options.variance ?? 'total',
      predictChunk: options.predictChunk ?? 8192,
      seed: options.seed ?? 0,
      backend: options.backend,
      logger: options.logger,
    };
    const o = this.o;
    if (!Number.isInteger(o.members) || o.members < 1)
      throw new Error(`neural ensemble: members must be a positive integer (got ${o.members})`);
    if (o.hidden.length === 0 || o.hidden.some((h) => !Number.isInteger(h) || h < 1))
      throw new Error(`neural ensemble: hidden widths must be positive integers (got [${o.hidden.join(', ')}])`);
    if (!(o.minSteps >= 1 && o.maxSteps >= o.minSteps))
      throw new Error(`neural ensemble: need 1 ≤ minSteps ≤ maxSteps (got ${o.minSteps}, ${o.maxSteps})`);
    if (!(o.batchSize >= 1 && o.learningRate > 0 && o.varianceFloor > 0 && o.predictChunk >= 1))
      throw new Error('neural ensemble: batchSize, learningRate, varianceFloor and predictChunk must be positive');
  }

  /** Settings and training facts, for the provenance recorded with a proposal. */
  get description(): Record<string, unknown> {
    const { logger: _logger, backend: preferredBackend, ...settings } = this.o;
    return {
      model: 'deep ensemble (Gaussian NLL, Adam)',
      ...settings,
      preferredBackend,
      steps: this.fitted?.steps,
      backend: this.fitted?.backend,
    };
  }

  async fit(X: number[][], y: number[]): Promise<void> {
    const n = X.length;
    if (n === 0 || n !== y.length)
      throw new Error(`neural ensemble: need as many outcomes as points (got ${n} points, ${y.length} outcomes)`);
    const d = X[0].length;
    if (d === 0) throw new Error('neural ensemble: points have no coordinates');
    X.forEach((x, i) => {
      if (x.length !== d) throw new Error(`neural ensemble: point ${i} has ${x.length} coordinates, expected ${d}`);
      if (!x.every(Number.isFinite)) throw new Error(`neural ensemble: point ${i} has a non-finite coordinate`);
    });
    y.forEach((v, i) => {
      if (!Number.isFinite(v)) throw new Error(`neural ensemble: outcome ${i} is ${v}`);
    });
    const backend = await selectBackend(this.o.backend, { logger: this.o.logger });

    const { shift: xShift, scale: xScale } = columnStandardisation(X, d);
    const xs = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) xs[i * d + j] = (X[i][j] - xShift[j]) / xScale[j];
    const [yShift, yScale] = standardisation(y);
    const ys = Float32Array.from(y, (v) => (v - yShift) / yScale);

    const rng = new Rng(this.o.seed);
    const initial = this.initialise(d, rng.fork());
    const batch = Math.min(n, this.o.batchSize);
    const steps = Math.min(this.o.maxSteps, Math.max(this.o.minSteps, Math.ceil((this.o.epochs * n) / batch)));
    const layers = await this.train(initial, xs, ys, n, d, batch, steps, rng.fork());
    this.fitted = { layers, dim: d, xShift, xScale, yShift, yScale, steps, backend };
  }

  /**
   * Mean and variance at each point, read back synchronously. Not on the
   * webgpu backend, which reads asynchronously only: use posteriorAsync there
   * (CandidateStrategy does, on every backend).
   */
  posterior(X: number[][]): Posterior {
    const f = this.require();
    if (f.backend.name === 'webgpu')
      throw new Error('neural ensemble: the webgpu backend reads results asynchronously only: call posteriorAsync, not posterior');
    const parts = this.predict(f, X);
    try {
      return this.assemble(
        f,
        X.length,
        parts,
        parts.map((part) => part.out.dataSync()),
      );
    } finally {
      tf.dispose(parts.map((part) => part.out));
    }
  }

  /** The same as posterior, read back asynchronously: works on every backend, webgpu included. */
  async posteriorAsync(X: number[][]): Promise<Posterior> {
    const f = this.require();
    const parts = this.predict(f, X);
    try {
      return this.assemble(f, X.length, parts, await Promise.all(parts.map((part) => part.out.data())));
    } finally {
      tf.dispose(parts.map((part) => part.out));
    }
  }

  private require(): Fitted {
    if (!this.fitted) throw new Error('neural ensemble: fit before asking for a posterior');
    return this.fitted;
  }

  /** Queues the forward pass, chunk by chunk: each chunk's output is [2, c] (mixture mean, variance), standardised. */
  private predict(f: Fitted, X: number[][]): { start: number; c: number; out: tf.Tensor }[] {
    const M = this.o.members;
    const first = f.layers[0];
    // The first layer for all members at once: [d, M·H] (so the input is not copied M times).
    const w0 = new Float32Array(first.inputs * M * first.outputs);
    for (let k = 0; k < M; k++)
      for (let i = 0; i < first.inputs; i++)
        for (let j = 0; j < first.outputs; j++)
          w0[i * M * first.outputs + k * first.outputs + j] = first.weights[(k * first.inputs + i) * first.outputs + j];
    const weights = tf.tidy(() => [
      tf.tensor2d(w0, [first.inputs, M * first.outputs]),
      tf.tensor2d(first.bias, [1, M * first.outputs]),
      ...f.layers.slice(1).flatMap((l) => [tf.tensor3d(l.weights, [M, l.inputs, l.outputs]), tf.tensor3d(l.bias, [M, 1, l.outputs])]),
    ]);
    const parts: { start: number; c: number; out: tf.Tensor }[] = [];
    try {
      for (let start = 0; start < X.length; start += this.o.predictChunk) {
        const c = Math.min(this.o.predictChunk, X.length - start);
        const xs = new Float32Array(c * f.dim);
        for (let p = 0; p < c; p++) {
          const x = X[start + p];
          if (x.length !== f.dim)
            throw new Error(`neural ensemble: point ${start + p} has ${x.length} coordinates, the model was fitted on ${f.dim}`);
          for (let j = 0; j < f.dim; j++) xs[p * f.dim + j] = (x[j] - f.xShift[j]) / f.xScale[j];
        }
        // The caller reads the output after tidy: dataSync inside it makes every op synchronous and slow.
        const out = tf.tidy(() => {
          const h0 = this.act(tf.add(tf.matMul(tf.tensor2d(xs, [c, f.dim]), weights[0]), weights[1]));
          const h = tf.transpose<tf.Tensor3D>(tf.reshape(h0, [c, M, first.outputs]), [1, 0, 2]);
          const { mu, sigma2 } = this.head(this.forward(h, weights.slice(2)));
          const { mean: mixMean, variance: spread } = tf.moments(mu, 0);
          const total = this.o.variance === 'total' ? tf.add(spread, tf.mean(sigma2, 0)) : spread;
          return tf.stack([mixMean, total]);
        });
        parts.push({ start, c, out });
      }
    } catch (error) {
      tf.dispose(parts.map((part) => part.out));
      throw error;
    } finally {
      tf.dispose(weights);
    }
    return parts;
  }

  /** The posterior from each chunk's read-back output (values[k] belongs to parts[k]), in the outcome's units. */
  private assemble(f: Fitted, m: number, parts: { start: number; c: number }[], values: ArrayLike<number>[]): Posterior {
    const mean = new Float64Array(m);
    const variance = new Float64Array(m);
    const s2 = f.yScale * f.yScale;
    for (const [k, { start, c }] of parts.entries()) {
      const v = values[k];
      for (let p = 0; p < c; p++) {
        mean[start + p] = f.yShift + f.yScale * v[p];
        variance[start + p] = s2 * Math.max(v[c + p], 0);
      }
    }
    return { mean, variance };
  }

  private initialise(d: number, rng: Rng): Layer[] {
    const M = this.o.members;
    const widths = [d, ...this.o.hidden, 2];
    const layers: Layer[] = [];
    for (let l = 0; l + 1 < widths.length; l++) {
      const [inputs, outputs] = [widths[l], widths[l + 1]];
      const weights = new Float32Array(M * inputs * outputs);
      const bias = new Float32Array(M * outputs);
      const last = l + 2 === widths.length;
      // He initialisation for ReLU, Glorot for tanh; the output layer starts small.
      const scale = last
        ? 0.1 / Math.sqrt(inputs)
        : this.o.activation === 'relu'
          ? Math.sqrt(2 / inputs)
          : Math.sqrt(2 / (inputs + outputs));
      for (let k = 0; k < M; k++) {
        const member = rng.fork();
        for (let i = 0; i < inputs * outputs; i++) weights[k * inputs * outputs + i] = scale * member.normal();
        if (last) bias[k * outputs + 1] = UNIT_VARIANCE_BIAS;
      }
      layers.push({ inputs, outputs, weights, bias });
    }
    return layers;
  }

  private async train(
    initial: Layer[],
    xs: Float32Array,
    ys: Float32Array,
    n: number,
    d: number,
    batch: number,
    steps: number,
    rng: Rng,
  ): Promise<Layer[]> {
    const M = this.o.members;
    // Inside tidy, so the initial-value tensors are freed (tidy never disposes variables).
    const vars = tf.tidy(() =>
      initial.flatMap((l) => [
        tf.variable(tf.tensor3d(l.weights, [M, l.inputs, l.outputs])),
        tf.variable(tf.tensor3d(l.bias, [M, 1, l.outputs])),
      ]),
    );
    const X = tf.tensor2d(xs, [n, d]);
    const Y = tf.tensor1d(ys);
    const optimizer = new ScheduledAdam(this.o.learningRate, 0.9, 0.999, 1e-7);
    try {
      const orders = Array.from({ length: M }, () => ({ rng: rng.fork(), perm: Int32Array.from({ length: n }, (_, i) => i), cursor: n }));
      const index = new Int32Array(M * batch);
      for (let step = 0; step < steps; step++) {
        for (let k = 0; k < M; k++) {
          const o = orders[k];
          if (o.cursor + batch > n) {
            shuffle(o.perm, o.rng);
            o.cursor = 0;
          }
          index.set(o.perm.subarray(o.cursor, o.cursor + batch), k * batch);
          o.cursor += batch;
        }
        optimizer.setLearningRate(this.o.learningRate * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * step) / steps))));
        const idx = tf.tensor1d(index, 'int32');
        const grads = tf.tidy(() => this.gradients(X, Y, idx, batch, d, vars));
        idx.dispose();
        optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
        tf.dispose(Object.values(grads));
      }
      // Read back asynchronously: the webgpu backend has no synchronous read.
      const values = await Promise.all(vars.map((v) => v.data()));
      return initial.map((l, i) => ({
        ...l,
        weights: Float32Array.from(values[2 * i] as Float32Array),
        bias: Float32Array.from(values[2 * i + 1] as Float32Array),
      }));
    } finally {
      optimizer.dispose();
      tf.dispose([X, Y, ...vars]);
    }
  }

  /**
   * Gradients of the loss (the sum over members of each member's mean
   * Gaussian NLL on its own mini-batch) by hand-written back-propagation:
   * tfjs-core alone registers no gradient functions (the umbrella package
   * does), and an MLP's backward pass is a few matrix products.
   */
  private gradients(X: tf.Tensor2D, Y: tf.Tensor1D, idx: tf.Tensor1D, batch: number, d: number, vars: tf.Variable[]): tf.NamedTensorMap {
    const M = this.o.members;
    const layers = vars.length / 2;
    // Forward, keeping each layer's input and pre-activation.
    const inputs: tf.Tensor3D[] = [tf.reshape(tf.gather(X, idx), [M, batch, d])];
    const pre: tf.Tensor3D[] = [];
    for (let l = 0; l < layers; l++) {
      const z = tf.add<tf.Tensor3D>(tf.matMul(inputs[l], vars[2 * l]), vars[2 * l + 1]);
      pre.push(z);
      if (l + 1 < layers) inputs.push(this.act(z));
    }
    const yb = tf.reshape(tf.gather(Y, idx), [M, batch]);
    const [mu, s] = tf.unstack(pre[layers - 1], 2);
    const v = tf.add(tf.softplus(s), this.o.varianceFloor);
    const r = tf.sub(mu, yb);
    // ℓ = ½ (log v + r²/v) averaged over the batch: ∂ℓ/∂μ = r/v, ∂ℓ/∂v = ½ (1/v − r²/v²), ∂v/∂s = sigmoid(s).
    const c = 1 / batch;
    const dMu = tf.mul(tf.div(r, v), c);
    const dV = tf.mul(tf.sub(tf.reciprocal(v), tf.div(tf.square(r), tf.square(v))), 0.5 * c);
    let g = tf.stack([dMu, tf.mul(dV, tf.sigmoid(s))], 2) as tf.Tensor3D;
    const grads: tf.NamedTensorMap = {};
    for (let l = layers - 1; l >= 0; l--) {
      grads[vars[2 * l].name] = tf.matMul(inputs[l], g, true, false);
      grads[vars[2 * l + 1].name] = tf.sum(g, 1, true);
      if (l > 0) g = tf.mul(tf.matMul(g, vars[2 * l] as tf.Tensor3D, false, true), this.actDerivative(pre[l - 1], inputs[l]));
    }
    return grads;
  }

  /** Dense layers (activation between them, none after the last): [M, B, in] → [M, B, 2]. */
  private forward(h: tf.Tensor3D, weights: tf.Tensor[]): tf.Tensor3D {
    let out = h;
    const layers = weights.length / 2;
    for (let l = 0; l < layers; l++) {
      out = tf.add<tf.Tensor3D>(tf.matMul(out, weights[2 * l]), weights[2 * l + 1]);
      if (l + 1 < layers) out = this.act(out);
    }
    return out;
  }

  private head(out: tf.Tensor3D): { mu: tf.Tensor2D; sigma2: tf.Tensor2D } {
    const [mu, s] = tf.unstack(out, 2) as tf.Tensor2D[];
    return { mu, sigma2: tf.add(tf.softplus(s), this.o.varianceFloor) };
  }

  private act<T extends tf.Tensor>(x: T): T {
    return this.o.activation === 'relu' ? tf.relu(x) : tf.tanh(x);
  }

  /** act′ at pre-activation z, given a = act(z). */
  private actDerivative(z: tf.Tensor3D, a: tf.Tensor3D): tf.Tensor3D {
    return this.o.activation === 'relu' ? tf.step(z, 0) : tf.sub(1, tf.square(a));
  }
}

function standardisation(v: readonly number[]): [number, number] {
  const n = v.length;
  let mean = 0;
  for (const a of v) mean += a;
  mean /= n;
  let ss = 0;
  for (const a of v) ss += (a - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  return [mean, sd > 1e-12 * Math.max(1, Math.abs(mean)) ? sd : 1];
}

function columnStandardisation(X: number[][], d: number): { shift: Float64Array; scale: Float64Array } {
  const shift = new Float64Array(d);
  const scale = new Float64Array(d);
  for (let j = 0; j < d; j++) [shift[j], scale[j]] = standardisation(X.map((x) => x[j]));
  return { shift, scale };
}

function shuffle(a: Int32Array, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}
