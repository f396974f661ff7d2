import { Module } from '@nestjs/common';
import { ExperimentsModule } from '../experiments/experiments.module.js';
import { MqttModule } from '../mqtt/mqtt.module.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

/**
 * GET /metrics: the Prometheus metrics (prom-client). It reads the counters
 * where they are kept, as the health module does, and hears proposals on the
 * event bus, so that it need not import the loop (which stays the shallowest
 * module, see app.module.ts).
 */
@Module({ imports: [MqttModule, ExperimentsModule], controllers: [MetricsController], providers: [MetricsService] })
export class MetricsModule {}
