import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { CampaignsModule } from '../campaigns/campaigns.module.js';
import { ComputeModule } from '../compute/compute.module.js';
import { ConsoleGateway } from './console.gateway.js';
import { InsightsController } from './insights.controller.js';
import { InsightsService } from './insights.service.js';
import { ModelController } from './model.controller.js';
import { ModelService } from './model.service.js';

/** The operator console: its socket (live events, operators' commands) and the insights it draws (on the strategy pool). */
@Module({
  imports: [AuthModule, CampaignsModule, ComputeModule],
  controllers: [InsightsController, ModelController],
  providers: [InsightsService, ModelService, ConsoleGateway],
})
export class ConsoleModule {}
