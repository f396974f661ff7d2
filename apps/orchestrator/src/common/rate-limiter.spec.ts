import { describe, expect, it } from '@jest/globals';
import { MAX_PAYLOAD_BYTES, topics } from '#protocol';
import { loadConfig } from './config.js';
import { MqttEdgeLimits, TokenBucketLimiter } from './rate-limiter.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('TokenBucketLimiter', () => {
  it('lets a burst through, then exactly the sustained rate', () => {
    const c = clock();
    const limiter = new TokenBucketLimiter({ ratePerSecond: 10, burst: 5, now: c.now });
    const first = Array.from({ length: 8 }, () => limiter.tryTake('rig-1'));
    expect(first).toEqual([true, true, true, true, true, false, false, false]);
    // 10 tokens/s: 250 ms give 2.5 tokens, so two messages pass and the third does not.
    c.advance(250);
    expect([limiter.tryTake('rig-1'), limiter.tryTake('rig-1'), limiter.tryTake('rig-1')]).toEqual([true, true, false]);
    // The half token left over counts: 50 ms more make it whole.
    c.advance(50);
    expect(limiter.tryTake('rig-1')).toBe(true);
    expect(limiter.tryTake('rig-1')).toBe(false);
  });

  it('never holds more than the burst, however long a device was quiet', () => {
    const c = clock();
    const limiter = new TokenBucketLimiter({ ratePerSecond: 100, burst: 3, now: c.now });
    limiter.tryTake('a');
    c.advance(3_600_000);
    expect([1, 2, 3, 4].map(() => limiter.tryTake('a'))).toEqual([true, true, true, false]);
  });

  it('keeps one bucket per key: a flooding device does not starve another', () => {
    const c = clock();
    const limiter = new TokenBucketLimiter({ ratePerSecond: 1, burst: 2, now: c.now });
    for (let i = 0; i < 100; i++) limiter.tryTake('noisy');
    expect(limiter.tryTake('noisy')).toBe(false);
    expect(limiter.tryTake('quiet')).toBe(true);
    expect(limiter.tryTake('quiet')).toBe(true);
    expect(limiter.tryTake('quiet')).toBe(false);
  });

  it('sustains the configured rate over a long run (within one message)', () => {
    const c = clock();
    const limiter = new TokenBucketLimiter({ ratePerSecond: 20, burst: 10, now: c.now });
    let passed = 0;
    // 10 s of a device trying every millisecond: burst 10 + 20/s × 10 s = 210.
    for (let ms = 0; ms < 10_000; ms++) {
      if (limiter.tryTake('rig')) passed++;
      c.advance(1);
    }
    expect(passed).toBeGreaterThanOrEqual(209);
    expect(passed).toBeLessThanOrEqual(211);
  });

  it('does not refill when the clock steps backwards', () => {
    const c = clock();
    const limiter = new TokenBucketLimiter({ ratePerSecond: 10, burst: 1, now: c.now });
    expect(limiter.tryTake('a')).toBe(true);
    c.advance(-60_000);
    expect(limiter.tryTake('a')).toBe(false);
  });

  it('bounds its memory by forgetting the least recently used key', () => {
    const c = clock();
    const limiter = new TokenBucketLimiter({ ratePerSecond: 1, burst: 1, maxKeys: 3, now: c.now });
    for (const k of ['a', 'b', 'c']) limiter.tryTake(k);
    limiter.tryTake('a'); // a is now the most recently used (and empty)
    limiter.tryTake('d'); // evicts b
    expect(limiter.size).toBe(3);
    expect(limiter.tryTake('a')).toBe(false); // still remembered: still empty
    expect(limiter.tryTake('b')).toBe(true); // forgotten: starts again full
    for (let i = 0; i < 100_000; i++) limiter.tryTake(`made-up-${i}`);
    expect(limiter.size).toBe(3);
  });

  it('with a rate of 0 does not limit at all', () => {
    const limiter = new TokenBucketLimiter({ ratePerSecond: 0, burst: 1, now: () => 0 });
    expect(Array.from({ length: 1000 }, () => limiter.tryTake('x')).every(Boolean)).toBe(true);
    expect(limiter.size).toBe(0);
  });

  it('refuses impossible settings', () => {
    expect(() => new TokenBucketLimiter({ ratePerSecond: -1, burst: 1, now: () => 0 })).toThrow(/ratePerSecond/);
    expect(() => new TokenBucketLimiter({ ratePerSecond: Number.NaN, burst: 1, now: () => 0 })).toThrow(/ratePerSecond/);
    expect(() => new TokenBucketLimiter({ ratePerSecond: 1, burst: 0, now: () => 0 })).toThrow(/burst/);
    expect(() => new TokenBucketLimiter({ ratePerSecond: 1, burst: 1, maxKeys: 0, now: () => 0 })).toThrow(/maxKeys/);
  });
});

