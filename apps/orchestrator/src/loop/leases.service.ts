import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryRows } from '#persistence';
import { APP_CONFIG, type AppConfig } from '../common/config.js';
import { CLOCK, type Clock } from '../common/ports.js';

/**
 * Campaign leases: how several orchestrator replicas on one database share the
 * work without doubling it. Each replica announces itself (heartbeat row); a
 * running campaign belongs to the live replica that ranks highest for it by
 * rendezvous hashing, which takes it with a conditional update of the lease
 * (free, expired, or already its own). Only the lease holder proposes batches
 * and closes the campaign. A replica that dies stops renewing; its leases
 * expire and the survivors take its campaigns over.
 */
@Injectable()
export class LeasesService implements OnApplicationShutdown {
  private readonly logger = new Logger('leases');
  private readonly startedAt: Date;
  private lastHeartbeat = 0;
  private held = new Set<string>();

  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.startedAt = clock.now();
  }

  get replicaId(): string {
    return this.config.instanceId;
  }

  /** Renews this replica's heartbeat and leases; returns the ids of the running campaigns it holds now. */
  async acquire(): Promise<Set<string>> {
    const now = this.clock.now();
    const ttlMs = this.config.leaseTtlMs;
    if (now.getTime() - this.lastHeartbeat >= ttlMs / 3) {
      await this.dataSource.query(
        `INSERT INTO orchestrator_replicas (id, started_at, heartbeat_at) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at`,
        [this.replicaId, this.startedAt, now],
      );
      this.lastHeartbeat = now.getTime();
    }
    const aliveSince = new Date(now.getTime() - ttlMs);
    const replicas = await queryRows<{ id: string }>(this.dataSource, `SELECT id FROM orchestrator_replicas WHERE heartbeat_at >= $1`, [
      aliveSince,
    ]);
    const live = replicas.map((r) => r.id);
    if (!live.includes(this.replicaId)) live.push(this.replicaId);

    const running = await queryRows<{ id: string; lease_owner: string | null; lease_expires_at: Date | null }>(
      this.dataSource,
      `SELECT id, lease_owner, lease_expires_at FROM campaigns WHERE status = 'running'`,
    );
    const mineRanked = running.filter((c) => owner(c.id, live) === this.replicaId);
    const expires = new Date(now.getTime() + ttlMs);
    // A lease of ours with more than two thirds of its time left is not written again: renewing every
    // lease on every pass rewrote each running campaign's row several times a second.
    const renewBefore = now.getTime() + (ttlMs * 2) / 3;
    const held = new Set<string>();
    const stale: string[] = [];
    for (const c of mineRanked) {
      if (c.lease_owner === this.replicaId && c.lease_expires_at !== null && new Date(c.lease_expires_at).getTime() > renewBefore)
        held.add(c.id);
      else stale.push(c.id);
    }
    if (stale.length > 0) {
      const rows = await queryRows<{ id: string }>(
        this.dataSource,
        `UPDATE campaigns SET lease_owner = $1, lease_expires_at = $2
         WHERE id = ANY($3::uuid[]) AND status = 'running'
           AND (lease_owner IS NULL OR lease_owner = $1 OR lease_expires_at < $4)
         RETURNING id`,
        [this.replicaId, expires, stale, now],
      );
      for (const r of rows) held.add(r.id);
    }
    // Leases this replica holds on campaigns now ranked to another live replica are let go,
    // so the new owner can take them at once instead of waiting for expiry.
    const toRelease = running.filter((c) => c.lease_owner === this.replicaId && !held.has(c.id)).map((c) => c.id);
    if (toRelease.length > 0) {
      await this.dataSource.query(
        `UPDATE campaigns SET lease_owner = NULL, lease_expires_at = NULL WHERE id = ANY($1::uuid[]) AND lease_owner = $2`,
        [toRelease, this.replicaId],
      );
    }
    const gained = [...held].filter((id) => !this.held.has(id)).length;
    if (gained > 0)
      this.logger.log(`${this.replicaId} took the lease of ${gained} campaign(s); holds ${held.size} of ${running.length} running`);
    this.held = held;
    return held;
  }

  /** Lets the leases go on a clean shutdown, so the other replicas need not wait for them to expire. */
  async onApplicationShutdown(): Promise<void> {
    try {
      await this.dataSource.query(`UPDATE campaigns SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = $1`, [
        this.replicaId,
      ]);
      await this.dataSource.query(`DELETE FROM orchestrator_replicas WHERE id = $1`, [this.replicaId]);
    } catch (e) {
      this.logger.warn(`could not release leases: ${(e as Error).message}`);
    }
  }
}

/** Rendezvous (highest random weight) hashing: the replica with the highest hash of (campaign, replica). */
export function owner(campaignId: string, replicas: readonly string[]): string {
  let best = '';
  let bestScore = '';
  for (const r of replicas) {
    const score = createHash('sha1').update(`${campaignId}/${r}`).digest('hex');
    if (score > bestScore) {
      bestScore = score;
      best = r;
    }
  }
  return best;
}
