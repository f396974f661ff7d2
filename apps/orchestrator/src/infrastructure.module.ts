import { Global, Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from './common/config.js';
import { EventBus } from './common/events.js';
import { CLOCK, COMMAND_PUBLISHER, systemClock, type Clock } from './common/ports.js';
import type { MqttConnection } from './mqtt/mqtt-connection.js';
import { MQTT_CONNECTION } from './mqtt/mqtt.gateway.js';

/** What bootstrap makes and hands in: the configuration, the database, the broker connection (and a clock, for tests). */
export interface InfrastructureOptions {
  config: AppConfig;
  dataSource: DataSource;
  mqtt: MqttConnection;
  clock?: Clock;
}

/**
 * The service's infrastructure and ports: configuration, data source, clock,
 * the broker connection (as the MQTT gateway's client and as the command
 * publisher the loop sends through), and the internal event bus. Global, as
 * every area uses some of them; each area's module says what else it needs.
 */
@Global()
@Module({})
export class InfrastructureModule {
  static forRoot(options: InfrastructureOptions): DynamicModule {
    return {
      module: InfrastructureModule,
      providers: [
        { provide: APP_CONFIG, useValue: options.config },
        { provide: DataSource, useValue: options.dataSource },
        { provide: CLOCK, useValue: options.clock ?? systemClock },
        { provide: MQTT_CONNECTION, useValue: options.mqtt },
        { provide: COMMAND_PUBLISHER, useValue: options.mqtt },
        EventBus,
      ],
      exports: [APP_CONFIG, DataSource, CLOCK, MQTT_CONNECTION, COMMAND_PUBLISHER, EventBus],
    };
  }
}
