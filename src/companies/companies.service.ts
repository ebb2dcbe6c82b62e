import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditActor, CompanyContext } from '../common/access/principal.js';
import { DomainError } from '../common/errors/domain-error.js';
import { Keyset } from '../common/pagination/keyset.js';
import type { Page, PageRequest } from '../common/pagination/page-request.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { EventsService } from '../events/events.service.js';
import { assertCompanyQuota } from './account-quotas.js';
import { PreparedStatement, queryPrepared } from '../database/pg-pool.js';
import { CompanyDto } from './dto/company.dto.js';
import { Company } from './entities/company.entity.js';
import { CompanyRole, Membership } from './entities/membership.entity.js';
import { MembershipsService } from './memberships.service.js';

const ORDER = Keyset.byId<CompanyDto>('c.id');

/**
 * The companies an account reaches, a page at a time: $2 is a scoped token's companies (null:
 * all). Prepared, as Rosti's client lists companies often; the first page and the ones after
 * differ in text, so each is a statement of its own.
 */
function listCompanies(request: PageRequest, params: unknown[]): PreparedStatement {
  const where = ORDER.where(request, params);
  return {
    name: request.after ? 'list-companies-after' : 'list-companies',
    text: `SELECT c.id, c.name, m.role FROM memberships m JOIN companies c ON c.id = m.company_id
        WHERE m.account_id = $1 AND ($2::int[] IS NULL OR c.id = ANY($2)) AND ${where}
        ORDER BY ${ORDER.orderBy} LIMIT $${params.push(ORDER.fetch(request))}`,
  };
}

@Injectable()
export class CompaniesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    private readonly memberships: MembershipsService,
    private readonly events: EventsService,
  ) {}

  /** 403 for what a token scoped to some companies may not do: act for the whole account. */
  static wholeAccount(what: string): DomainError {
    return new DomainError('forbidden', `${what} needs a token for the whole account; this one is scoped to some companies`);
  }

  async listFor(accountId: number, scope: number[] | null, request: PageRequest): Promise<Page<CompanyDto>> {
    const params: unknown[] = [accountId, scope];
    const { rows } = await queryPrepared<CompanyDto>(this.db, listCompanies(request, params), params);
    return ORDER.page(rows, request);
  }

  async rename(company: CompanyContext, name: string, actor: AuditActor): Promise<CompanyDto> {
    await this.db.transaction(async (tx) => {
      await tx.getRepository(Company).update({ id: company.id }, { name });
      await this.events.record(tx, actor, { action: 'company.rename', companyId: company.id, target: { type: 'company', id: company.id }, data: { name } });
    });
    return { id: company.id, name, role: company.role };
  }

  /** Deletes a company with nothing left to run: apps and storages go first, each by its own operation. */
  async remove(company: CompanyContext, actor: AuditActor): Promise<CompanyDto> {
    return this.db.transaction(async (tx) => {
      const row = await tx.getRepository(Company).findOne({ where: { id: company.id }, lock: { mode: 'pessimistic_write' } });
      if (!row) throw DomainError.notFound('company');
      const apps: Array<{ name: string }> = await tx.query('SELECT name FROM apps WHERE company_id = $1 ORDER BY id', [company.id]);
      const storages: Array<{ name: string }> = await tx.query('SELECT name FROM storages WHERE company_id = $1 ORDER BY id', [company.id]);
      if (apps.length || storages.length) {
        const named = (n: number, what: string, list: Array<{ name: string }>) => `${n} ${what}${n === 1 ? '' : 's'} (${list.map((x) => x.name).join(', ')})`;
        const left = [apps.length ? named(apps.length, 'app', apps) : '', storages.length ? named(storages.length, 'storage', storages) : ''].filter(Boolean).join(' and ');
        throw new DomainError('conflict', `the company still has ${left}: delete them first`);
      }
      await tx.getRepository(Company).delete({ id: company.id });
      // The company's events go with it: its deletion is the deleting account's own event.
      await this.events.record(tx, actor, { action: 'company.delete', companyId: null, target: { type: 'company', id: company.id }, data: { name: row.name } });
      return { id: row.id, name: row.name, role: company.role };
    });
  }

  /** Creates a company with `accountId` as its owner, within COMPANIES_PER_ACCOUNT; pass a manager to join a larger transaction. */
  async create(accountId: number, name: string, actor: AuditActor, manager?: EntityManager): Promise<CompanyDto> {
    const run = async (tx: EntityManager) => {
      await assertCompanyQuota(tx, accountId, this.config.companiesPerAccount);
      const company = await tx.save(tx.create(Company, { name }));
      await tx.insert(Membership, { companyId: company.id, accountId, role: 'owner' satisfies CompanyRole });
      await this.events.record(tx, actor, { action: 'company.create', companyId: company.id, target: { type: 'company', id: company.id }, data: { name } });
      return company;
    };
    const company = manager ? await run(manager) : await this.db.transaction(run);
    this.memberships.remember(accountId, company.id, 'owner');
    return { id: company.id, name: company.name, role: 'owner' };
  }
}
