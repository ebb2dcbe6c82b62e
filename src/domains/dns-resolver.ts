import { Resolver } from 'node:dns/promises';
import { getPublicSuffix } from 'tldts';
import { isLocalhostName } from '../common/net.js';

const TIMEOUT_MS = 2000;

// RFC 2606 and 6761: names that never resolve publicly. Never asked, so no query for them leaves the machine.
const RESERVED = /(^|\.)(test|example|invalid|local|internal|home\.arpa)$/;

/**
 * The resolver Berth asks about tenants' domains: the one configured (DNS_RESOLVERS: a public
 * resolver in production, the tests' own on loopback), so the host's, which may know
 * internal-only names, is not what answers. Without one configured the host's is used, and
 * reserved names (.test, .example, .internal...) are not asked at all. Answers are only ever
 * compared with the platform's addresses or a challenge value, never shown to a tenant.
 */
export class DnsResolver {
  private readonly resolver = new Resolver({ timeout: TIMEOUT_MS, tries: 1 });
  private readonly configured: boolean;

  constructor(servers: string[]) {
    this.configured = servers.length > 0;
    if (this.configured) this.resolver.setServers(servers);
  }

  /** A and AAAA addresses of `name`; empty when it does not resolve (or is reserved, or local). */
  async addresses(name: string): Promise<string[]> {
    if (this.skipped(name)) return [];
    const [v4, v6] = await Promise.all([this.resolver.resolve4(name).catch(() => []), this.resolver.resolve6(name).catch(() => [])]);
    return [...v4, ...v6];
  }

  /** TXT records of `name`, each joined from its strings; empty when there are none. */
  async txt(name: string): Promise<string[]> {
    if (this.skipped(name)) return [];
    return (await this.resolver.resolveTxt(name).catch(() => [])).map((parts) => parts.join(''));
  }

  private skipped(name: string): boolean {
    return isLocalhostName(name) || (!this.configured && RESERVED.test(name));
  }
}

/** Whether `name` is a public suffix (com, co.uk, github.io...): nobody can prove control of one for others. */
export function isPublicSuffix(name: string): boolean {
  const bare = name.replace(/^\*\./, '');
  return getPublicSuffix(bare, { allowPrivateDomains: true }) === bare;
}
