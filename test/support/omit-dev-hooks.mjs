// Module hooks that make a process see what a production install
// (`npm ci --omit=dev`, the Dockerfile's final stage) would hold: a package
// the lockfile marks as a development dependency (dev: true) cannot be
// resolved, as if absent from node_modules. test/deploy.e2e.spec.ts starts the
// built service under them (NODE_OPTIONS=--import=.../omit-dev.mjs).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const lock = JSON.parse(readFileSync(`${ROOT}package-lock.json`, 'utf8'));
const DEV = new Set(
  Object.entries(lock.packages)
    .filter(([path, entry]) => path !== '' && entry.dev === true)
    .map(([path]) => path),
);

/** `…/node_modules/@scope/name/…` or `…/node_modules/name/…` (nested ones too): its lockfile key. */
function lockKey(url) {
  if (!url.startsWith('file:')) return undefined;
  const path = fileURLToPath(url);
  if (!path.startsWith(ROOT)) return undefined;
  const match = path.slice(ROOT.length).match(/^((?:node_modules\/(?:@[^/]+\/)?[^/]+\/)+)/);
  return match ? match[1].slice(0, -1) : undefined;
}

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const key = lockKey(resolved.url);
  if (key && DEV.has(key)) {
    const error = new Error(`Cannot find package '${specifier}' (a development dependency: left out of a production install)`);
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return resolved;
}
