import { isLocalhostName } from '../common/net.js';
import type { EdgeConfig } from '../config/config.js';

/**
 * The names of an app that get HTTPS (and a certificate). Wildcards stay HTTP only, and so do
 * `.localhost` names unless certificates come from Caddy's internal CA: no public CA issues for
 * them, and redirecting to an HTTPS that cannot work would break them.
 */
export function httpsNames(route: { mode: string; domains: string[] }, config: Pick<EdgeConfig, 'acmeCa'>): string[] {
  if (route.mode !== 'https+le') return [];
  return route.domains.filter((d) => !d.startsWith('*.') && (config.acmeCa === 'internal' || !isLocalhostName(d)));
}
