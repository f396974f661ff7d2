import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { EmbeddedDatabaseError, startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres.js';

const asRoot = process.getuid?.() === 0;

describe('startEmbeddedPostgres', () => {
  let folder: string;
  const started: EmbeddedDatabase[] = [];

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'hakken-embedded-'));
  });
  afterEach(async () => {
    for (const db of started.splice(0)) {
      await db.stop();
      if (!db.clusterDir.startsWith(folder)) await rm(db.clusterDir, { recursive: true, force: true });
    }
    await rm(folder, { recursive: true, force: true });
  });

  // The usual container or cloud VM: root, the checkout under root's home (mode 700),
  // which the "postgres" account that runs the server cannot enter.
  (asRoot ? it : it.skip)('runs as root for a checkout in a folder only its owner can enter, and finds its data again', async () => {
    const home = join(folder, 'home');
    await mkdir(home, { mode: 0o700 });
    const dataDir = join(home, 'hakken', '.data');

    const first = await startEmbeddedPostgres({ dataDir });
    started.push(first);
    expect(first.clusterDir.startsWith(home)).toBe(false);
    const client = new pg.Client({ connectionString: first.url });
    await client.connect();
    await client.query('CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)');
    await client.end();
    await first.stop();
    started.splice(0);

    const second = await startEmbeddedPostgres({ dataDir });
    started.push(second);
    expect(second.clusterDir).toBe(first.clusterDir);
    const again = new pg.Client({ connectionString: second.url });
    await again.connect();
    const { rows } = await again.query<{ v: number }>('SELECT v FROM kept');
    await again.end();
    expect(rows).toEqual([{ v: 42 }]);
  });

  // A newcomer who removes the checkout and clones it again at the same path: the earlier cluster
  // outside the folder holds the earlier credentials, which went with the folder.
  (asRoot ? it : it.skip)('starts on a new cluster when the folder only its owner can enter is made again at the same path', async () => {
    const home = join(folder, 'home');
    await mkdir(home, { mode: 0o700 });
    const dataDir = join(home, 'hakken', '.data');
    const first = await startEmbeddedPostgres({ dataDir });
    started.push(first);
    await first.stop();

    await rm(join(home, 'hakken'), { recursive: true, force: true });
    const second = await startEmbeddedPostgres({ dataDir });
    started.push(second);
    expect(second.clusterDir).not.toBe(first.clusterDir);
    const client = new pg.Client({ connectionString: second.url });
    await client.connect();
    const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
    await client.end();
    expect(rows).toEqual([{ one: 1 }]);
  });

  it('keeps its cluster in a data folder its server can reach', async () => {
    await chmod(folder, 0o755);
    const db = await startEmbeddedPostgres({ dataDir: join(folder, 'data') });
    started.push(db);
    expect(db.clusterDir).toBe(join(folder, 'data', 'postgres'));
  });

  it('says in one line why it cannot start and to set DATABASE_URL', async () => {
    const file = join(folder, 'a-file');
    await writeFile(file, '');
    const failure = startEmbeddedPostgres({ dataDir: join(file, 'data') });
    await expect(failure).rejects.toBeInstanceOf(EmbeddedDatabaseError);
    await expect(failure).rejects.toThrow(/^embedded PostgreSQL could not start: [^\n]*Set DATABASE_URL[^\n]*$/);
  });
});
