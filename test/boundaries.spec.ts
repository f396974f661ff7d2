import { describe, expect, it, beforeAll, afterAll } from '@jest/globals';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The package boundaries (.dependency-cruiser.cjs, run by `npm run lint`) checked on small trees laid out like
// ours: each forbidden import below must fail the check by its rule's name, and the allowed tree must pass.
// Without this, a rule that matches nothing (a mistyped path) would pass CI for ever.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hakken-boundaries-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Lays out `files` (path → source) beside our package.json, tsconfig and node_modules, then runs the check. */
async function cruise(name: string, files: Record<string, string>): Promise<{ code: number; output: string }> {
  const dir = join(work, name);
  await mkdir(dir);
  await copyFile(join(ROOT, 'package.json'), join(dir, 'package.json'));
  await copyFile(join(ROOT, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  for (const [path, source] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), source);
  }
  const roots = [...new Set(Object.keys(files).map((p) => p.split('/')[0]))];
  return new Promise((done) => {
    execFile(
      process.execPath,
      [DEPCRUISE, ...roots, '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'err'],
      { cwd: dir },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

/** The smallest tree that obeys every rule: an app using two libraries by name through their indexes. */
const ALLOWED = {
  'libs/optimizer/src/index.ts': 'export const best = (xs: number[]): number => Math.max(...xs);\n',
  'libs/protocol/src/index.ts': "export const TOPIC = 'hakken/v1';\n",
  'apps/orchestrator/src/main.ts':
    "import { best } from '#optimizer';\nimport { TOPIC } from '#protocol';\nexport const line = `${TOPIC} ${best([1, 2])}`;\n",
};

describe('package boundaries', () => {
  it('pass a tree that imports only what the rules allow', async () => {
    const { code, output } = await cruise('allowed', ALLOWED);
    expect(output).toContain('no dependency violations');
    expect(code).toBe(0);
  });

  it.each([
    [
      'the optimizer importing Nest',
      { 'libs/optimizer/src/index.ts': "import { Injectable } from '@nestjs/common';\nexport const decorate = Injectable;\n" },
      'pure-libraries-no-service-stack',
    ],
    [
      'the optimizer importing the protocol',
      { 'libs/optimizer/src/index.ts': "import { TOPIC } from '#protocol';\nexport const topic = TOPIC;\n" },
      'optimizer-imports-only-random',
    ],
    [
      'the service importing a simulator',
      {
        'simulators/src/index.ts': 'export const startSimRig = (): void => undefined;\n',
        'apps/orchestrator/src/main.ts': "import { startSimRig } from '#simulators';\nexport const start = startSimRig;\n",
      },
      'app-imports-no-rig',
    ],
    [
      'the service reaching past a library index',
      {
        'libs/optimizer/src/space.ts': 'export const DIMENSIONS = 2;\n',
        'apps/orchestrator/src/main.ts':
          "import { DIMENSIONS } from '../../../libs/optimizer/src/space.js';\nexport const d = DIMENSIONS;\n",
      },
      'public-index-only',
    ],
    [
      'a library importing the service',
      {
        'apps/orchestrator/src/config.ts': 'export const PORT = 3000;\n',
        'libs/protocol/src/index.ts': "import { PORT } from '../../../apps/orchestrator/src/config.js';\nexport const port = PORT;\n",
      },
      'nothing-imports-the-app',
    ],
    [
      'two folders of the service importing each other',
      {
        'apps/orchestrator/src/loop/loop.ts':
          "import { device } from '../devices/devices.js';\nexport const loop = (): string => device();\n",
        'apps/orchestrator/src/devices/devices.ts':
          "import { loop } from '../loop/loop.js';\nexport const device = (): string => 'rig';\nexport const again = (): string => loop();\n",
      },
      'no-folder-cycles',
    ],
  ])('fail %s', async (name, files, rule) => {
    const { code, output } = await cruise(name.replaceAll(' ', '-'), { ...ALLOWED, ...files });
    expect(output).toContain(rule);
    expect(code).not.toBe(0);
  });
});
