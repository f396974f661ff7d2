import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from './auth.decorators.js';
import type { Principal } from '../common/roles.js';

@ApiTags('auth')
@ApiBearerAuth()
@Controller('api/auth')
export class AuthController {
  @Get('me')
  @Roles('viewer')
  @ApiOperation({ summary: 'Who the bearer token stands for: role and name' })
  me(@CurrentPrincipal() principal: Principal): Principal {
    return principal;
  }
}
