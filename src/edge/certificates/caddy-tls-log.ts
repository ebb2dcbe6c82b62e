/** What Caddy's log says of one name's certificate. */
export type CertificateEvent =
  | { domain: string; kind: 'obtaining' }
  | { domain: string; kind: 'obtained' }
  | { domain: string; kind: 'failed'; error: string }
  | { domain: string; kind: 'retry'; error: string; retryAt: Date };

interface CaddyLine {
  logger?: string;
  msg?: string;
  ts?: number;
  identifier?: string;
  error?: string;
  retrying_in?: number;
}

/**
 * Reads one line of Caddy's JSON log (2.6: certmagic's `tls.obtain` logger). Certificates are
 * obtained in the background and their failures are only ever written to this log: it is how
 * Berth learns why a name has none, and when Caddy tries again. Anything else is null.
 */
export function parseCaddyTlsLine(line: string): CertificateEvent | null {
  if (!line.includes('"tls.obtain"') && !line.includes('"tls.renew"')) return null;
  let entry: CaddyLine;
  try {
    entry = JSON.parse(line) as CaddyLine;
  } catch {
    return null;
  }
  const domain = entry.identifier?.toLowerCase();
  switch (entry.msg) {
    case 'obtaining certificate':
      return domain ? { domain, kind: 'obtaining' } : null;
    case 'certificate obtained successfully':
      return domain ? { domain, kind: 'obtained' } : null;
    case 'could not get certificate from issuer':
      return domain ? { domain, kind: 'failed', error: clean(entry.error ?? 'no reason given') } : null;
    case 'will retry': {
      // This line names the name only inside its error: "[shop.example.com] Obtain: ...".
      const match = /^\[([^\]]+)\] (?:Obtain|Renew): (.*)$/s.exec(entry.error ?? '');
      if (!match || typeof entry.retrying_in !== 'number' || typeof entry.ts !== 'number') return null;
      return { domain: match[1].toLowerCase(), kind: 'retry', error: clean(match[2]), retryAt: new Date((entry.ts + entry.retrying_in) * 1000) };
    }
    default:
      return null;
  }
}

/** Caddy's wording, shortened for a person: at most 500 characters. */
function clean(error: string): string {
  const text = error.replace(/\s+/g, ' ').trim();
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
