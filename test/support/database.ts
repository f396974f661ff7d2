import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

function serverUrl(): string {
  const url = process.env.HAKKEN_TEST_DATABASE_URL;
  if (!url) throw new Error('HAKKEN_TEST_DATABASE_URL is not set: run tests through jest (test/support/global-setup.ts)');
  return url;
}

/** A fresh, empty database on the test server; drop() removes it. */
export async function freshDatabase(): Promise<TestDatabase> {
  const base = new URL(serverUrl());
  const name = `hakken_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: base.toString() });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export function testMqttUrl(): string {
  const url = process.env.HAKKEN_TEST_MQTT_URL;
  if (!url) throw new Error('HAKKEN_TEST_MQTT_URL is not set: run tests through jest (test/support/global-setup.ts)');
  return url;
}

/** True when the suite runs against the real PostgreSQL and broker (CI's second pass). */
export function usingRealServices(): boolean {
  return process.env.HAKKEN_TEST_MODE === 'real';
}
