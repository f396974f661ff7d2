import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/auth.decorators.js';
import { InsightsService } from './insights.service.js';

@ApiTags('console')
@ApiBearerAuth()
@Controller('api/campaigns')
export class InsightsController {
  constructor(private readonly insights: InsightsService) {}

  @Get(':id/insights')
  @Roles('viewer')
  @ApiOperation({
    summary:
      'What the console draws: best so far, cross-validated predicted vs observed, a PCA of the explored space, permutation importance, the model on the pending batch',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  get(@Param('id') id: string) {
    return this.insights.forCampaign(id);
  }
}
