import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/auth.decorators.js';
import { DevicesService } from './devices.service.js';

@ApiTags('devices')
@ApiBearerAuth()
@Controller('api/devices')
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

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
    return this.devices.get(id);
  }
}
