import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource, EntityManager, IsNull, Not } from 'typeorm';
import { normalizeDomain } from '../apps/dto/app-fields.js';
import type { AuditActor } from '../common/access/principal.js';
import { violated } from '../common/errors/constraint.js';
import { DomainError } from '../common/errors/domain-error.js';
import { isLocalhostName } from '../common/net.js';
import { Keyset } from '../common/pagination/keyset.js';
import type { Page, PageRequest } from '../common/pagination/page-request.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { EventsService } from '../events/events.service.js';
import { DnsResolver, isPublicSuffix } from './dns-resolver.js';
import { DomainVerification } from './domain-verification.entity.js';
import { DomainDto } from './dto/domain.dto.js';

export const CHALLENGE_PREFIX = '_berth-challenge';

// By name, as the list has always been: a domain is unique in its company, so the name alone is a key.
const ORDER = new Keyset<DomainVerification>('ASC', [{ sql: 'v.domain', type: 'text', of: (v) => v.domain }]);

/** Whether a verified `base` covers `domain` (itself, a subdomain, or a wildcard under it). */
export function covers(base: string, domain: string): boolean {
  const name = domain.replace(/^\*\./, '');
  return name === base || name.endsWith(`.${base}`);
}

/** The name a verification is made for: the domain itself, or a wildcard's base. */
export function verificationName(domain: string): string {
  return domain.replace(/^\*\./, '');
}

/**
 * Domains a company proves control of (Pvdify's `POST /domains/{domain}/verify`): a custom
 * domain is routed to the company's apps only once verified, so nobody receives another's
 * traffic, or a publicly trusted certificate for it, by naming it first.
 */
