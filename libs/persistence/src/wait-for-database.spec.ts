import { createServer } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import {
  backoffDelayMs,
  databaseRetryReason,
  openDatabaseWhenReachable,
  redactUrl,
  retryWhileUnreachable,
  ServerNotReachableError,
} from './wait-for-database.js';

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

describe('backoffDelayMs', () => {
  it('doubles from 0.5 s and stops at 10 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelayMs(n))).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });
});

describe('redactUrl', () => {
  it('masks the password, also inside a message', () => {
    expect(redactUrl('postgres://hakken:s3cr3t@db:5432/hakken')).toBe('postgres://hakken:***@db:5432/hakken');
    expect(redactUrl('cannot connect to mqtt://svc:pw@broker:1883: boom')).toBe('cannot connect to mqtt://svc:***@broker:1883: boom');
    expect(redactUrl('postgres://db:5432/hakken')).toBe('postgres://db:5432/hakken');
  });
});

describe('retryWhileUnreachable', () => {
  const target = { what: 'database at postgres://u:***@db/x', retryReason: databaseRetryReason };

  it('retries a refused connection with growing pauses, logging each, until it succeeds', async () => {
    const logs: string[] = [];
    let calls = 0;
    const value = await retryWhileUnreachable(
      target,
      async () => {
        if (++calls < 4) throw withCode('connect ECONNREFUSED', 'ECONNREFUSED');
        return 'open';
      },
      { waitS: 10, initialDelayMs: 5, maxDelayMs: 12, log: (m) => logs.push(m) },
    );
    expect(value).toBe('open');
    expect(calls).toBe(4);
    expect(logs).toEqual([
      'database at postgres://u:***@db/x not reachable (ECONNREFUSED); retrying in 5 ms',
      'database at postgres://u:***@db/x not reachable (ECONNREFUSED); retrying in 10 ms',
      'database at postgres://u:***@db/x not reachable (ECONNREFUSED); retrying in 12 ms',
    ]);
  });

  it('fails at once, without retrying, on an error waiting cannot mend', async () => {
    let calls = 0;
    const wrongPassword = withCode('password authentication failed for user "u"', '28P01');
    await expect(
      retryWhileUnreachable(
        target,
        async () => {
          calls++;
          throw wrongPassword;
        },
        { waitS: 10, initialDelayMs: 1, log: () => undefined },
      ),
    ).rejects.toBe(wrongPassword);
    expect(calls).toBe(1);
  });

  it('gives up after the limit, naming the server, the last reason and the setting', async () => {
    const started = Date.now();
    const error = await retryWhileUnreachable(
      target,
      async () => {
        throw withCode('the database system is starting up', '57P03');
      },
      { waitS: 0.2, initialDelayMs: 20, maxDelayMs: 40, log: () => undefined, hint: 'set DATABASE_WAIT_S to wait longer' },
    ).catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(ServerNotReachableError);
    expect((error as Error).message).toMatch(
      /^database at postgres:\/\/u:\*\*\*@db\/x not reachable after \d+ ms \(\d+ attempts\): the database system is starting up \(57P03\); set DATABASE_WAIT_S to wait longer$/,
    );
  });

  it('with a wait of 0 tries once', async () => {
    let calls = 0;
    const error = await retryWhileUnreachable(
      target,
      async () => {
        calls++;
        throw withCode('connect ECONNREFUSED', 'ECONNREFUSED');
      },
      { waitS: 0, log: () => undefined },
    ).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect((error as Error).message).toMatch(/not reachable \(not waiting: the wait is set to 0\): ECONNREFUSED/);
  });

  it('ends the pause at once when aborted', async () => {
    const abort = new AbortController();
    const started = Date.now();
    setTimeout(() => abort.abort(new Error('SIGTERM while starting')), 50);
    await expect(
      retryWhileUnreachable(
        target,
        async () => {
          throw withCode('connect ECONNREFUSED', 'ECONNREFUSED');
        },
        { waitS: 60, initialDelayMs: 10_000, log: () => undefined, signal: abort.signal },
      ),
    ).rejects.toThrow('SIGTERM while starting');
    expect(Date.now() - started).toBeLessThan(2000);
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
      wait: { waitS: 0.3, initialDelayMs: 100, log: (m) => logs.push(m) },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerNotReachableError);
    expect((error as Error).message).toContain(`database at postgres://hakken:***@127.0.0.1:${port}/hakken not reachable after`);
    expect((error as Error).message).toMatch(/: ECONNREFUSED$/);
    expect(logs.length).toBeGreaterThanOrEqual(2);
    expect(logs[0]).toBe(`database at postgres://hakken:***@127.0.0.1:${port}/hakken not reachable (ECONNREFUSED); retrying in 100 ms`);
    expect([(error as Error).message, ...logs].join('\n')).not.toContain('s3cr3t');
  });
});
