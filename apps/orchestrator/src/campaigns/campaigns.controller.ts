import { Body, Controller, Get, Header, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Actor, Roles } from '../auth/auth.decorators.js';
import { campaignDefinitionSchema } from './campaign-definition.js';
import { parseInput } from '../common/parse-input.js';
import { ConflictsService } from '../experiments/conflicts.service.js';
import { approvalChangeSchema, batchEditSchema } from './batch-edit.js';
import { CampaignsService } from './campaigns.service.js';
import { importSchema } from './imports.js';
import { ImportsService } from './imports.service.js';
import { stallResolutionSchema, StallsService } from './stalls.service.js';

/** Why a batch is decided; who decides comes from the bearer token. The audit log keeps both. */
const decisionSchema = z.object({ note: z.string().max(2000).optional() }).strict();
const decision = (body: unknown) => parseInput(decisionSchema, body, 'decision');
const jsonSchema = (schema: z.ZodType) => {
  const out = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
};

/** What POST /api/campaigns takes: a definition, and optionally earlier results to learn from (stored apart from the definition). */
const createCampaignSchema = campaignDefinitionSchema.extend({ earlierResults: importSchema.optional() });
const definitionJsonSchema = z.toJSONSchema(createCampaignSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
delete definitionJsonSchema.$schema;
const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, problems: { type: 'array', items: { type: 'string' } } },
    },
  },
};
const decisionJsonSchema = jsonSchema(decisionSchema);

@ApiTags('campaigns')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'No bearer token, or an unknown one', schema: errorSchema })
@ApiResponse({ status: 403, description: "The token's role does not allow this", schema: errorSchema })
@Controller('api/campaigns')
export class CampaignsController {
  constructor(
    private readonly campaigns: CampaignsService,
    private readonly imports: ImportsService,
    private readonly conflicts: ConflictsService,
    private readonly stalls: StallsService,
  ) {}

  @Post()
  @Roles('admin')
  @ApiOperation({
    summary:
      'Create and start a campaign from a JSON definition, with optional earlierResults (as an import) its first proposal learns from',
  })
  @ApiBody({ schema: definitionJsonSchema })
  @ApiResponse({ status: 201, description: 'The campaign, running' })
  @ApiResponse({ status: 400, description: 'The definition is impossible; every problem is listed', schema: errorSchema })
  create(@Body() body: unknown, @Actor() actor: string) {
    return this.campaigns.create(body, actor);
  }

  @Get()
  @Roles('viewer')
  @ApiOperation({ summary: 'List campaigns with progress and best value' })
  list() {
    return this.campaigns.list();
  }

