import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Principal, principalOfRow, TOKEN_USABLE, TokenRow } from '../common/access/principal.js';
import { TtlCache } from '../common/ttl-cache.js';
import { PreparedStatement, queryPrepared } from '../database/pg-pool.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { hashToken, isTokenShaped } from './token-secret.js';

const USE_TOKEN: PreparedStatement = {
  name: 'use-token',
  text: `UPDATE api_tokens SET last_used_at = now()
        WHERE token_hash = $1 AND ${TOKEN_USABLE}
        RETURNING id, account_id, expires_at, companies, access`,
};

/**
 * Turns a presented secret into a Principal. A verified token is trusted for at
 * most `authCacheTtlMs` (≤ 1 s) before PostgreSQL is asked again, so a token
 * revoked in any process stops working everywhere within a second, while a busy
 * client costs one database round trip per second instead of one per request.
 */
@Injectable()
export class TokenVerifier {
  private readonly cache: TtlCache<string, Principal | null>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) config: BerthConfig,
  ) {
    this.cache = new TtlCache(config.authCacheTtlMs);
  }

  /**
   * Synchronous when the token was verified within the cache's age (nearly every request
   * of a busy client): no promise, no microtask. A promise only when PostgreSQL is asked.
   */
  verify(secret: string): Principal | null | Promise<Principal | null> {
    if (!isTokenShaped(secret)) return null;
    const hash = hashToken(secret);
    const cached = this.cache.peek(hash);
    if (cached) return this.unexpired(hash, cached);
    return this.cache.get(hash, () => this.load(hash), (p) => p !== null).then((p) => p && this.unexpired(hash, p));
  }

  private unexpired(hash: string, principal: Principal): Principal | null {
    if (principal.expiresAt !== null && principal.expiresAt <= Date.now()) {
      this.cache.delete(hash);
      return null;
    }
    return principal;
  }

  /** Forget a token at once in this process (others follow within the cache's age limit). */
  forget(tokenHash: string): void {
    this.cache.delete(tokenHash);
  }

  // One round trip both checks the token and records its use.
  private async load(hash: string): Promise<Principal | null> {
    const row = (await queryPrepared<TokenRow>(this.db, USE_TOKEN, [hash])).rows[0];
    return row ? principalOfRow(row) : null;
  }
}
