import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AuditService } from './audit/audit.service.js';
import { AuthController } from './auth/auth.controller.js';
import { AuthGuard } from './auth/auth.guard.js';
import { TokenService } from './auth/token.service.js';
import { CampaignsController } from './campaigns/campaigns.controller.js';
import { CampaignsService } from './campaigns/campaigns.service.js';
import { ImportsService } from './campaigns/imports.service.js';
import { APP_CONFIG, type AppConfig } from './common/config.js';
import { EventBus } from './common/events.js';
import { ConsoleGateway } from './console/console.gateway.js';
import { InsightsController } from './console/insights.controller.js';
import { InsightsService } from './console/insights.service.js';
import { CLOCK, COMMAND_PUBLISHER, systemClock, type Clock } from './common/ports.js';
import { DevicesController } from './devices/devices.controller.js';
import { DevicesService } from './devices/devices.service.js';
import { HoldingsService } from './devices/holdings.service.js';
import { ResultsService } from './experiments/results.service.js';
import { MqttEdgeLimits } from './common/rate-limiter.js';
import { HealthController } from './health.controller.js';
import { DeviceMonitorService } from './loop/device-monitor.service.js';
import { DispatcherService } from './loop/dispatcher.service.js';
import { LeasesService } from './loop/leases.service.js';
import { LoopService } from './loop/loop.service.js';
import { ProposerService } from './loop/proposer.service.js';
import { RedispatchService } from './loop/redispatch.service.js';
import { StrategyPool } from './loop/strategy-pool.js';
import type { MqttConnection } from './mqtt/mqtt-connection.js';
import { BrokerLinkService } from './mqtt/broker-link.service.js';
import { MQTT_CONNECTION, MqttGateway } from './mqtt/mqtt.gateway.js';

export interface AppModuleOptions {
  config: AppConfig;
  dataSource: DataSource;
  mqtt: MqttConnection;
  clock?: Clock;
}

/** The orchestrator; its infrastructure (database, broker connection) is made by bootstrap and handed in. */
@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      controllers: [CampaignsController, DevicesController, HealthController, AuthController, InsightsController],
      providers: [
        { provide: APP_CONFIG, useValue: options.config },
        { provide: DataSource, useValue: options.dataSource },
        { provide: CLOCK, useValue: options.clock ?? systemClock },
        { provide: MQTT_CONNECTION, useValue: options.mqtt },
        { provide: COMMAND_PUBLISHER, useValue: options.mqtt },
        EventBus,
        TokenService,
        AuthGuard,
        // Every REST handler is checked; the console gateway uses the same guard.
        { provide: APP_GUARD, useExisting: AuthGuard },
        AuditService,
        HoldingsService,
        DevicesService,
        ResultsService,
        CampaignsService,
        ImportsService,
        // Its workers stop in onApplicationShutdown, after the loop has finished its pass (beforeApplicationShutdown).
        {
          provide: StrategyPool,
          useFactory: (config: AppConfig) => new StrategyPool({ size: config.proposalWorkers }),
          inject: [APP_CONFIG],
        },
        ProposerService,
        RedispatchService,
        DispatcherService,
        DeviceMonitorService,
        LeasesService,
        LoopService,
        MqttEdgeLimits,
        MqttGateway,
        BrokerLinkService,
        InsightsService,
        ConsoleGateway,
      ],
    };
  }
}
