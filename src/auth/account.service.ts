import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, Not } from 'typeorm';
import type { AuditActor, Principal } from '../common/access/principal.js';
import { DomainError } from '../common/errors/domain-error.js';
import { CompaniesService } from '../companies/companies.service.js';
import type { EventData } from '../events/event-actions.js';
import { EventsService } from '../events/events.service.js';
import { AccountDto, UpdateAccountDto } from './dto/auth.dto.js';
import { Account } from './entities/account.entity.js';
import { ApiToken } from './entities/api-token.entity.js';
import { hashPassword, verifyPassword } from './password.js';
import { TokenVerifier } from './token-verifier.service.js';

const toDto = (a: Account): AccountDto => ({ id: a.id, email: a.email, name: a.name, created_at: a.createdAt });

/** The signed-in account itself: its name and its password. */
@Injectable()
export class AccountService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly verifier: TokenVerifier,
    private readonly events: EventsService,
  ) {}

  async get(accountId: number): Promise<AccountDto> {
    return toDto(await this.db.getRepository(Account).findOneByOrFail({ id: accountId }));
  }

  /**
   * Renames the account, or changes its password given the current one; a new password revokes
   * every other token of the account (the one that asked keeps working), in every process
   * within the token cache's age.
   */
  async update(principal: Principal, input: UpdateAccountDto, actor: AuditActor): Promise<AccountDto> {
    if (input.name === undefined && input.password === undefined) throw DomainError.validation({ name: ['give a new name, a new password, or both'] });
    if (principal.companies) throw CompaniesService.wholeAccount('changing the account');
    const repo = this.db.getRepository(Account);
    const account = await repo.findOneByOrFail({ id: principal.accountId });
    if (input.password !== undefined) {
      if (!input.current_password) throw DomainError.field('current_password', 'is required to set a new password');
      if (!(await verifyPassword(account.passwordHash, input.current_password))) throw DomainError.field('current_password', 'is not the account’s password');
      account.passwordHash = await hashPassword(input.password);
    }
    if (input.name !== undefined) account.name = input.name;
    const revoked = await this.db.transaction(async (tx) => {
      await tx.getRepository(Account).save(account);
      const others =
        input.password === undefined ? [] : await tx.getRepository(ApiToken).find({ where: { accountId: account.id, id: Not(principal.tokenId), revokedAt: IsNull() } });
      if (others.length) await tx.getRepository(ApiToken).update(others.map((t) => t.id), { revokedAt: () => 'now()' });
      // Which fields changed, never the password; a new one is its own action, to be found by it.
      const fields = [input.name !== undefined && 'name', input.password !== undefined && 'password'].filter((f): f is string => !!f);
      const data: EventData = input.password === undefined ? { fields } : { fields, revoked_token_ids: others.map((t) => t.id) };
      const action = input.password === undefined ? 'account.update' : 'account.password';
      await this.events.record(tx, actor, { action, companyId: null, target: { type: 'account', id: account.id }, data });
      return others;
    });
    for (const token of revoked) this.verifier.forget(token.tokenHash);
    return toDto(account);
  }
}