  @Get(':id')
  @Roles('viewer')
  @ApiOperation({ summary: 'A campaign with its batches and experiments' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiResponse({ status: 404, schema: errorSchema })
  get(@Param('id') id: string) {
    return this.campaigns.get(id);
  }

  @Get(':id/audit')
  @Roles('viewer')
  @ApiOperation({ summary: 'The audit log of a campaign' })
  audit(@Param('id') id: string) {
    return this.campaigns.auditLog(id);
  }

  @Get(':id/conflicts')
  @Roles('viewer')
  @ApiOperation({
    summary:
      'Reports that contradict an outcome already stored (another value, failed where it completed): kept apart, answered `conflict`, never learned from',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiResponse({ status: 404, schema: errorSchema })
  conflictingReports(@Param('id') id: string) {
    return this.conflicts.list(id);
  }

  @Post(':id/pause')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pause: no new proposals or dispatches; running experiments finish' })
  @ApiResponse({ status: 409, description: 'Not running', schema: errorSchema })
  pause(@Param('id') id: string, @Actor() actor: string) {
    return this.campaigns.pause(id, actor);
  }

  @Post(':id/resume')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume a paused campaign' })
  @ApiResponse({ status: 409, description: 'Not paused', schema: errorSchema })
  resume(@Param('id') id: string, @Actor() actor: string) {
    return this.campaigns.resume(id, actor);
  }

  @Post(':id/stall/resolve')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Get a stalled campaign moving: redispatch sends its experiments stuck on devices to other devices (a late result from the old one is refused); fail gives up on them and on queued ones no device takes (never learned from). Audited.',
  })
  @ApiBody({ schema: jsonSchema(stallResolutionSchema) })
  @ApiResponse({ status: 200, description: 'The action and the experiments it changed, each with the device it was on' })
  @ApiResponse({ status: 409, description: 'The campaign is completed or cancelled', schema: errorSchema })
  resolveStall(@Param('id') id: string, @Body() body: unknown, @Actor() actor: string) {
    return this.stalls.resolve(id, body, actor);
  }

  @Post(':id/cancel')
  @Roles('admin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel: unsent proposals are cancelled; experiments on devices finish and are stored' })
  @ApiResponse({ status: 409, description: 'Already finished', schema: errorSchema })
  cancel(@Param('id') id: string, @Actor() actor: string) {
    return this.campaigns.cancel(id, actor);
  }

  @Post(':id/batches/:batchId/approve')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve a proposed batch (manual approval policy)' })
  @ApiBody({ schema: decisionJsonSchema, required: false })
  approve(@Param('id') id: string, @Param('batchId') batchId: string, @Body() body: unknown, @Actor() actor: string) {
    return this.campaigns.approveBatch(id, batchId, actor, decision(body).note);
  }

  @Post(':id/batches/:batchId/reject')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject a proposed batch; the campaign proposes another' })
  @ApiBody({ schema: decisionJsonSchema, required: false })
  reject(@Param('id') id: string, @Param('batchId') batchId: string, @Body() body: unknown, @Actor() actor: string) {
    return this.campaigns.rejectBatch(id, batchId, actor, decision(body).note);
  }

  @Post(':id/batches/:batchId/edit-and-approve')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Change the values of some proposals (checked against the space), leave some out, and approve the rest' })
  @ApiBody({ schema: jsonSchema(batchEditSchema) })
  @ApiResponse({ status: 400, description: 'An edited value is outside the space; every problem is listed', schema: errorSchema })
  editAndApprove(@Param('id') id: string, @Param('batchId') batchId: string, @Body() body: unknown, @Actor() actor: string) {
    return this.campaigns.editAndApproveBatch(id, batchId, body, actor);
  }

  @Post(':id/imports')
  @Roles('operator')
  @ApiOperation({
    summary:
      'Import earlier results (a literature table, a notebook) as JSON rows or CSV text, with a value for every objective and limited outcome: the strategy learns from them; they count toward neither the budget nor the target',
  })
  @ApiBody({ schema: jsonSchema(importSchema) })
  @ApiResponse({ status: 201, description: 'What was stored: the import id, the number of results and of failures, CSV columns not read' })
  @ApiResponse({
    status: 400,
    description:
      'A result is outside the space, lacks a valid value for an objective or limited outcome, or names an outcome the campaign lacks; every problem is listed and nothing is stored',
    schema: errorSchema,
  })
  @ApiResponse({ status: 409, description: 'The campaign is completed or cancelled', schema: errorSchema })
  importResults(@Param('id') id: string, @Body() body: unknown, @Actor() actor: string) {
    return this.imports.import(id, body, actor);
  }

  @Get(':id/results.csv')
  @Roles('viewer')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  @ApiOperation({
    summary:
      "The campaign's results as CSV: imported ones, then its own (failed experiments marked); the table an import reads, so it can start another campaign",
  })
  @ApiResponse({ status: 200, content: { 'text/csv': { schema: { type: 'string' } } } })
  resultsCsv(@Param('id') id: string) {
    return this.imports.resultsCsv(id);
  }

  @Get(':id/imports')
  @Roles('viewer')
  @ApiOperation({ summary: 'The imported results of a campaign, with their source and who imported them' })
  importedResults(@Param('id') id: string) {
    return this.imports.list(id);
  }

  @Put(':id/approval')
  @Roles('operator')
  @ApiOperation({ summary: 'Change the approval policy (manual, auto, auto-unless-flagged) of a running or paused campaign' })
  @ApiBody({ schema: jsonSchema(approvalChangeSchema) })
  setApproval(@Param('id') id: string, @Body() body: unknown, @Actor() actor: string) {
    return this.campaigns.setApprovalPolicy(id, body, actor);
  }
}
