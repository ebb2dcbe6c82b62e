import { EntityManager } from 'typeorm';
import { DomainError } from '../common/errors/domain-error.js';

/**
 * Quotas held by accounts as well as by companies: otherwise each new company would bring a
 * fresh allowance of apps and storages. What a company holds counts against its owners; their
 * rows are locked (in id order, so two transactions never wait on each other crosswise), which
 * serialises creates across all of an owner's companies however many requests race.
 */
export async function assertAccountQuota(tx: EntityManager, companyId: number, table: 'apps' | 'storages', max: number): Promise<void> {
  const owners: Array<{ account_id: number }> = await tx.query(
    `SELECT a.id AS account_id FROM accounts a JOIN memberships m ON m.account_id = a.id
      WHERE m.company_id = $1 AND m.role = 'owner' ORDER BY a.id FOR UPDATE OF a`,
    [companyId],
  );
  for (const { account_id: accountId } of owners) {
    // The table name is one of two constants above, never input.
    const [{ count }]: Array<{ count: number }> = await tx.query(
      `SELECT count(*)::int AS count FROM ${table} t JOIN memberships m ON m.company_id = t.company_id AND m.role = 'owner' WHERE m.account_id = $1`,
      [accountId],
    );
    if (count >= max) {
      throw new DomainError('quota_exceeded', `the account that owns this company has ${count} ${table} across its companies, the most one account may have (${max})`);
    }
  }
}

/** An account may own at most `max` companies; its row is locked so parallel creates cannot both slip under it. */
export async function assertCompanyQuota(tx: EntityManager, accountId: number, max: number): Promise<void> {
  await tx.query('SELECT id FROM accounts WHERE id = $1 FOR UPDATE', [accountId]);
  const [{ count }]: Array<{ count: number }> = await tx.query(`SELECT count(*)::int AS count FROM memberships WHERE account_id = $1 AND role = 'owner'`, [accountId]);
  if (count >= max) throw new DomainError('quota_exceeded', `this account owns ${count} companies, the most one account may own (${max})`);
}
