import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { DomainError } from '../common/errors.js';
import { actorOf, type Principal, type Role } from '../common/roles.js';

export const ROLES_KEY = 'hakken:minimum-role';
export const PUBLIC_KEY = 'hakken:public';

/**
 * The weakest role allowed to call a controller method or console command
 * (stronger roles may too). Every handler declares one, or is @Public():
 * the guard refuses a handler that declares neither.
 */
export const Roles = (minimum: Role) => SetMetadata(ROLES_KEY, minimum);

/** Reachable without a token (health, the console page). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** Where the guard leaves the caller, per transport. */
export interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
}
export interface AuthenticatedSocket {
  data: { principal?: Principal };
}

/** The caller of an HTTP request or a console command, as the guard found it. */
export function principalOf(ctx: ExecutionContext): Principal | undefined {
  switch (ctx.getType()) {
    case 'http':
      return ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    case 'ws':
      return ctx.switchToWs().getClient<AuthenticatedSocket>().data.principal;
    default:
      return undefined;
  }
}

function required(ctx: ExecutionContext): Principal {
  const p = principalOf(ctx);
  if (!p) throw new DomainError('unauthenticated', 'a valid bearer token is required');
  return p;
}

/** The audit log's actor for this call: `<role>:<name>` from the token. */
export const Actor = createParamDecorator((_: unknown, ctx: ExecutionContext): string => actorOf(required(ctx)));

/** The caller. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => required(ctx));
