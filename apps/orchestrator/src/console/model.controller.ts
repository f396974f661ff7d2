import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/auth.decorators.js';
import { ModelService } from './model.service.js';

@ApiTags('console')
@ApiBearerAuth()
@Controller('api/campaigns')
export class ModelController {
  constructor(private readonly model: ModelService) {}

  @Post(':id/predict')
  @HttpCode(200)
  @Roles('viewer')
  @ApiOperation({
    summary:
      "The campaign's model at given points: mean ± sd of the objective and the campaign's acquisition value at each (points outside the parameters or constraints are refused, every problem named)",
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiBody({
    schema: { type: 'object', required: ['points'], properties: { points: { type: 'array', items: { type: 'object' }, maxItems: 1000 } } },
  })
  predict(@Param('id') id: string, @Body() body: unknown) {
    return this.model.predict(id, body);
  }

  @Get(':id/model/optimum')
  @Roles('viewer')
  @ApiOperation({ summary: "Where the campaign's model predicts the best objective, with the predicted mean ± sd there" })
  @ApiParam({ name: 'id', format: 'uuid' })
  optimum(@Param('id') id: string) {
    return this.model.optimum(id);
  }

  @Get(':id/model/slice')
  @Roles('viewer')
  @ApiOperation({ summary: "The campaign's model along one parameter (mean ± sd), every other held at the best result's value" })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiQuery({ name: 'parameter', required: true })
  slice(@Param('id') id: string, @Query('parameter') parameter: unknown) {
    return this.model.slice(id, parameter);
  }
}