describe('MqttEdgeLimits', () => {
  const limits = (env: Record<string, string>, at = { t: 0 }) => new MqttEdgeLimits(loadConfig(env), { now: () => new Date(at.t) });

  it('drops a payload over MAX_PAYLOAD_BYTES on its length alone, on any topic, and counts it', () => {
    const edge = limits({});
    expect(edge.check(topics.events('rig-1'), new Uint8Array(MAX_PAYLOAD_BYTES))).toBe('accept');
    expect(edge.check(topics.events('rig-1'), new Uint8Array(MAX_PAYLOAD_BYTES + 1))).toBe('oversized');
    expect(edge.check(topics.availability('rig-1'), new Uint8Array(10 * MAX_PAYLOAD_BYTES))).toBe('oversized');
    expect(edge.check('not/ours', new Uint8Array(MAX_PAYLOAD_BYTES + 1))).toBe('oversized');
    expect(edge.counters).toEqual({ oversized: 3, rateLimited: 0 });
  });

  it('limits events per device as configured, and leaves availability and heartbeats alone', () => {
    const at = { t: 0 };
    const edge = limits({ MQTT_DEVICE_EVENT_RATE: '2', MQTT_DEVICE_EVENT_BURST: '3' }, at);
    const small = new Uint8Array(10);
    const verdicts = Array.from({ length: 5 }, () => edge.check(topics.events('rig-1'), small));
    expect(verdicts).toEqual(['accept', 'accept', 'accept', 'rate_limited', 'rate_limited']);
    expect(edge.check(topics.events('rig-2'), small)).toBe('accept');
    for (let i = 0; i < 20; i++) {
      expect(edge.check(topics.heartbeat('rig-1'), small)).toBe('accept');
      expect(edge.check(topics.availability('rig-1'), small)).toBe('accept');
    }
    at.t += 500; // 2/s: one more token
    expect(edge.check(topics.events('rig-1'), small)).toBe('accept');
    expect(edge.check(topics.events('rig-1'), small)).toBe('rate_limited');
    expect(edge.counters).toEqual({ oversized: 0, rateLimited: 3 });
  });

  it('reads its limits from the configuration, with safe defaults', () => {
    const config = loadConfig({});
    expect(config.mqttDeviceEventRate).toBeGreaterThan(0);
    expect(config.mqttDeviceEventBurst).toBeGreaterThanOrEqual(config.mqttDeviceEventRate);
    expect(config.httpBodyLimitBytes).toBe(1024 * 1024);
    expect(() => loadConfig({ MQTT_DEVICE_EVENT_RATE: '-1' })).toThrow(/MQTT_DEVICE_EVENT_RATE/);
    expect(() => loadConfig({ MQTT_DEVICE_EVENT_BURST: '0' })).toThrow(/MQTT_DEVICE_EVENT_BURST/);
    expect(() => loadConfig({ HTTP_BODY_LIMIT_BYTES: 'lots' })).toThrow(/HTTP_BODY_LIMIT_BYTES/);
    const off = limits({ MQTT_DEVICE_EVENT_RATE: '0' });
    for (let i = 0; i < 10_000; i++) expect(off.check(topics.events('rig-1'), new Uint8Array(1))).toBe('accept');
  });
});
