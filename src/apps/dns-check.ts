import { isLocalhostName } from '../common/net.js';
import type { DnsResolver } from '../domains/dns-resolver.js';

export interface DnsFinding {
  domain: string;
  ok: boolean;
  /** For a person, when not ok: what is wrong and what the record should be. */
  problem?: string;
}

/**
 * Resolves each domain (A and AAAA) with the platform's resolver and says whether it points at
 * the platform's public addresses, and only at them. What else it resolves to is never told:
 * echoing answers would let a tenant map names only the platform's network knows.
 * `*.localhost` is loopback by definition (RFC 6761) and never asked.
 */
export async function checkDomains(resolver: DnsResolver, domains: string[], publicAddresses: string[]): Promise<DnsFinding[]> {
  const expected = publicAddresses.join(', ');
  return Promise.all(
    domains.map(async (domain): Promise<DnsFinding> => {
      // A wildcard works when any name under it resolves right.
      const name = domain.startsWith('*.') ? `berth-dns-check.${domain.slice(2)}` : domain;
      if (isLocalhostName(name)) return { domain, ok: true };
      const addresses = await resolver.addresses(name);
      if (addresses.length === 0) {
        return { domain, ok: false, problem: `${domain} does not resolve: create an A (or AAAA) record pointing at ${expected}` };
      }
      const foreign = addresses.filter((a) => !publicAddresses.includes(a)).length;
      if (foreign === addresses.length) {
        return { domain, ok: false, problem: `${domain} does not point at this platform: point its A (or AAAA) record at ${expected}` };
      }
      if (foreign > 0) {
        return { domain, ok: false, problem: `${domain} points only partly at this platform: keep just the records pointing at ${expected}, and remove the others` };
      }
      return { domain, ok: true };
    }),
  );
}
