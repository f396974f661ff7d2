/**
 * Chooses the TensorFlow.js backend once per process, in order of speed:
 *
 *  1. `tensorflow`: the native libtensorflow binding, from
 *     `@tensorflow/tfjs-node-gpu` (CUDA) or else `@tensorflow/tfjs-node`.
 *     Both download libtensorflow at install and are optional: they are
 *     imported dynamically and their absence is the usual case.
 *  2. `wasm` (with SIMD where the runtime has it; wasm threads do not work in
 *     Node): 5–20× faster than `cpu` on our machines.
 *  3. `cpu`: pure JavaScript, always there.
 *
 * `webgpu` is chosen only when asked for (`HAKKEN_TF_BACKEND=webgpu`):
 * `@tensorflow/tfjs-backend-webgpu` on Dawn, Google's WebGPU implementation,
 * through the `webgpu` package, which carries its binaries inside the npm
 * package (nothing is downloaded at install; install both with
 * `npm install --no-save webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0`).
 * On Linux it drives the GPU through Vulkan: it needs the Vulkan loader
 * (libvulkan1) and the GPU driver's Vulkan ICD. On an H100 it ran the
 * ensemble with the same accuracy as wasm and scored 100,000 candidates
 * 27–57× faster, but its fit of 1,000 points took twice as long (about 60 ms per
 * training step whatever the data size: per-operation overhead), so it is
 * not picked on its own; see BENCHMARKS.md.
 * WebGPU reads results back asynchronously only (`data()`, not `dataSync()`):
 * see NeuralEnsemble.posteriorAsync.
 *
 * `tf.setBackend` resolves to false when a backend fails to initialise and
 * later ops then throw, so every attempt is checked and the next one tried
 * explicitly. TensorFlow.js has one global engine per process, so the choice
 * is process-wide: the first selection is kept and later calls return it.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfWasm from '@tensorflow/tfjs-backend-wasm';

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

/** The backends tried when none is asked for, best first (webgpu only on request: see the file comment). */
const AUTOMATIC: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

export interface BackendSelection {
  /** The TensorFlow.js backend now active: 'tensorflow', 'webgpu', 'wasm' or 'cpu'. */
  name: string;
  /** What it runs on, in words: "GPU (CUDA)", "CPU (WebAssembly SIMD)", ... */
  device: string;
}

export interface SelectBackendOptions {
  /** Receives one line describing the choice (and any failed attempt). Default: stderr. */
  logger?: (line: string) => void;
  /** Where `HAKKEN_TF_BACKEND` is read from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Which native packages to try, best first. */
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

let selection: Promise<BackendSelection> | undefined;

/**
 * Selects (once) and returns the backend TensorFlow.js runs on. `preferred`,
 * or else the environment variable `HAKKEN_TF_BACKEND`, forces a backend; if
 * the forced one cannot start, the remaining ones are tried in the usual
 * order and the log says why.
 */
export function selectBackend(preferred?: BackendName, options: SelectBackendOptions = {}): Promise<BackendSelection> {
  if (!selection) {
    const attempt = choose(preferred, options);
    // A failed selection (no backend at all) is not cached, so a later call can try again.
    attempt.catch(() => (selection = undefined));
    selection = attempt;
  }
  return selection;
}

async function choose(preferred: BackendName | undefined, options: SelectBackendOptions): Promise<BackendSelection> {
  const log = options.logger ?? ((line: string) => process.stderr.write(`${line}\n`));
  const forced = preferred ?? parseForced((options.env ?? process.env).HAKKEN_TF_BACKEND);
  const order: BackendName[] = forced ? [forced, ...AUTOMATIC.filter((b) => b !== forced)] : [...AUTOMATIC];
  const failures: string[] = [];
  for (const name of order) {
    const result = await tryBackend(name);
    if ('reason' in result) {
      failures.push(`${name}: ${result.reason}`);
      continue;
    }
    const forcedNote = forced && forced !== name ? ` instead of the requested ${forced}` : '';
    const why = failures.length > 0 ? `; not used: ${failures.join('; ')}` : '';
    log(`TensorFlow.js backend: ${name} on ${result.device}${forcedNote}${why}`);
    return { name, device: result.device };
  }
  throw new Error(`no TensorFlow.js backend could start: ${failures.join('; ')}`);
}

function parseForced(value: string | undefined): BackendName | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim().toLowerCase();
  if ((BACKEND_NAMES as readonly string[]).includes(v)) return v as BackendName;
  throw new Error(`HAKKEN_TF_BACKEND is "${value}": expected one of ${BACKEND_NAMES.join(', ')}`);
}

type Attempt = { device: string } | { reason: string };

async function tryBackend(name: BackendName): Promise<Attempt> {
  switch (name) {
    case 'tensorflow':
      return tryNative();
    case 'webgpu':
      return tryWebGpu();
    case 'wasm':
      return tryWasm();
    case 'cpu': {
      const failure = await activate('cpu');
      return failure ? { reason: failure } : { device: 'CPU (pure JavaScript)' };
    }
    default:
      return assertNever(name);
  }
}

