// `node scripts/run-built.mjs dist/<entry>.js [args...]`: runs a built entry point, compiling
// first only when a source is newer than the last build (so `npm run simulate -- --help` answers
// at once once built). `--build` always compiles; `--stale` compiles only when needed, runs nothing.
// Plain JavaScript: it must run before anything is built.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Written after each successful build, with the time the build started. */
const stamp = join(root, 'dist', '.built');
const SOURCE_DIRS = ['apps', 'libs', 'devices', 'simulators', 'bench'];
const SOURCE_FILE = /\.(ts|mts|cts|json)$/;
const CONFIG_FILES = ['package.json', 'tsconfig.json', 'tsconfig.build.json'];

/** Whether any source or build setting changed after the last build (the first file found is enough). */
function sourcesNewerThan(time) {
  const newer = (file) => statSync(file).mtimeMs > time;
  if (CONFIG_FILES.some((f) => newer(join(root, f)))) return true;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'out' && entry.name !== 'results' && walk(path)) return true;
      } else if (SOURCE_FILE.test(entry.name) && newer(path)) return true;
    }
    return false;
  };
  return SOURCE_DIRS.some((d) => existsSync(join(root, d)) && walk(join(root, d)));
}

function build() {
  const started = new Date();
  // Everything on stderr: stdout may carry a protocol (npm run asktell).
  process.stderr.write('building (tsc -p tsconfig.build.json)...\n');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: ['ignore', 2, 2] });
  if (result.status !== 0) process.exit(result.status ?? 1);
  // The start time, so that a source saved during the build counts as newer.
  writeFileSync(stamp, `${started.toISOString()}\n`);
  utimesSync(stamp, started, started);
}

const stale = () => !existsSync(stamp) || sourcesNewerThan(statSync(stamp).mtimeMs);
const [target, ...args] = process.argv.slice(2);
if (target === '--build') {
  build();
} else if (target === '--stale') {
  if (stale()) build();
} else if (!target) {
  process.stderr.write('usage: node scripts/run-built.mjs dist/<entry>.js [args...] | --build | --stale\n');
  process.exit(2);
} else {
  const entry = resolve(root, target);
  if (!existsSync(entry) || stale()) build();
  // The entry runs in this process, as if started directly: `node <entry> args...`.
  process.argv = [process.argv[0], entry, ...args];
  await import(pathToFileURL(entry).href);
}
