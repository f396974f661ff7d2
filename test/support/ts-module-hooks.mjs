// Module hooks for specs that start a worker thread on TypeScript sources
// (apps/orchestrator/src/compute/strategy-pool.spec.ts): they compile the worker
// and its imports with SWC and the settings jest uses, so the spec runs the
// worker on the same code it compares with. The service never loads this:
// built, it runs dist/'s strategy-worker.js.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { transformSync } from '@swc/core';
import { swcOptions as swc } from './swc-options.mjs';

/** Sources import each other with `.js` suffixes (NodeNext); without a build, the file is the `.ts` one. */
/** Package names (#optimizer, ...) resolve to their sources through the "source" condition of package.json "imports". */
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('#')) return next(specifier, { ...context, conditions: ['source', ...context.conditions] });
  try {
    return await next(specifier, context);
  } catch (e) {
    if (specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) return next(`${specifier.slice(0, -3)}.ts`, context);
    throw e;
  }
}

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const filename = fileURLToPath(url);
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...swc, filename });
  return { format: 'module', source: code, shortCircuit: true };
}
