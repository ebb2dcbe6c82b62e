/** Where a listener on `address` is reached from this machine: one that listens everywhere, on loopback. */
export function reachable(address: string): string {
  return ['', '0.0.0.0', '::'].includes(address) ? '127.0.0.1' : address;
}

/** `localhost` and the names under it, loopback by definition (RFC 6761): no DNS, no public certificate. */
export function isLocalhostName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost');
}

/** `host:port`, an IPv6 host in brackets (as URLs and Go's dialer want it); an empty host stays empty (`:80`, every address). */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
