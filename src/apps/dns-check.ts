import { Resolver } from 'node:dns/promises';
import { isLocalhostName } from '../common/net.js';

const TIMEOUT_MS = 2000;
const LOOPBACK = ['127.0.0.1', '::1'];

export interface DnsFinding {
  domain: string;
  addresses: string[];
  ok: boolean;
  /** For a person, when not ok: what is wrong and what the record should be. */
  problem?: string;
}

/**
 * Resolves each domain (A and AAAA) and compares it with the platform's public
 * addresses: every address must be one of them, or part of the traffic goes
 * elsewhere. `*.localhost` is loopback by definition (RFC 6761) and never asked.
 */
export async function checkDomains(domains: string[], publicAddresses: string[]): Promise<DnsFinding[]> {
  const resolver = new Resolver({ timeout: TIMEOUT_MS, tries: 1 });
  const expected = publicAddresses.join(', ');
  return Promise.all(
    domains.map(async (domain): Promise<DnsFinding> => {
      // A wildcard works when any name under it resolves right.
      const name = domain.startsWith('*.') ? `berth-dns-check.${domain.slice(2)}` : domain;
      const addresses = isLocalhostName(name) ? LOOPBACK : await resolveAll(resolver, name);
      if (addresses.length === 0) {
        return { domain, addresses, ok: false, problem: `${domain} does not resolve: create an A (or AAAA) record pointing at ${expected}` };
      }
      const foreign = addresses.filter((a) => !publicAddresses.includes(a));
      if (foreign.length === addresses.length) {
        return { domain, addresses, ok: false, problem: `${domain} points at ${addresses.join(', ')}, not at this platform: point it at ${expected}` };
      }
      if (foreign.length > 0) {
        return { domain, addresses, ok: false, problem: `${domain} also points at ${foreign.join(', ')}, which is not this platform: remove those records (keep ${expected})` };
      }
      return { domain, addresses, ok: true };
    }),
  );
}

async function resolveAll(resolver: Resolver, name: string): Promise<string[]> {
  const [v4, v6] = await Promise.all([resolver.resolve4(name).catch(() => []), resolver.resolve6(name).catch(() => [])]);
  return [...v4, ...v6];
}
