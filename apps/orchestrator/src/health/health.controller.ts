import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators.js';
import { ResultsService } from '../experiments/results.service.js';
import { MqttEdgeLimits } from '../common/rate-limiter.js';
import { MqttGateway } from '../mqtt/mqtt.gateway.js';

@ApiTags('health')
@Controller('api/health')
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly results: ResultsService,
    private readonly gateway: MqttGateway,
    private readonly limits: MqttEdgeLimits,
  ) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'Liveness, database reachability and ingestion counters' })
  async health() {
    await this.dataSource.query('SELECT 1');
    return { status: 'ok', results: this.results.counters, mqtt: { ...this.gateway.counters, ...this.limits.counters } };
  }
}
