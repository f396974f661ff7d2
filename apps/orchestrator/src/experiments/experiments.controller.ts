import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Actor, Roles } from '../auth/auth.decorators.js';
import { DeviceCommandsService } from '../commands/device-commands.service.js';
import { ExperimentControlsService } from './controls.service.js';

@ApiTags('experiments')
@ApiBearerAuth()
@Controller('api/experiments')
export class ExperimentsController {
  constructor(
    private readonly controls: ExperimentControlsService,
    private readonly commands: DeviceCommandsService,
  ) {}

  @Get(':id')
  @Roles('viewer')
  @ApiOperation({ summary: 'An experiment: status, values, metadata, who reported it, why it waits' })
  @ApiParam({ name: 'id' })
  get(@Param('id') id: string) {
    return this.controls.get(id);
  }

  @Get(':id/commands')
  @Roles('viewer')
  @ApiOperation({ summary: 'Every command sent to a device about this experiment (run, abort), with its acknowledgement' })
  @ApiParam({ name: 'id' })
  async commandLog(@Param('id') id: string) {
    await this.controls.get(id);
    return this.commands.list({ experimentId: id });
  }

  @Post(':id/result')
  @HttpCode(200)
  @Roles('operator')
  @ApiOperation({
    summary:
      'Report the outcome of an experiment a person ran ({"values": {...}} or {"failed": {"scope", "reason"}}, optional "metadata", "note"); once',
  })
  @ApiParam({ name: 'id' })
  report(@Param('id') id: string, @Body() body: unknown, @Actor() actor: string) {
    return this.controls.reportByPerson(id, body, actor);
  }

  @Post(':id/abort')
  @HttpCode(200)
  @Roles('operator')
  @ApiOperation({ summary: 'Abort an experiment not yet finished ({"reason": "..."}): neither data nor run again; its device is told' })
  @ApiParam({ name: 'id' })
  abort(@Param('id') id: string, @Body() body: unknown, @Actor() actor: string) {
    return this.controls.abort(id, body, actor);
  }
}
