import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators.js';
import { ResultsService } from '../experiments/results.service.js';
import { MqttEdgeLimits } from '../common/rate-limiter.js';
import { BrokerLinkService } from '../mqtt/broker-link.service.js';
import { MqttGateway } from '../mqtt/mqtt.gateway.js';

/** A database that does not answer `SELECT 1` within this is unreachable for readiness. */
const DATABASE_CHECK_MS = 2000;

interface StatusResponse {
  status(code: number): unknown;
}

/**
 * Readiness (`/api/health`): 200 only while both the database and the broker
 * are reachable, else 503 naming which is not (a load balancer or an operator
 * then knows the service cannot do its work). Liveness (`/api/health/live`):
 * 200 while the process runs, whatever its dependencies do, so a supervisor
 * does not restart a service that is only waiting for them.
 */
@ApiTags('health')
@Controller('api/health')
export class HealthController {
  private readonly startedAt = new Date();

  constructor(
    private readonly dataSource: DataSource,
    private readonly results: ResultsService,
    private readonly gateway: MqttGateway,
    private readonly limits: MqttEdgeLimits,
    private readonly broker: BrokerLinkService,
  ) {}

  @Get()
  @Public()
  @ApiOperation({
    summary: 'Readiness: 503 while the database or the broker is unreachable; ingestion counters of this process since it started',
  })
  async health(@Res({ passthrough: true }) res: StatusResponse) {
    const database = await this.checkDatabase();
    const link = this.broker.state;
    // Public: what is down and since when, not the error text (it names hosts and ports); the log has that.
    const broker = link.connected ? 'ok' : `disconnected since ${link.since.toISOString()}`;
    const ready = database === 'ok' && broker === 'ok';
    if (!ready) res.status(503);
    return {
      status: ready ? 'ok' : 'unavailable',
      checks: { database, broker },
      // Counters live in this process: they start from zero at each start (the audit log and the database keep the history).
      counters: { scope: 'process', since: this.startedAt.toISOString() },
      results: this.results.counters,
      mqtt: { ...this.gateway.counters, ...this.limits.counters },
    };
  }

  @Get('live')
  @Public()
  @ApiOperation({ summary: 'Liveness: 200 while the process runs, whether or not its database and broker are reachable' })
  live() {
    return { status: 'ok', uptimeS: Math.round((Date.now() - this.startedAt.getTime()) / 1000) };
  }

  private async checkDatabase(): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.dataSource.query('SELECT 1'),
        new Promise(
          (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${DATABASE_CHECK_MS} ms`)), DATABASE_CHECK_MS)),
        ),
      ]);
      return 'ok';
    } catch {
      return 'unreachable';
    } finally {
      clearTimeout(timer);
    }
  }
}
