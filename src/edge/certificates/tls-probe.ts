import { connect } from 'node:tls';

const PROBE_TIMEOUT_MS = 3000;

/**
 * Asks the edge for `name`'s certificate as a browser would (TLS with that server name) and
 * returns when it expires, or null when the edge holds none valid for that name now. The chain
 * is not checked here: Caddy only serves certificates its issuer gave it.
 */
export function probeCertificate(host: string, port: number, name: string): Promise<Date | null> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, servername: name, rejectUnauthorized: false, timeout: PROBE_TIMEOUT_MS });
    const done = (value: Date | null) => {
      socket.destroy();
      resolve(value);
    };
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const names = (cert?.subjectaltname ?? '').split(', ').map((n) => n.replace(/^DNS:/, '').toLowerCase());
      const expires = cert?.valid_to ? new Date(cert.valid_to) : null;
      done(names.includes(name) && expires && expires > new Date() ? expires : null);
    });
    socket.once('timeout', () => done(null));
    socket.once('error', () => done(null));
  });
}
