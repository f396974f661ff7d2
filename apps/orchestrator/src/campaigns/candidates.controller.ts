import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Actor, Roles } from '../auth/auth.decorators.js';
import { candidateListSchema } from './candidate-schema.js';
import { CandidatesService, exclusionSchema } from './candidates.service.js';

const jsonSchema = (schema: z.ZodType) => {
  const out = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
};

/**
 * The body of an upload: JSON as it is, or a text/csv body (a string here)
 * as `csv`, with `name` and `descriptors` (comma-separated) from the query.
 */
function uploadOf(body: unknown, contentType: string | undefined, name?: string, descriptors?: string): unknown {
  if (typeof body !== 'string' || !/^text\/csv\b/i.test(contentType ?? '')) return body;
  return {
    csv: body,
    ...(name !== undefined ? { name } : {}),
    ...(descriptors !== undefined
      ? {
          descriptors: descriptors
            .split(',')
            .map((d) => d.trim())
            .filter((d) => d.length > 0),
        }
      : {}),
  };
}

@ApiTags('candidates')
@ApiBearerAuth()
@Controller('api/candidate-lists')
export class CandidateListsController {
  constructor(private readonly candidates: CandidatesService) {}

  @Post()
  @Roles('operator')
  @ApiOperation({
    summary:
      "Upload a candidate list (up to 100,000 rows) as JSON rows or CSV (a `csv` field, or a text/csv body with ?name=&descriptors=a,b): one column per parameter, plus the numeric descriptor columns named in `descriptors`. A campaign names it as `candidates.list`; its rows are checked against the campaign's parameters then",
  })
  @ApiBody({ schema: jsonSchema(candidateListSchema) })
  @ApiQuery({ name: 'name', required: false })
  @ApiQuery({ name: 'descriptors', required: false, description: 'comma-separated descriptor columns (text/csv bodies)' })
  @ApiResponse({ status: 201, description: 'The stored list: its id, columns and number of rows' })
  @ApiResponse({ status: 400, description: 'The upload cannot be read; every problem is listed and nothing is stored' })
  upload(
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Query('name') name: string | undefined,
    @Query('descriptors') descriptors: string | undefined,
    @Actor() actor: string,
  ) {
    return this.candidates.upload(uploadOf(body, contentType, name, descriptors), actor);
  }

  @Get(':id')
  @Roles('viewer')
  @ApiOperation({ summary: 'A candidate list: its name, columns, descriptors and number of rows' })
  @ApiParam({ name: 'id', format: 'uuid' })
  get(@Param('id') id: string) {
    return this.candidates.getList(id);
  }
}

@ApiTags('candidates')
@ApiBearerAuth()
@Controller('api/campaigns')
export class CampaignCandidatesController {
  constructor(private readonly candidates: CandidatesService) {}

  @Get(':id/candidates')
  @Roles('viewer')
  @ApiOperation({ summary: "A campaign's candidate list: rows proposed, rows left, and the rows excluded (by whom, when, why)" })
  @ApiParam({ name: 'id', format: 'uuid' })
  get(@Param('id') id: string) {
    return this.candidates.ofCampaign(id);
  }

  @Post(':id/candidates/exclusions')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Exclude rows of the candidate list (row numbers, 1 = the first row) from the proposals from now on, with a reason; audited. Proposals already made stay',
  })
  @ApiBody({ schema: jsonSchema(exclusionSchema) })
  @ApiResponse({ status: 400, description: 'A row number outside the list, or no reason; every problem is listed and nothing is excluded' })
  @ApiResponse({ status: 409, description: 'The campaign is completed or cancelled' })
  exclude(@Param('id') id: string, @Body() body: unknown, @Actor() actor: string) {
    return this.candidates.exclude(id, body, actor);
  }
}
