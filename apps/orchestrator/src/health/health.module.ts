import { Module } from '@nestjs/common';
import { MqttModule } from '../mqtt/mqtt.module.js';
import { HealthController } from './health.controller.js';
import { ExperimentsModule } from '../experiments/experiments.module.js';

/** GET /api/health: liveness, the database's reachability, and the counters of stored results and of the MQTT edge. */
@Module({ imports: [MqttModule, ExperimentsModule], controllers: [HealthController] })
export class HealthModule {}
