import { createServer } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { ServerNotReachableError } from '#connections';
import { databaseRetryReason, openDatabaseWhenReachable } from './wait-for-database.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('databaseRetryReason', () => {
  it('retries what means "not reachable yet"', () => {
    expect(databaseRetryReason(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBe('ECONNREFUSED');
    expect(databaseRetryReason(withCode('read ECONNRESET', 'ECONNRESET'))).toBe('ECONNRESET');
    expect(databaseRetryReason(withCode('connect ETIMEDOUT', 'ETIMEDOUT'))).toBe('ETIMEDOUT');
    expect(databaseRetryReason(withCode('getaddrinfo ENOTFOUND db', 'ENOTFOUND'))).toBe('ENOTFOUND');
    expect(databaseRetryReason(withCode('the database system is starting up', '57P03'))).toBe('the database system is starting up (57P03)');
    expect(databaseRetryReason(withCode('terminating connection due to administrator command', '57P01'))).toMatch(/57P01/);
    expect(databaseRetryReason(withCode('sorry, too many clients already', '53300'))).toMatch(/53300/);
    expect(databaseRetryReason(withCode('connection failure', '08006'))).toMatch(/08006/);
    expect(databaseRetryReason(new Error('Connection terminated unexpectedly'))).toBe('Connection terminated unexpectedly');
    expect(databaseRetryReason(new Error('Connection terminated due to connection timeout'))).toMatch(/timeout/);
    expect(databaseRetryReason(new Error('timeout exceeded when trying to connect'))).toMatch(/timeout/);
  });

  it("looks into a failed query's driver error (the server went away mid-query)", () => {
    const queryFailed = Object.assign(new Error('Connection terminated'), { driverError: withCode('read ECONNRESET', 'ECONNRESET') });
    expect(databaseRetryReason(queryFailed)).toBe('ECONNRESET');
    const constraint = Object.assign(new Error('duplicate key'), { driverError: withCode('duplicate key', '23505') });
    expect(databaseRetryReason(constraint)).toBeUndefined();
  });

  it('takes the code of an AggregateError (a name with several addresses, all refused)', () => {
    const aggregate = new AggregateError([
      withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED'),
      withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
    ]);
    expect(databaseRetryReason(aggregate)).toBe('ECONNREFUSED');
  });

  it('does not retry what waiting cannot mend', () => {
    expect(databaseRetryReason(withCode('password authentication failed for user "hakken"', '28P01'))).toBeUndefined();
    expect(databaseRetryReason(withCode('database "nope" does not exist', '3D000'))).toBeUndefined();
    expect(databaseRetryReason(withCode('relation "campaigns" already exists', '42P07'))).toBeUndefined();
    expect(databaseRetryReason(withCode('no pg_hba.conf entry for host', '28000'))).toBeUndefined();
    expect(databaseRetryReason(new Error('self-signed certificate'))).toBeUndefined();
    expect(databaseRetryReason('something odd')).toBeUndefined();
  });
});

describe('openDatabaseWhenReachable', () => {
  it('against a port where nothing listens, retries, then gives up naming the URL with its password masked', async () => {
    // A port just freed: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const logs: string[] = [];
    const error = await openDatabaseWhenReachable({
      url: `postgres://hakken:s3cr3t@127.0.0.1:${port}/hakken`,
      // 1 s: the first attempt alone loads the driver (up to half a second on a busy machine), and two retries must fit after it.
      wait: { waitS: 1, initialDelayMs: 100, log: (m) => logs.push(m) },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerNotReachableError);
    expect((error as Error).message).toContain(`database at postgres://hakken:***@127.0.0.1:${port}/hakken not reachable after`);
    expect((error as Error).message).toMatch(/: ECONNREFUSED$/);
    expect(logs.length).toBeGreaterThanOrEqual(2);
    expect(logs[0]).toBe(`database at postgres://hakken:***@127.0.0.1:${port}/hakken not reachable (ECONNREFUSED); retrying in 100 ms`);
    expect([(error as Error).message, ...logs].join('\n')).not.toContain('s3cr3t');
  });
});
