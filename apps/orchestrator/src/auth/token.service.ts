import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type TokenEntry } from '../common/config.js';
import type { Principal } from '../common/roles.js';

/**
 * The bearer tokens the service accepts, from configuration (HAKKEN_TOKENS).
 * With none configured, one admin token is generated at start and logged
 * once, so that a newcomer can log in; it lasts until the service stops.
 */
@Injectable()
export class TokenService {
  private readonly logger = new Logger('auth');
  private readonly entries: { digest: Buffer; principal: Principal }[];

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    let tokens: readonly TokenEntry[] = config.tokens;
    if (tokens.length === 0) {
      const token = randomBytes(24).toString('base64url');
      tokens = [{ token, role: 'admin', name: 'generated' }];
      this.logger.warn(`no HAKKEN_TOKENS configured: generated an admin token for this run: ${token}`);
    }
    this.entries = tokens.map((t) => ({ digest: digest(t.token), principal: { role: t.role, name: t.name } }));
  }

  /** The principal a token stands for; undefined for a missing or unknown token. */
  authenticate(token: unknown): Principal | undefined {
    if (typeof token !== 'string' || token.length === 0 || token.length > 512) return undefined;
    // Compare digests in constant time, and look at every entry, so timing tells nothing.
    const d = digest(token);
    let found: Principal | undefined;
    for (const e of this.entries) if (timingSafeEqual(e.digest, d)) found = e.principal;
    return found;
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** The token in an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = value?.match(/^Bearer\s+(\S+)\s*$/i);
  return m?.[1];
}
