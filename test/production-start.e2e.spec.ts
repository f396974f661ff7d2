import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { freshDatabase, testMqttUrl } from './support/database.js';
import { Child } from './support/processes.js';

/**
 * `npm run start:prod` (node dist/apps/orchestrator/src/main.js) as a
 * production install runs it: the development dependencies (the embedded
 * PostgreSQL, the in-process broker, the compiler) cannot be loaded
 * (support/omit-dev.mjs hides every package the lockfile marks dev).
 */
const OMIT_DEV = `--import=${resolve(import.meta.dirname, 'support/omit-dev.mjs')}`;
const MAIN = 'dist/apps/orchestrator/src/main.js';

function startProd(env: NodeJS.ProcessEnv): Child {
  return new Child(MAIN, [], { PATH: process.env.PATH, NODE_OPTIONS: OMIT_DEV, PORT: '0', MQTT_PORT: '0', ...env });
}

describe('production start: the built service on production dependencies only', () => {
  it('without DATABASE_URL: one line says the embedded PostgreSQL is not installed and to set DATABASE_URL; exit 1', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'hakken-prod-'));
    try {
      const child = startProd({ HAKKEN_DATA_DIR: dataDir });
      expect(await child.exited).toBe(1);
      expect(child.output).toMatch(/not installed: a development dependency.*Set DATABASE_URL/);
      expect(child.output).not.toMatch(/^\s+at /m);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('without MQTT_URL: one line says the in-process broker is not installed and to set MQTT_URL; exit 1', async () => {
    const db = await freshDatabase();
    try {
      const child = startProd({ DATABASE_URL: db.url });
      expect(await child.exited).toBe(1);
      expect(child.output).toMatch(/in-process MQTT broker is not installed.*Set MQTT_URL/);
      expect(child.output).not.toMatch(/^\s+at /m);
    } finally {
      await db.drop();
    }
  });

  it('with both: starts, logs JSON lines (LOG_FORMAT=json), serves /metrics, and stops on SIGTERM with 0', async () => {
    const db = await freshDatabase();
    const child = startProd({ DATABASE_URL: db.url, MQTT_URL: testMqttUrl(), LOG_FORMAT: 'json', HAKKEN_INSTANCE_ID: 'prod-test' });
    try {
      const [, url] = await child.waitFor(/REST API on (http:\/\/[^/\s]+)\/api/, 30_000);
      const lines = child.output.split('\n').filter(Boolean);
      for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
      const metrics = await fetch(`${url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(/^hakken_database_up 1$/m);
      child.kill('SIGTERM');
      expect(await child.exited).toBe(0);
    } finally {
      await child.stop();
      await db.drop();
    }
  });
});