@Injectable()
export class DomainsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    private readonly resolver: DnsResolver,
    private readonly events: EventsService,
  ) {}

  toDto(v: DomainVerification): DomainDto {
    return {
      domain: v.domain,
      status: v.verifiedAt ? 'verified' : 'unverified',
      record: { type: 'TXT', name: `${CHALLENGE_PREFIX}.${v.domain}`, value: v.token },
      verified_at: v.verifiedAt,
      created_at: v.createdAt,
    };
  }

  async list(companyId: number, request: PageRequest): Promise<Page<DomainDto>> {
    const query = this.db.getRepository(DomainVerification).createQueryBuilder('v').where('v.companyId = :companyId', { companyId });
    const { items, next } = ORDER.page(await ORDER.apply(query, request).getMany(), request);
    return { items: items.map((v) => this.toDto(v)), next };
  }

  /** Every domain of the company, for Berth's own use (a list answer goes through `list`, a page at a time). */
  async all(companyId: number): Promise<DomainDto[]> {
    const rows = await this.db.getRepository(DomainVerification).find({ where: { companyId }, order: { domain: 'ASC' } });
    return rows.map((v) => this.toDto(v));
  }

  /** A domain Berth can verify, or a 400 naming `domain` and why not. */
  checkVerifiable(raw: string): string {
    const domain = normalizeDomain(raw);
    if (!domain || domain.startsWith('*.')) throw DomainError.field('domain', 'must be a host name like example.com (verify a wildcard by its base name)');
    if (isPublicSuffix(domain)) throw DomainError.field('domain', `${domain} is a public suffix: nobody can prove control of it for others`);
    if (isLocalhostName(domain)) throw DomainError.field('domain', `${domain} is a .localhost name: it reaches this machine only and needs no verification`);
    const apps = this.config.apps.domain;
    if (covers(apps, domain) || covers(domain, apps)) throw DomainError.field('domain', `names under ${apps} are the platform's to assign`);
    return domain;
  }

  /** The company's challenge for `domain`, made when missing (`created`); inside the caller's transaction. */
  async challenge(tx: EntityManager, companyId: number, domain: string): Promise<{ verification: DomainVerification; created: boolean }> {
    const repo = tx.getRepository(DomainVerification);
    const token = `berth-verify=${randomBytes(18).toString('base64url')}`;
    const inserted = await repo.createQueryBuilder().insert().values({ companyId, domain, token }).orIgnore().returning('id').execute();
    return { verification: await repo.findOneByOrFail({ companyId, domain }), created: inserted.raw.length > 0 };
  }

  /**
   * Makes the challenge (once), then looks for its TXT record: verified when it is there. Each
   * change it makes is a `domain.verify` event saying the status it reached; a call that
   * changes nothing (the record is not there yet) records nothing, so polling fills no log.
   */
  async verify(companyId: number, raw: string, actor: AuditActor): Promise<DomainDto> {
    const domain = this.checkVerifiable(raw);
    const theirs = await this.verifiedElsewhere(this.db.manager, companyId, domain);
    if (theirs) throw DomainError.conflict('domain', `${theirs} is verified by another company`);
    const target = { type: 'domain' as const, id: domain };
    const challenge = await this.db.transaction(async (tx) => {
      const { verification, created } = await this.challenge(tx, companyId, domain);
      if (created) await this.events.record(tx, actor, { action: 'domain.verify', companyId, target, data: { status: 'unverified' } });
      return verification;
    });
    if (challenge.verifiedAt) return this.toDto(challenge);
    // Outside any transaction: a DNS lookup may take seconds, and holds no row.
    const records = await this.resolver.txt(`${CHALLENGE_PREFIX}.${domain}`);
    if (!records.includes(challenge.token)) return this.toDto(challenge);
    try {
      await this.db.transaction(async (tx) => {
        const result = await tx.getRepository(DomainVerification).update({ id: challenge.id, verifiedAt: IsNull() }, { verifiedAt: () => 'now()' });
        // A parallel call verified it first and recorded that.
        if (result.affected) await this.events.record(tx, actor, { action: 'domain.verify', companyId, target, data: { status: 'verified' } });
      });
    } catch (err) {
      // Another company proved it a moment ago: the unique index keeps one.
      if (violated(err, 'domain_verifications_verified_domain_key')) throw DomainError.conflict('domain', `${domain} is verified by another company`);
      throw err;
    }
    return this.toDto(await this.db.getRepository(DomainVerification).findOneByOrFail({ id: challenge.id }));
  }

  /** Forgets the verification; answers it as it was. */
  async remove(companyId: number, raw: string, actor: AuditActor): Promise<DomainDto> {
    const domain = normalizeDomain(raw) ?? raw;
    return this.db.transaction(async (tx) => {
      const row = await tx.getRepository(DomainVerification).findOne({ where: { companyId, domain }, lock: { mode: 'pessimistic_write' } });
      if (!row) throw DomainError.notFound('domain');
      await tx.getRepository(DomainVerification).delete({ id: row.id });
      const data = { status: row.verifiedAt ? 'verified' : 'unverified' };
      await this.events.record(tx, actor, { action: 'domain.delete', companyId, target: { type: 'domain', id: domain }, data });
      return this.toDto(row);
    });
  }

  /** A domain another company has verified that covers `domain` (or that `domain` covers), if any. */
  async verifiedElsewhere(tx: EntityManager, companyId: number, domain: string): Promise<string | null> {
    const name = verificationName(domain);
    const rows: Array<{ domain: string }> = await tx.query(
      `SELECT domain FROM domain_verifications
        WHERE company_id <> $1 AND verified_at IS NOT NULL
          AND (domain = $2 OR right($2, length(domain) + 1) = '.' || domain OR right(domain, length($2) + 1) = '.' || $2)
        LIMIT 1`,
      [companyId, name],
    );
    return rows[0]?.domain ?? null;
  }

  /** The domains `companyId` has verified. */
  async verified(tx: EntityManager, companyId: number): Promise<string[]> {
    return (await tx.getRepository(DomainVerification).find({ where: { companyId, verifiedAt: Not(IsNull()) } })).map((v) => v.domain);
  }
}

/**
 * Whether `domain` needs its company to prove control before the edge routes it: every custom
 * domain does; `.localhost` names (they reach this machine only) and names under the apps
 * domain (Berth's to assign) do not.
 */
export function needsVerification(domain: string, appsDomain: string): boolean {
  return !isLocalhostName(verificationName(domain)) && !covers(appsDomain, domain);
}

/** Whether the edge may route `domain` for a company that has verified `verified`. */
export function routable(domain: string, verified: string[], appsDomain: string): boolean {
  return !needsVerification(domain, appsDomain) || verified.some((v) => covers(v, domain));
}
