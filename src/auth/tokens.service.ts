import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { DomainError } from '../common/errors/domain-error.js';
import { Keyset } from '../common/pagination/keyset.js';
import type { Page, PageRequest } from '../common/pagination/page-request.js';
import type { AuditActor, Principal } from '../common/access/principal.js';
import { EventsService } from '../events/events.service.js';
import { CreatedTokenDto, CreateTokenDto, TokenDto } from './dto/token.dto.js';
import { ApiToken, TokenAccess } from './entities/api-token.entity.js';
import { hashToken, newTokenSecret, tokenHint } from './token-secret.js';
import { TokenVerifier } from './token-verifier.service.js';

const ORDER = Keyset.byId<ApiToken>('token.id');

function toDto(token: ApiToken): TokenDto {
  return {
    id: token.id,
    name: token.name,
    hint: token.hint,
    created_at: token.createdAt,
    last_used_at: token.lastUsedAt,
    expires_at: token.expiresAt,
    companies: token.companies,
    access: token.access,
  };
}

/** What a token may reach: some companies (null: all of its account's), and reading only or more. */
export interface TokenScope {
  companies: number[] | null;
  access: TokenAccess;
}

@Injectable()
export class TokensService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly verifier: TokenVerifier,
    private readonly events: EventsService,
  ) {}

  /** Issues a token; the secret is in the answer and nowhere else. */
  async issue(accountId: number, name: string, expiresAt: Date | null = null, manager?: EntityManager, scope: TokenScope = { companies: null, access: 'write' }): Promise<CreatedTokenDto> {
    const secret = newTokenSecret();
    const repo = (manager ?? this.db.manager).getRepository(ApiToken);
    const token = await repo.save(repo.create({ accountId, name, tokenHash: hashToken(secret), hint: tokenHint(secret), expiresAt, ...scope }));
    return { ...toDto(token), token: secret };
  }

  /**
   * Issues a token asked for through the API. A token can make only tokens that reach no more
   * than it does: a scoped token's companies bound the new one's (its default), so no token
   * widens its own reach. The companies must be the account's.
   */
  async create(creator: Principal, input: CreateTokenDto, actor: AuditActor): Promise<CreatedTokenDto> {
    let companies = input.companies ?? creator.companies;
    if (companies) {
      companies = [...companies].sort((a, b) => a - b);
      const theirs = new Set(
        ((await this.db.query('SELECT company_id FROM memberships WHERE account_id = $1', [creator.accountId])) as Array<{ company_id: number }>).map((m) => m.company_id),
      );
      const foreign = companies.filter((c) => !theirs.has(c) || (creator.companies !== null && !creator.companies.includes(c)));
      if (foreign.length) throw DomainError.field('companies', `${foreign.join(', ')} ${foreign.length === 1 ? 'is not a company' : 'are not companies'} this token reaches`);
    }
    const scope = { companies, access: input.access ?? 'write' } as const;
    return this.db.transaction(async (tx) => {
      const created = await this.issue(creator.accountId, input.name, input.expires_at ?? null, tx, scope);
      const data = { name: created.name, access: created.access, companies: created.companies };
      await this.events.record(tx, actor, { action: 'token.create', companyId: null, target: { type: 'token', id: created.id }, data });
      return created;
    });
  }

  /** Tokens that still work or have merely expired; revoked ones are gone from the list. */
  async list(accountId: number, request: PageRequest): Promise<Page<TokenDto>> {
    const query = this.db.getRepository(ApiToken).createQueryBuilder('token').where('token.accountId = :accountId AND token.revokedAt IS NULL', { accountId });
    const { items, next } = ORDER.page(await ORDER.apply(query, request).getMany(), request);
    return { items: items.map(toDto), next };
  }

  async revoke(accountId: number, id: number, actor: AuditActor): Promise<TokenDto> {
    const token = await this.db.transaction(async (tx) => {
      const repo = tx.getRepository(ApiToken);
      const token = await repo.findOne({ where: { id, accountId, revokedAt: IsNull() }, lock: { mode: 'pessimistic_write' } });
      if (!token) throw DomainError.notFound('token');
      await repo.update({ id, accountId }, { revokedAt: new Date() });
      await this.events.record(tx, actor, { action: 'token.revoke', companyId: null, target: { type: 'token', id }, data: { name: token.name } });
      return token;
    });
    this.verifier.forget(token.tokenHash);
    return toDto(token);
  }
}
