import { EntityManager, In } from 'typeorm';
import { violated } from '../common/errors/constraint.js';
import { DomainError } from '../common/errors/domain-error.js';
import type { DomainsService } from '../domains/domains.service.js';
import { covers, needsVerification, verificationName } from '../domains/domains.service.js';
import { isPublicSuffix } from '../domains/dns-resolver.js';
import { appNameLabel } from './dto/app-fields.js';
import { AppDomain } from './entities/app-domain.entity.js';
import type { App } from './entities/app.entity.js';

/** `{name}-{id}.{apps domain}` (the name as a DNS label): what an app answers to when it was given no domains. */
export function defaultDomain(app: Pick<App, 'id' | 'name'>, appsDomain: string): string {
  return `${appNameLabel(app.name)}-${app.id}.${appsDomain}`;
}

/**
 * Names under the platform's apps domain are Berth's to hand out: an app may
 * hold only its own default one there, so nobody can take over another app's.
 */
export function checkDomainRules(app: Pick<App, 'id' | 'name'>, domains: string[], appsDomain: string, apiHost = ''): void {
  if (apiHost && domains.includes(apiHost)) throw DomainError.conflict('domains', `${apiHost} is where this platform serves its API`);
  // Nobody can prove control of com or co.uk (Mozilla's public suffix list) for others.
  const suffix = domains.find((d) => isPublicSuffix(d));
  if (suffix) {
    const what = suffix.startsWith('*.') ? 'a wildcard over a public suffix' : 'a public suffix';
    throw DomainError.field('domains', `${suffix} is ${what}: use a domain registered under it`);
  }
  const own = defaultDomain(app, appsDomain);
  const taken = domains.find((d) => d !== own && (d === appsDomain || d.endsWith(`.${appsDomain}`)));
  if (taken) {
    throw DomainError.field('domains', `${taken} is under the platform's domain ${appsDomain}; leave domains empty to get ${own}`);
  }
}

/** The app's domains in the client's order, keyed by app id. */
export async function domainsOf(tx: EntityManager, appIds: number[]): Promise<Map<number, string[]>> {
  const byApp = new Map<number, string[]>(appIds.map((id) => [id, []]));
  if (appIds.length === 0) return byApp;
  const rows = await tx.getRepository(AppDomain).find({ where: { appId: In(appIds) }, order: { appId: 'ASC', position: 'ASC' } });
  for (const row of rows) byApp.get(row.appId)!.push(row.domain);
  return byApp;
}

/**
 * Replaces the app's domains (a default one when `domains` is empty). A domain
 * another app holds, in any company, is a 409 naming it.
 */
export async function replaceDomains(
  tx: EntityManager,
  app: Pick<App, 'id' | 'name' | 'companyId'>,
  domains: string[],
  rules: { appsDomain: string; apiHost: string; verification: DomainsService },
): Promise<string[]> {
  const wanted = domains.length > 0 ? domains : [defaultDomain(app, rules.appsDomain)];
  checkDomainRules(app, wanted, rules.appsDomain, rules.apiHost);
  const custom = wanted.filter((d) => needsVerification(d, rules.appsDomain));
  for (const domain of custom) {
    const theirs = await rules.verification.verifiedElsewhere(tx, app.companyId, domain);
    if (theirs) throw DomainError.conflict('domains', `${domain} is under ${theirs}, which another company has verified`);
  }
  const held = await tx.getRepository(AppDomain).find({ where: { domain: In(wanted) } });
  const ours = await rules.verification.verified(tx, app.companyId);
  // Another company named a domain first but never proved it; this company did: it takes the name.
  const claimed = held.filter((d) => d.appId !== app.id && d.companyId !== app.companyId && ours.some((v) => covers(v, d.domain)));
  if (claimed.length) await tx.getRepository(AppDomain).delete({ domain: In(claimed.map((d) => d.domain)) });
  const foreign = held.find((d) => d.appId !== app.id && !claimed.includes(d));
  if (foreign) throw DomainError.conflict('domains', `${foreign.domain} is already used by another app`);
  // The record that will prove each custom domain, ready for the app's status to show.
  for (const name of new Set(custom.map(verificationName))) {
    if (!ours.some((v) => covers(v, name))) await rules.verification.challenge(tx, app.companyId, name);
  }
  await tx.getRepository(AppDomain).delete({ appId: app.id });
  try {
    await tx.getRepository(AppDomain).insert(
      wanted.map((domain, position) => ({ domain, appId: app.id, companyId: app.companyId, position, isDefault: domains.length === 0 })),
    );
  } catch (err) {
    // Another request took one of them between our check and our insert.
    const taken = violated(err, 'app_domains_pkey');
    if (taken) throw DomainError.conflict('domains', `${/\((.*?)\)=\((.*?)\)/.exec(taken.detail)?.[2] ?? 'a domain'} is already used by another app`);
    throw err;
  }
  return wanted;
}
