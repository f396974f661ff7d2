import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../common/config.js';
import { StrategyPool } from './strategy-pool.js';

/**
 * The worker threads that compute strategy asks (for the loop) and the
 * console's insights: the GP fits that take seconds of CPU, off the main thread.
 */
@Module({
  providers: [
    // Its workers stop in onApplicationShutdown, after the loop has finished its pass (beforeApplicationShutdown).
    {
      provide: StrategyPool,
      useFactory: (config: AppConfig) => new StrategyPool({ size: config.proposalWorkers }),
      inject: [APP_CONFIG],
    },
  ],
  exports: [StrategyPool],
})
export class ComputeModule {}
