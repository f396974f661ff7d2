import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { isValidDeviceId } from '#protocol';
import { Actor, Roles } from '../auth/auth.decorators.js';
import { DomainError } from '../common/errors.js';
import { DeviceCommandsService } from '../commands/device-commands.service.js';
import { DeviceStopsService } from './device-stops.service.js';
import { DevicesService } from './devices.service.js';

@ApiTags('devices')
@ApiBearerAuth()
@Controller('api/devices')
export class DevicesController {
  constructor(
    private readonly devices: DevicesService,
    private readonly stops: DeviceStopsService,
    private readonly commands: DeviceCommandsService,
  ) {}

  @Get()
  @Roles('viewer')
  @ApiOperation({ summary: 'Devices seen on the broker: availability (and why offline), capabilities, capacity, running count, last seen' })
  list() {
    return this.devices.list();
  }

  @Get(':id')
  @Roles('viewer')
  @ApiOperation({ summary: 'A device with the experiments it has now' })
  @ApiParam({ name: 'id' })
  get(@Param('id') id: string) {
    return this.devices.get(deviceIdOf(id));
  }

  @Get(':id/commands')
  @Roles('viewer')
  @ApiOperation({ summary: 'Every command sent to the device (run, abort, stop, resume), with its acknowledgement' })
  @ApiParam({ name: 'id' })
  async commandLog(@Param('id') id: string) {
    await this.devices.get(deviceIdOf(id));
    return this.commands.list({ deviceId: id });
  }

  @Post(':id/stop')
  @HttpCode(200)
  @Roles('operator')
  @ApiOperation({ summary: 'Emergency stop ({"reason": "..."}): the device aborts what it holds and is sent nothing until resumed' })
  @ApiParam({ name: 'id' })
  stop(@Param('id') id: string, @Body() body: unknown, @Actor() actor: string) {
    return this.stops.stop(deviceIdOf(id), body, actor);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @Roles('operator')
  @ApiOperation({ summary: 'Resume a stopped device: it takes experiments again' })
  @ApiParam({ name: 'id' })
  resume(@Param('id') id: string, @Actor() actor: string) {
    return this.stops.resume(deviceIdOf(id), actor);
  }
}

/** A path's device id as the protocol allows it (topics.ts); any other string names no device (and never reaches the database). */
function deviceIdOf(id: string): string {
  if (!isValidDeviceId(id))
    throw new DomainError('not_found', `device ${JSON.stringify(id.slice(0, 80))} not found: a device id is letters, digits, _ . - (at most 64)`);
  return id;
}
