import { Module, type DynamicModule } from '@nestjs/common';
import { AuthModule } from './auth/auth.module.js';
import { CampaignsModule } from './campaigns/campaigns.module.js';
import { ConsoleModule } from './console/console.module.js';
import { DevicesModule } from './devices/devices.module.js';
import { HealthModule } from './health/health.module.js';
import { InfrastructureModule, type InfrastructureOptions } from './infrastructure.module.js';
import { LoopModule } from './loop/loop.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { MqttModule } from './mqtt/mqtt.module.js';

export type AppModuleOptions = InfrastructureOptions;

/**
 * The orchestrator: one module per area; its infrastructure (database, broker
 * connection) is made by bootstrap and handed in.
 *
 * Nest runs the lifecycle hooks module by module, by import depth: the
 * deepest first at start, the shallowest first at shutdown. Hence the MQTT
 * gateway (imported through health) subscribes before the loop starts, and at
 * shutdown the loop stops taking new work (beforeApplicationShutdown) before
 * the MQTT gateway stops taking messages and waits for those being stored;
 * then the HTTP server closes; then the loop's leases are released before the
 * strategy pool's workers stop (onApplicationShutdown). Keep the loop module
 * imported here only, so that it stays the shallowest.
 */
@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        InfrastructureModule.forRoot(options),
        AuthModule,
        CampaignsModule,
        DevicesModule,
        LoopModule,
        ConsoleModule,
        MqttModule,
        HealthModule,
        MetricsModule,
      ],
    };
  }
}
