import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TtlCache } from '../common/ttl-cache.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { PreparedStatement, queryPrepared } from '../database/pg-pool.js';
import { CompanyRole } from './entities/membership.entity.js';

const ROLE_OF: PreparedStatement = {
  name: 'membership-role',
  text: 'SELECT role FROM memberships WHERE account_id = $1 AND company_id = $2',
};

/**
 * Answers "which role does this account hold in this company?" for every
 * company-scoped request. Memberships are trusted for the same short age as
 * tokens; only positive answers are kept, so a new membership counts at once.
 */
@Injectable()
export class MembershipsService {
  private readonly cache: TtlCache<string, CompanyRole | null>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) config: BerthConfig,
  ) {
    this.cache = new TtlCache(config.authCacheTtlMs);
  }

  /** Synchronous when cached (nearly every request of a busy client); a promise when PostgreSQL is asked. */
  roleOf(accountId: number, companyId: number): CompanyRole | null | Promise<CompanyRole | null> {
    const key = `${accountId}:${companyId}`;
    const cached = this.cache.peek(key);
    if (cached) return cached;
    return this.cache.get(
      key,
      async () => {
        const { rows } = await queryPrepared<{ role: CompanyRole }>(this.db, ROLE_OF, [accountId, companyId]);
        return rows[0]?.role ?? null;
      },
      (role) => role !== null,
    );
  }

  /** Forgets what this process knew of a membership that changed (other processes follow within the cache's age). */
  forget(accountId: number, companyId: number): void {
    this.cache.delete(`${accountId}:${companyId}`);
  }

  /** Records a membership this process just created, so the next request needs no lookup. */
  remember(accountId: number, companyId: number, role: CompanyRole): void {
    this.cache.set(`${accountId}:${companyId}`, role);
  }
}
