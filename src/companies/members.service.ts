import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { DomainError } from '../common/errors/domain-error.js';
import { isoMicros, Keyset } from '../common/pagination/keyset.js';
import type { Page, PageRequest } from '../common/pagination/page-request.js';
import type { AuditActor, CompanyContext, Principal } from '../common/access/principal.js';
import { EventsService } from '../events/events.service.js';
import { MemberDto } from './dto/member.dto.js';
import { COMPANY_ROLES, CompanyRole, Membership } from './entities/membership.entity.js';
import { MembershipsService } from './memberships.service.js';

type MemberRow = MemberDto & { created_key: string };

// Oldest member first; the account breaks ties between members who joined at the same instant.
const ORDER = new Keyset<MemberRow>('ASC', [
  { sql: 'm.created_at', type: 'timestamp', of: (m) => m.created_key },
  { sql: 'm.account_id', type: 'int', of: (m) => m.account_id },
]);
const MEMBERS = `SELECT m.account_id, a.email, a.name, m.role, m.created_at, ${isoMicros('m.created_at')} AS created_key
  FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE m.company_id = $1`;

const view = ({ created_key: _, ...member }: MemberRow): MemberDto => member;

const atLeast = (role: CompanyRole, needed: CompanyRole) => COMPANY_ROLES.indexOf(role) >= COMPANY_ROLES.indexOf(needed);

/**
 * A company's members and their roles. Admins manage members below owner; only an owner makes
 * or unmakes owners; anyone may leave; and a company never loses its last owner. Changes
 * reach every API process within the membership cache's age (AUTH_CACHE_TTL_MS).
 */
@Injectable()
export class MembersService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly memberships: MembershipsService,
    private readonly events: EventsService,
  ) {}

  async list(companyId: number, request: PageRequest): Promise<Page<MemberDto>> {
    const params: unknown[] = [companyId];
    const where = ORDER.where(request, params);
    const rows: MemberRow[] = await this.db.query(`${MEMBERS} AND ${where} ORDER BY ${ORDER.orderBy} LIMIT ${ORDER.fetch(request)}`, params);
    const { items, next } = ORDER.page(rows, request);
    return { items: items.map(view), next };
  }

  /** One member, as the list shows it. */
  private async member(companyId: number, accountId: number): Promise<MemberDto | undefined> {
    const rows: MemberRow[] = await this.db.query(`${MEMBERS} AND m.account_id = $2`, [companyId, accountId]);
    return rows.map(view)[0];
  }

  async changeRole(company: CompanyContext, actor: AuditActor, accountId: number, role: CompanyRole): Promise<MemberDto> {
    await this.db.transaction(async (tx) => {
      const target = await this.locked(tx, company.id, accountId);
      if (!atLeast(company.role, 'admin')) throw new DomainError('forbidden', `changing roles needs the admin role in the company; you are a ${company.role}`);
      if ((role === 'owner' || target.role === 'owner') && company.role !== 'owner') {
        throw new DomainError('forbidden', 'making or unmaking an owner needs the owner role in the company');
      }
      if (target.role === 'owner' && role !== 'owner') await this.keepAnOwner(tx, company.id);
      await tx.getRepository(Membership).update({ companyId: company.id, accountId }, { role });
      const data = { role, previous: target.role };
      await this.events.record(tx, actor, { action: 'member.role', companyId: company.id, target: { type: 'member', id: accountId }, data });
    });
    this.memberships.forget(accountId, company.id);
    return (await this.member(company.id, accountId))!;
  }

  /** Removes a member; anyone may remove themself (leave), admins others below owner, owners anyone. */
  async remove(company: CompanyContext, principal: Principal, accountId: number, actor: AuditActor): Promise<MemberDto> {
    const before = await this.member(company.id, accountId);
    await this.db.transaction(async (tx) => {
      const target = await this.locked(tx, company.id, accountId);
      const leaving = accountId === principal.accountId;
      if (!leaving && !atLeast(company.role, 'admin')) throw new DomainError('forbidden', `removing members needs the admin role in the company; you are a ${company.role}`);
      if (!leaving && target.role === 'owner' && company.role !== 'owner') throw new DomainError('forbidden', 'removing an owner needs the owner role in the company');
      if (target.role === 'owner') await this.keepAnOwner(tx, company.id);
      await tx.getRepository(Membership).delete({ companyId: company.id, accountId });
      await this.events.record(tx, actor, { action: 'member.remove', companyId: company.id, target: { type: 'member', id: accountId }, data: { role: target.role } });
    });
    this.memberships.forget(accountId, company.id);
    return before!;
  }

  /** The member's row, locked with its company's, so concurrent changes to owners serialise. */
  private async locked(tx: EntityManager, companyId: number, accountId: number): Promise<Membership> {
    await tx.query('SELECT id FROM companies WHERE id = $1 FOR UPDATE', [companyId]);
    const member = await tx.getRepository(Membership).findOne({ where: { companyId, accountId } });
    if (!member) throw DomainError.notFound('member');
    return member;
  }

  private async keepAnOwner(tx: EntityManager, companyId: number): Promise<void> {
    const owners = await tx.getRepository(Membership).count({ where: { companyId, role: 'owner' } });
    if (owners <= 1) throw new DomainError('conflict', 'a company keeps at least one owner: make another member owner first');
  }
}
