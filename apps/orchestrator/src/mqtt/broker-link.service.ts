import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { CLOCK, type Clock } from '../common/ports.js';
import type { MqttConnection } from './mqtt-connection.js';
import { MQTT_CONNECTION } from './mqtt.gateway.js';

/** The service's link to its MQTT broker as readiness reports it. */
export interface BrokerLinkState {
  connected: boolean;
  /** When the link last went up or down. */
  since: Date;
  /** Why it is down (the client's last error), while down. */
  reason: string | null;
}

/**
 * Watches the service's connection to the broker: a drop and a reconnect are
 * logged and audited once each (mqtt.js retries every 500 ms meanwhile, and
 * says "close" on each failed try), and readiness (/api/health) fails while
 * the link is down: a service that cannot hear its devices is not ready.
 */
@Injectable()
export class BrokerLinkService implements OnApplicationBootstrap {
  private readonly logger = new Logger('mqtt');
  private link: BrokerLinkState;
  private lastError: string | null = null;

  constructor(
    @Inject(MQTT_CONNECTION) private readonly connection: MqttConnection,
    private readonly audit: AuditService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.link = { connected: connection.client.connected, since: clock.now(), reason: null };
  }

  get state(): Readonly<BrokerLinkState> {
    return this.link;
  }

  onApplicationBootstrap(): void {
    const client = this.connection.client;
    client.on('error', (e: Error) => (this.lastError = e.message));
    client.on('close', () => this.down());
    client.on('connect', () => this.up());
  }

  private down(): void {
    if (!this.link.connected || this.connection.client.disconnecting) return; // a failed retry, or our own shutdown
    const reason = this.lastError ?? 'the connection closed';
    this.link = { connected: false, since: this.clock.now(), reason };
    this.logger.warn(`lost the connection to the MQTT broker (${reason}); reconnecting`);
    this.record('broker.disconnected', { reason });
  }

  private up(): void {
    this.lastError = null;
    if (this.link.connected) return;
    const downS = Math.round((this.clock.now().getTime() - this.link.since.getTime()) / 100) / 10;
    const reason = this.link.reason;
    this.link = { connected: true, since: this.clock.now(), reason: null };
    this.logger.log(`reconnected to the MQTT broker after ${downS} s`);
    this.record('broker.reconnected', { downS, ...(reason ? { reason } : {}) });
  }

  /** The audit entry is best effort: the database may be down too, and the log line already says it. */
  private record(action: string, details: { reason?: string; downS?: number }): void {
    this.audit
      .record({ actor: 'service', action, details })
      .catch((e: Error) => this.logger.warn(`could not audit ${action}: ${e.message}`));
  }
}
