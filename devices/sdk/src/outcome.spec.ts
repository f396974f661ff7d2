import type { RunOutcome } from './device-client.types.js';
import { outcomeToEvent, thrownToEvent } from './outcome.js';

const base = { v: 1 as const, experimentId: 'e1', attempt: 2, ts: '2026-01-01T00:00:00.000Z' };

describe('outcomeToEvent', () => {
  it('turns values into a result event, keeping nulls and metadata', () => {
    expect(outcomeToEvent(base, { values: { y: 1.5, z: null }, metadata: { file: 'a.csv' } })).toEqual({
      ...base,
      type: 'result',
      values: { y: 1.5, z: null },
      metadata: { file: 'a.csv' },
    });
  });

  it('fails the experiment on a non-finite value, naming it', () => {
    expect(outcomeToEvent(base, { values: { y: Number.POSITIVE_INFINITY } })).toEqual({
      ...base,
      type: 'failed',
      scope: 'experiment',
      reason: 'measurement "y" is not a finite number (Infinity)',
    });
  });

  it('passes a returned failure through, truncating a long reason', () => {
    const e = outcomeToEvent(base, { failed: { scope: 'experiment', reason: 'x'.repeat(5000) } });
    expect(e).toMatchObject({ type: 'failed', scope: 'experiment' });
    expect(e.type === 'failed' && e.reason.length).toBe(1024);
  });

  it('reports an outcome the protocol cannot carry as a device failure', () => {
    const tooMany = { values: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`v${i}`, i])) };
    expect(outcomeToEvent(base, tooMany)).toMatchObject({ type: 'failed', scope: 'device', reason: expect.stringContaining('too many values') });
    expect(outcomeToEvent(base, null as unknown as RunOutcome)).toMatchObject({ type: 'failed', scope: 'device' });
    expect(outcomeToEvent(base, {} as RunOutcome)).toMatchObject({ type: 'failed', scope: 'device', reason: 'handler returned neither values nor failed' });
  });

  it('keeps the measurement when its metadata is over 16 KiB, saying in its place why it was not sent', () => {
    const metadata = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'.repeat(1000)]));
    const event = outcomeToEvent(base, { values: { y: 2 }, metadata });
    expect(event).toMatchObject({ type: 'result', values: { y: 2 } });
    expect((event as { metadata: Record<string, string> }).metadata).toEqual({
      metadataRefused: expect.stringMatching(/^metadata not sent: metadata: metadata of \d+ bytes as JSON exceeds the limit of 16384$/),
    });
  });

  it('turns a throw into a device failure', () => {
    expect(thrownToEvent(base, new Error('boom'))).toEqual({ ...base, type: 'failed', scope: 'device', reason: 'handler threw: boom' });
    expect(thrownToEvent(base, 'plain')).toMatchObject({ reason: 'handler threw: plain' });
  });
});
