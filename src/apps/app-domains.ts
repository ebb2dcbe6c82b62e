import { EntityManager, In } from 'typeorm';
import { violated } from '../common/errors/constraint.js';
import { DomainError } from '../common/errors/domain-error.js';
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
  rules: { appsDomain: string; apiHost: string },
): Promise<string[]> {
  const wanted = domains.length > 0 ? domains : [defaultDomain(app, rules.appsDomain)];
  checkDomainRules(app, wanted, rules.appsDomain, rules.apiHost);
  const held = await tx.getRepository(AppDomain).find({ where: { domain: In(wanted) } });
  const foreign = held.find((d) => d.appId !== app.id);
  if (foreign) throw DomainError.conflict('domains', `${foreign.domain} is already used by another app`);
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
