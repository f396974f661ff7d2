import { describe, expect, it } from '@jest/globals';
import {
  backoffDelayMs,
  errorCode,
  messageOf,
  NETWORK_ERROR_CODES,
  networkCodeIn,
  redactUrl,
  retry,
  retryWhileUnreachable,
  ServerNotReachableError,
} from './index.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

/** Like the database's: network codes and a server starting up are retried, a wrong password is not. */
const retryReason = (e: unknown): string | undefined => {
  const code = errorCode(e);
  if (code === undefined || code === '28P01') return undefined;
  return NETWORK_ERROR_CODES.has(code) ? code : `${messageOf(e)} (${code})`;
};

describe('networkCodeIn', () => {
  it("finds a socket error's code inside a client's message", () => {
    expect(networkCodeIn('cannot connect to the MQTT broker at mqtt://b:1883: connect ECONNREFUSED 127.0.0.1:1883')).toBe('ECONNREFUSED');
    expect(networkCodeIn('getaddrinfo EAI_AGAIN broker')).toBe('EAI_AGAIN');
    expect(networkCodeIn('Connection refused: Not authorized')).toBeUndefined();
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
  const target = { what: 'database at postgres://u:***@db/x', retryReason };

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

describe('retry', () => {
  it('retries without end while the reason holds, telling each pause, and stops when it no longer does', async () => {
    const pauses: number[] = [];
    let calls = 0;
    let closing = false;
    const refused = withCode('connect ECONNREFUSED', 'ECONNREFUSED');
    const error = await retry(
      async () => {
        if (++calls === 5) closing = true;
        throw refused;
      },
      {
        retryReason: (e) => (closing ? undefined : retryReason(e)),
        onRetry: (_reason, delayMs) => pauses.push(delayMs),
        maxWaitMs: Number.POSITIVE_INFINITY,
        initialDelayMs: 1,
        maxDelayMs: 4,
      },
    ).catch((e: unknown) => e);
    expect(error).toBe(refused);
    expect(calls).toBe(5);
    expect(pauses).toEqual([1, 2, 4, 4]);
  });
});
