import { encodeMessage, MAX_HOLDING, parseMessage, PROTOCOL_VERSION, type DeviceEvent } from './index.js';

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
