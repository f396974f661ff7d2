import { Inject, Injectable, Logger } from '@nestjs/common';
import { MAX_PAYLOAD_BYTES, parseTopic } from '#protocol';
import { APP_CONFIG, type AppConfig } from './config.js';
import { CLOCK, type Clock } from './ports.js';

export interface TokenBucketOptions {
  /** Tokens added per second (sustained rate); 0 turns limiting off. */
  ratePerSecond: number;
  /** Largest number of tokens a key can hold (the burst it may send at once). */
  burst: number;
  /** Most keys remembered; the least recently used is forgotten beyond this (it starts again with a full bucket). */
  maxKeys?: number;
  /** Milliseconds since some fixed point; injected so tests control time. */
  now: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per key (a device id): each key may take `burst` at once and
 * `ratePerSecond` sustained. Memory is bounded by `maxKeys` (least recently
 * used first out), so a flood of made-up ids cannot grow it without limit.
 */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxKeys: number;

  constructor(private readonly options: TokenBucketOptions) {
    if (!(options.ratePerSecond >= 0) || !Number.isFinite(options.ratePerSecond))
      throw new Error('ratePerSecond must be a finite number ≥ 0');
    if (!(options.burst >= 1) || !Number.isFinite(options.burst)) throw new Error('burst must be a finite number ≥ 1');
    this.maxKeys = options.maxKeys ?? 10_000;
    if (!Number.isInteger(this.maxKeys) || this.maxKeys < 1) throw new Error('maxKeys must be an integer ≥ 1');
  }

  get enabled(): boolean {
    return this.options.ratePerSecond > 0;
  }

  /** Number of keys currently remembered. */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token for `key`; false when its bucket is empty (the message is to be dropped). */
  tryTake(key: string): boolean {
    if (!this.enabled) return true;
    const now = this.options.now();
    const previous = this.buckets.get(key);
    const bucket: Bucket = previous
      ? {
          tokens: Math.min(this.options.burst, previous.tokens + (Math.max(0, now - previous.at) / 1000) * this.options.ratePerSecond),
          at: now,
        }
      : { tokens: this.options.burst, at: now };
    // Re-insert so the Map's order is least recently used first.
    this.buckets.delete(key);
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next();
      if (!oldest.done) this.buckets.delete(oldest.value);
    }
    return allowed;
  }
}

export type EdgeVerdict = 'accept' | 'oversized' | 'rate_limited';

/**
 * Cheap checks at the MQTT edge, before a payload is decoded: payloads larger
 * than the protocol's MAX_PAYLOAD_BYTES are dropped on their length alone, and
 * each device's events pass a token bucket (excess dropped: a device re-sends
 * what was not acknowledged). Counters are shown by /api/health.
 */
@Injectable()
export class MqttEdgeLimits {
  private readonly logger = new Logger('mqtt-limits');
  private readonly events: TokenBucketLimiter;
  readonly counters = { oversized: 0, rateLimited: 0 };
  private lastWarning = new Map<string, number>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.events = new TokenBucketLimiter({
      ratePerSecond: config.mqttDeviceEventRate,
      burst: config.mqttDeviceEventBurst,
      now: () => this.clock.now().getTime(),
    });
  }

  /** Decides on a message from its topic and length only. */
  check(topic: string, payload: Uint8Array): EdgeVerdict {
    if (payload.byteLength > MAX_PAYLOAD_BYTES) {
      this.counters.oversized++;
      this.warn(
        `oversized:${topic}`,
        `dropped a payload of ${payload.byteLength} bytes on ${topic.slice(0, 200)}: the limit is ${MAX_PAYLOAD_BYTES}`,
      );
      return 'oversized';
    }
    if (!this.events.enabled) return 'accept';
    const parsed = parseTopic(topic);
    if (parsed?.kind !== 'events') return 'accept';
    if (this.events.tryTake(parsed.deviceId)) return 'accept';
    this.counters.rateLimited++;
    this.warn(
      `rate:${parsed.deviceId}`,
      `device ${parsed.deviceId} sends events faster than the limit: excess dropped (${this.counters.rateLimited} so far)`,
    );
    return 'rate_limited';
  }

  /** One warning per cause per second, so a flood does not flood the log too. */
  private warn(key: string, message: string): void {
    const now = this.clock.now().getTime();
    if ((this.lastWarning.get(key) ?? -Infinity) > now - 1000) return;
    if (this.lastWarning.size > 1000) this.lastWarning = new Map();
    this.lastWarning.set(key, now);
    this.logger.warn(message);
  }
}
