import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { AuditActor, CompanyContext, Principal } from '../common/access/principal.js';
import { DomainError } from '../common/errors/domain-error.js';
import { Keyset } from '../common/pagination/keyset.js';
import type { Page, PageRequest } from '../common/pagination/page-request.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { EventsService } from '../events/events.service.js';
import { Account } from '../auth/entities/account.entity.js';
import { CompanyDto } from './dto/company.dto.js';
import { CreatedInvitationDto, CreateInvitationDto, InvitationDto } from './dto/member.dto.js';
import { Company } from './entities/company.entity.js';
import { Invitation } from './entities/invitation.entity.js';
import { Membership } from './entities/membership.entity.js';
import { MembershipsService } from './memberships.service.js';

const ORDER = Keyset.byId<Invitation>('invitation.id');

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** `binv` and 36 base64url characters: 216 bits, and a prefix that says what it is. */
function invitationToken(): string {
  return `binv${randomBytes(27).toString('base64url')}`;
}

function toDto(i: Invitation): InvitationDto {
  const status = i.acceptedAt ? 'accepted' : i.expiresAt.getTime() <= Date.now() ? 'expired' : 'pending';
  return { id: i.id, email: i.email, role: i.role, status, created_at: i.createdAt, expires_at: i.expiresAt, accepted_at: i.acceptedAt };
}

/**
 * Invitations to a company. The token is shown to the inviter once and kept only as a hash;
 * nothing is mailed (a mail sender would hand the answer of invite() on). The signed-in account
 * whose email matches accepts it before it expires and becomes a member with its role.
 */
@Injectable()
export class InvitationsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    private readonly memberships: MembershipsService,
    private readonly events: EventsService,
  ) {}

  async invite(company: CompanyContext, actor: AuditActor, input: CreateInvitationDto): Promise<CreatedInvitationDto> {
    if (input.role === 'owner' && company.role !== 'owner') throw new DomainError('forbidden', 'inviting an owner needs the owner role in the company');
    const token = invitationToken();
    const invitation = await this.db.transaction(async (tx) => {
      const member = await tx.query(`SELECT 1 FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE m.company_id = $1 AND a.email = $2`, [company.id, input.email]);
      if (member.length > 0) throw DomainError.conflict('email', `${input.email} is already a member of this company`);
      // One open invitation per email: a new one replaces what was sent before.
      await tx.query('DELETE FROM invitations WHERE company_id = $1 AND email = $2 AND accepted_at IS NULL', [company.id, input.email]);
      const expiresAt = new Date(Date.now() + this.config.invitationTtlHours * 3600_000);
      const saved = await tx.save(tx.create(Invitation, { companyId: company.id, email: input.email, role: input.role, tokenHash: sha256(token), invitedBy: actor.accountId, expiresAt }));
      // The role only: the invitation (with its email) is listed while it lasts; its token never is.
      await this.events.record(tx, actor, { action: 'invitation.create', companyId: company.id, target: { type: 'invitation', id: saved.id }, data: { role: input.role } });
      return saved;
    });
    return { ...toDto(invitation), token };
  }

  async list(companyId: number, request: PageRequest): Promise<Page<InvitationDto>> {
    const query = this.db.getRepository(Invitation).createQueryBuilder('invitation').where('invitation.companyId = :companyId', { companyId });
    const { items, next } = ORDER.page(await ORDER.apply(query, request).getMany(), request);
    return { items: items.map(toDto), next };
  }

  async withdraw(companyId: number, id: number, actor: AuditActor): Promise<InvitationDto> {
    return this.db.transaction(async (tx) => {
      const invitation = await tx.getRepository(Invitation).findOne({ where: { id, companyId }, lock: { mode: 'pessimistic_write' } });
      if (!invitation || invitation.acceptedAt) throw DomainError.notFound('invitation');
      await tx.getRepository(Invitation).delete({ id });
      await this.events.record(tx, actor, { action: 'invitation.withdraw', companyId, target: { type: 'invitation', id }, data: { role: invitation.role } });
      return toDto(invitation);
    });
  }

  async accept(principal: Principal, token: string, actor: AuditActor): Promise<CompanyDto> {
    const result = await this.db.transaction(async (tx) => {
      const invitation = await tx.getRepository(Invitation).findOne({ where: { tokenHash: sha256(token) }, lock: { mode: 'pessimistic_write' } });
      if (!invitation) throw DomainError.notFound('invitation');
      if (invitation.acceptedAt) throw new DomainError('conflict', 'this invitation was accepted already');
      if (invitation.expiresAt.getTime() <= Date.now()) throw new DomainError('conflict', `this invitation expired at ${invitation.expiresAt.toISOString()}: ask for a new one`);
      const account = await tx.getRepository(Account).findOneByOrFail({ id: principal.accountId });
      if (account.email !== invitation.email) throw new DomainError('forbidden', 'this invitation is for another email address: sign in with the account it was sent to');
      if (await tx.getRepository(Membership).exists({ where: { companyId: invitation.companyId, accountId: account.id } })) {
        throw new DomainError('conflict', 'you are already a member of this company');
      }
      await tx.insert(Membership, { companyId: invitation.companyId, accountId: account.id, role: invitation.role });
      await tx.getRepository(Invitation).update({ id: invitation.id }, { acceptedAt: () => 'now()' });
      const data = { role: invitation.role };
      await this.events.record(tx, actor, { action: 'invitation.accept', companyId: invitation.companyId, target: { type: 'invitation', id: invitation.id }, data });
      const company = await tx.getRepository(Company).findOneByOrFail({ id: invitation.companyId });
      return { id: company.id, name: company.name, role: invitation.role };
    });
    this.memberships.remember(principal.accountId, result.id, result.role);
    return result;
  }
}
