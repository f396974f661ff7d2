import { encodeMessage, MAX_HOLDING, MAX_METADATA_BYTES, parseMessage, PROTOCOL_VERSION, type DeviceEvent } from './index.js';

const base = {
  v: PROTOCOL_VERSION,
  experimentId: '7d1b8a52-46c4-4c4f-9a52-0c6f1f3f2a10',
  attempt: 1,
  ts: '2026-11-22T12:00:00.000Z',
} as const;

describe('encodeMessage', () => {
  it('sends a NUL in a text value as U+FFFD, so the service stores the report instead of refusing it', () => {
    const failed: DeviceEvent = { ...base, type: 'failed', scope: 'experiment', reason: 'pump stalled\u0000\u0000 (exit 3)' };
    const text = encodeMessage('events', failed);
    const parsed = parseMessage('events', text);
    expect(parsed).toEqual({ ok: true, value: { ...failed, reason: 'pump stalled\ufffd\ufffd (exit 3)' } });
    // A backslash followed by "u0000" is text, not a NUL: it is left alone.
    const literal = encodeMessage('events', { ...failed, reason: 'path C:\\u0000' });
    expect(parseMessage('events', literal)).toEqual({ ok: true, value: { ...failed, reason: 'path C:\\u0000' } });
  });

  it('refuses a NUL in a key, naming it', () => {
    const result: DeviceEvent = { ...base, type: 'result', values: { 'y\u0000': 1 } };
    expect(() => encodeMessage('events', result)).toThrow(/U\+0000 \(NUL\) in the key "y\\u0000"/);
  });
});

describe('heartbeat', () => {
  const heartbeat = { v: PROTOCOL_VERSION, ts: '2026-11-22T12:00:00.000Z', running: 1 } as const;

  it('may list the experiments the device holds, so the service finds within an interval one it lost', () => {
    const holding = ['7d1b8a52-46c4-4c4f-9a52-0c6f1f3f2a10'];
    expect(parseMessage('heartbeat', JSON.stringify({ ...heartbeat, holding }))).toEqual({ ok: true, value: { ...heartbeat, holding } });
    expect(parseMessage('heartbeat', JSON.stringify(heartbeat))).toEqual({ ok: true, value: heartbeat });
  });

  it('refuses a list longer than MAX_HOLDING', () => {
    const holding = Array.from({ length: MAX_HOLDING + 1 }, (_, i) => `e-${i}`);
    const parsed = parseMessage('heartbeat', JSON.stringify({ ...heartbeat, holding }));
    expect(parsed).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid heartbeat payload: holding:/) });
  });
});

describe('result metadata', () => {
  const result = { ...base, type: 'result', values: { y: 1 } } as const;

  it('is kept up to MAX_METADATA_BYTES of JSON and refused beyond, naming the size and the limit', () => {
    const fits = { notes: 'n'.repeat(1000), file: 'run-17.cdf', gain: 2, blank: true };
    expect(parseMessage('events', JSON.stringify({ ...result, metadata: fits }))).toEqual({
      ok: true,
      value: { ...result, metadata: fits },
    });
    const big = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'.repeat(1000)]));
    const bytes = Buffer.byteLength(JSON.stringify(big));
    expect(bytes).toBeGreaterThan(MAX_METADATA_BYTES);
    expect(parseMessage('events', JSON.stringify({ ...result, metadata: big }))).toEqual({
      ok: false,
      error: `invalid events payload: metadata: metadata of ${bytes} bytes as JSON exceeds the limit of ${MAX_METADATA_BYTES}`,
    });
  });
});

describe('abort, stop, resume and their command_ack', () => {
  const issuedAt = '2026-12-07T12:00:00.000Z';

  it('parses each command with its commandId, and refuses an abort without a reason', () => {
    const abort = { v: 1, type: 'abort', commandId: 'c-1', experimentId: base.experimentId, attempt: 2, reason: 'wrong vial', issuedAt };
    expect(parseMessage('commands', JSON.stringify(abort))).toEqual({ ok: true, value: abort });
    const stop = { v: 1, type: 'stop', commandId: 'c-2', reason: 'leak', issuedAt };
    expect(parseMessage('commands', JSON.stringify(stop))).toEqual({ ok: true, value: stop });
    const resume = { v: 1, type: 'resume', commandId: 'c-3', issuedAt };
    expect(parseMessage('commands', JSON.stringify(resume))).toEqual({ ok: true, value: resume });
    const { reason: _, ...noReason } = abort;
    expect(parseMessage('commands', JSON.stringify(noReason))).toMatchObject({ ok: false, error: expect.stringMatching(/reason/) });
  });

  it('parses a command_ack, ok or an error with its reason', () => {
    const ok = {
      v: 1,
      type: 'command_ack',
      commandId: 'c-1',
      experimentId: base.experimentId,
      status: 'ok',
      detail: 'aborted',
      ts: base.ts,
    };
    expect(parseMessage('events', JSON.stringify(ok))).toEqual({ ok: true, value: ok });
    const error = {
      v: 1,
      type: 'command_ack',
      commandId: 'c-2',
      status: 'error',
      error: { code: 'abort_failed', message: '503' },
      ts: base.ts,
    };
    expect(parseMessage('events', JSON.stringify(error))).toEqual({ ok: true, value: error });
  });
});
