// Runs before all suites, outside Jest's module system, on the build output (`npm test` builds first).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedBroker } from '../../dist/libs/broker/src/index.js';
import { startEmbeddedPostgres } from '../../dist/libs/persistence/src/index.js';

/**
 * One database server and one broker for the whole run: the real ones when
 * DATABASE_URL / MQTT_URL are set (as CI's second pass does), else embedded
 * ones, as a newcomer's machine has. Each suite makes its own fresh database.
 */
export default async function globalSetup() {
  const handles = [];
  if (process.env.DATABASE_URL) {
    process.env.HAKKEN_TEST_DATABASE_URL = process.env.DATABASE_URL;
    process.env.HAKKEN_TEST_MODE = 'real';
  } else {
    const dir = await mkdtemp(join(tmpdir(), 'hakken-test-pg-'));
    const db = await startEmbeddedPostgres({ dataDir: dir });
    handles.push(async () => {
      await db.stop();
      await rm(dir, { recursive: true, force: true });
    });
    process.env.HAKKEN_TEST_DATABASE_URL = db.url;
    process.env.HAKKEN_TEST_MODE = 'embedded';
  }
  if (process.env.MQTT_URL) {
    process.env.HAKKEN_TEST_MQTT_URL = process.env.MQTT_URL;
  } else {
    const broker = await startEmbeddedBroker();
    handles.push(() => broker.close());
    process.env.HAKKEN_TEST_MQTT_URL = broker.url;
  }
  globalThis.__hakkenTestHandles = handles;
  process.stderr.write(
    `\ntests use ${process.env.DATABASE_URL ? 'the PostgreSQL at DATABASE_URL' : 'an embedded PostgreSQL'} and ${process.env.MQTT_URL ? 'the broker at MQTT_URL' : 'an embedded MQTT broker'}\n`,
  );
}
