import { Body, Controller, Get, Param, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Actor, Roles } from '../auth/auth.decorators.js';
import { DefinitionChangesService } from './definition-changes.service.js';

@ApiTags('campaigns')
@ApiBearerAuth()
@Controller('api/campaigns')
export class DefinitionChangesController {
  constructor(private readonly changes: DefinitionChangesService) {}

  @Patch(':id')
  @Roles('operator')
  @ApiOperation({
    summary:
      "Change a running or paused campaign's budget (never below what it has spent or committed), batch size, strategy (its fields given replace the current ones; null removes one) or target (null: none), with a reason: audited, kept as a new version of the definition, and the next batch is proposed under it",
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['reason'],
      properties: {
        reason: { type: 'string' },
        budget: { type: 'integer', minimum: 1 },
        batchSize: { type: 'integer', minimum: 1 },
        strategy: { type: 'object', description: 'e.g. {"acquisition": {"kind": "UCB", "kappa": 3}} or {"kind": "trees"}' },
        target: { type: ['number', 'null'] },
      },
    },
  })
  change(@Param('id') id: string, @Body() body: unknown, @Actor() actor: string) {
    return this.changes.change(id, body, actor);
  }

  @Get(':id/definitions')
  @Roles('viewer')
  @ApiOperation({ summary: "Every version of a campaign's definition, oldest first: who changed what, when and why" })
  @ApiParam({ name: 'id', format: 'uuid' })
  history(@Param('id') id: string) {
    return this.changes.history(id);
  }
}