async function tryNative(): Promise<Attempt> {
  const missing: string[] = [];
  for (const pkg of NATIVE_PACKAGES) {
    try {
      // A variable specifier: the packages are optional and absent from the type graph.
      const specifier: string = pkg;
      await import(specifier);
    } catch (error) {
      missing.push(isModuleNotFound(error) ? `${pkg} not installed` : `${pkg} failed to load: ${message(error)}`);
      continue;
    }
    const failure = await activate('tensorflow');
    if (failure) {
      missing.push(`${pkg} loaded but ${failure}`);
      continue;
    }
    return { device: nativeDevice(pkg) };
  }
  return { reason: missing.join(', ') };
}

/** The native backend says whether libtensorflow found a GPU (`isUsingGpuDevice`). */
function nativeDevice(pkg: string): string {
  const backend: object = tf.backend();
  const gpu = 'isUsingGpuDevice' in backend && backend.isUsingGpuDevice === true;
  return gpu ? `GPU (CUDA, via ${pkg})` : `CPU (libtensorflow, via ${pkg})`;
}

/** How long Dawn may take to enumerate adapters before WebGPU counts as absent. */
const ADAPTER_TIMEOUT_MS = 15_000;

interface DawnModule {
  create(flags: string[]): { requestAdapter(options?: object): Promise<DawnAdapter | null> };
  globals: Record<string, unknown>;
}
interface DawnAdapter {
  info?: { vendor?: string; device?: string; description?: string };
}

async function tryWebGpu(): Promise<Attempt> {
  let dawn: DawnModule;
  try {
    const specifier: string = 'webgpu';
    dawn = (await import(specifier)) as DawnModule;
  } catch (error) {
    return { reason: isModuleNotFound(error) ? 'webgpu (Dawn) not installed' : `webgpu (Dawn) failed to load: ${message(error)}` };
  }
  let gpu: ReturnType<DawnModule['create']>;
  let adapter: DawnAdapter | null | 'timed out';
  let timer: NodeJS.Timeout | undefined;
  try {
    gpu = dawn.create([]);
    const timeout = new Promise<'timed out'>((resolve) => {
      timer = setTimeout(() => resolve('timed out'), ADAPTER_TIMEOUT_MS);
    });
    adapter = await Promise.race([gpu.requestAdapter({ powerPreference: 'high-performance' }), timeout]);
  } catch (error) {
    return { reason: `Dawn could not enumerate GPUs: ${message(error)}` };
  } finally {
    // Also when the request fails: a pending timer would keep the process alive.
    clearTimeout(timer);
  }
  if (adapter === 'timed out') return { reason: `Dawn did not answer a request for a GPU adapter within ${ADAPTER_TIMEOUT_MS / 1000} s` };
  if (!adapter) return { reason: 'Dawn found no GPU adapter (no Vulkan driver for a GPU here)' };
  try {
    const specifier: string = '@tensorflow/tfjs-backend-webgpu';
    // TensorFlow.js looks for the browser's globals: navigator.gpu and the GPU* constants.
    for (const [name, value] of Object.entries(dawn.globals)) if (!(name in globalThis)) Object.assign(globalThis, { [name]: value });
    const g = globalThis as { navigator?: { gpu?: unknown } };
    if (g.navigator === undefined) Object.assign(globalThis, { navigator: { gpu } });
    else if (g.navigator.gpu === undefined) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    await import(specifier);
  } catch (error) {
    return {
      reason: isModuleNotFound(error)
        ? '@tensorflow/tfjs-backend-webgpu not installed'
        : `its TensorFlow.js backend failed to load: ${message(error)}`,
    };
  }
  const failure = await activate('webgpu');
  if (failure) return { reason: failure };
  const info = adapter.info ?? {};
  const name = [info.vendor, info.device].filter((v) => v).join(' ') || info.description || 'unnamed adapter';
  return { device: `GPU (WebGPU via Dawn: ${name})` };
}

async function tryWasm(): Promise<Attempt> {
  try {
    const require = createRequire(import.meta.url);
    // The package's main file lies in dist/, next to the .wasm binaries.
    tfWasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  } catch (error) {
    return { reason: `could not locate its .wasm files: ${message(error)}` };
  }
  const failure = await activate('wasm');
  if (failure) return { reason: failure };
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const kind = `WebAssembly${simd ? ' SIMD' : ' without SIMD'}${threads ? ', threaded' : ', single thread'}`;
  return { device: `CPU (${kind})` };
}

/**
 * Makes `name` the active backend; returns why it could not (setBackend
 * resolves false, or throws, when the backend fails to initialise), or
 * undefined on success.
 */
async function activate(name: string): Promise<string | undefined> {
  try {
    if (!(await tf.setBackend(name))) return `setBackend("${name}") returned false`;
    await tf.ready();
  } catch (error) {
    return `setBackend("${name}") failed: ${message(error)}`;
  }
  const active = tf.getBackend();
  return active === name ? undefined : `setBackend("${name}") left "${active}" active`;
}

function isModuleNotFound(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function assertNever(value: never): never {
  throw new Error(`unknown backend ${String(value)}`);
}
