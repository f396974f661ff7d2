import { Module } from '@nestjs/common';
import { DeviceCommandsService } from './device-commands.service.js';

/**
 * The device command log (every run, abort, stop and resume sent to a device, with its acknowledgement) and
 * the sender of control commands. It uses only the global infrastructure (database, publisher, clock, config).
 */
@Module({
  providers: [DeviceCommandsService],
  exports: [DeviceCommandsService],
})
export class CommandsModule {}
