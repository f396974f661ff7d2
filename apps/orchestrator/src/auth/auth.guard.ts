import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../common/errors.js';
import { PUBLIC_KEY, ROLES_KEY, type AuthenticatedRequest, type AuthenticatedSocket } from './auth.decorators.js';
import { actorOf, hasRole, type Principal, type Role } from '../common/roles.js';
import { bearerToken, TokenService } from './token.service.js';

/**
 * The one access check, for REST (bearer token) and console commands (the
 * socket was authenticated when it connected): the caller's role must be at
 * least the handler's @Roles(). Fails closed for handlers that declare none.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_KEY, targets)) return true;
    const principal = this.identify(ctx);
    if (!principal) throw new DomainError('unauthenticated', 'a valid bearer token is required (Authorization: Bearer <token>)');
    const minimum = this.reflector.getAllAndOverride<Role | undefined>(ROLES_KEY, targets);
    if (!minimum) throw new DomainError('forbidden', 'this action declares no role and is refused to everyone');
    if (!hasRole(principal.role, minimum)) {
      throw new DomainError('forbidden', `${actorOf(principal)} may not do this: it needs the ${minimum} role or above`);
    }
    return true;
  }

  private identify(ctx: ExecutionContext): Principal | undefined {
    switch (ctx.getType()) {
      case 'http': {
        const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
        req.principal = this.tokens.authenticate(bearerToken(req.headers.authorization));
        return req.principal;
      }
      case 'ws':
        return ctx.switchToWs().getClient<AuthenticatedSocket>().data.principal;
      default:
        return undefined;
    }
  }
}
