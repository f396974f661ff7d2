import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { TokenService } from './token.service.js';

/**
 * Who calls: the tokens (HAKKEN_TOKENS) and the guard that checks every REST
 * handler against its roles. The console's socket authenticates its
 * handshake with the same tokens (and its commands with the same guard).
 */
@Module({
  controllers: [AuthController],
  providers: [TokenService, AuthGuard, { provide: APP_GUARD, useExisting: AuthGuard }],
  exports: [TokenService],
})
export class AuthModule {}
