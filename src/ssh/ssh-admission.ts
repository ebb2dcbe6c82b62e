import type { Logger } from '@nestjs/common';
import type { Socket } from 'node:net';
import { BerthConfig } from '../config/config.js';

/**
 * The address limits count by: IPv4 as it is (IPv4-mapped IPv6 too), IPv6 by its /64,
 * which one host usually has whole: counted per address, an IPv6 client would have
 * 2^64 fresh budgets.
 */
export function addressKey(ip: string): string {
  if (ip.startsWith('::ffff:') && ip.includes('.')) return ip.slice(7);
  if (!ip.includes(':')) return ip;
  const [head, tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

/** One TCP connection the gateway took, from accept until it closes. */
export interface Admitted {
  readonly socket: Socket;
  /** The client logged in: it stops counting as unauthenticated and its login deadline is off. */
  authenticated(): void;
  /** Redis said the client's address used up its failed logins, for `seconds` more. */
  lockedOut(seconds: number): void;
}

// Enough for every address that could plausibly be locked out at once; past it, expired ones are dropped.
const LOCKOUTS_KEPT = 10_000;

/**
 * Guards the gateway's ports before ssh2 sees a connection: unauthenticated connections
 * are capped per address and in all (over every endpoint of this process), an address
 * known to have used up its failed logins is turned away, and every connection must log
 * in within SSH_AUTH_TIMEOUT_MS of its accept, also one that never sends a byte (ssh2
 * has no timeout of its own, and its per-connection code only starts after the client's
 * version line). Nothing here waits for anything: no I/O happens at accept.
 */
export class Admission {
  private readonly perAddress = new Map<string, number>();
  private total = 0;
  /**
   * Addresses Redis reported locked out, until when. Remembered here rather than asked
   * at every accept: a Redis round trip per connection is work a flood would multiply,
   * and each attempt is checked in Redis anyway before it is evaluated (consume).
   */
  private readonly lockedUntil = new Map<string, number>();

  constructor(
    private readonly config: BerthConfig,
    private readonly logger: Logger,
  ) {}

  /** Takes `socket` or destroys it at once (null): nothing is sent, no key exchange is started. */
  admit(socket: Socket, appId: number): Admitted | null {
    const ip = socket.remoteAddress;
    const address = ip ? addressKey(ip) : '';
    const mine = this.perAddress.get(address) ?? 0;
    const locked = (this.lockedUntil.get(address) ?? 0) > Date.now();
    if (!ip || locked || mine >= this.config.ssh.unauthenticatedPerIp || this.total >= this.config.ssh.unauthenticatedMax) {
      // A flood is what this stops: one line per refused connection would be a flood of logs.
      this.logger.debug?.({ appId, ip }, `ssh connection refused: ${locked ? 'too many failed logins from this address' : 'too many unauthenticated connections'}`);
      socket.destroy();
      return null;
    }
    this.perAddress.set(address, mine + 1);
    this.total += 1;
    let counted = true;
    const uncount = () => {
      if (!counted) return;
      counted = false;
      this.total -= 1;
      const left = this.perAddress.get(address)! - 1;
      if (left > 0) this.perAddress.set(address, left);
      else this.perAddress.delete(address);
    };
    const deadline = setTimeout(() => {
      this.logger.warn({ appId, ip }, 'ssh connection closed: did not authenticate in time');
      socket.destroy();
    }, this.config.ssh.authTimeoutMs);
    socket.once('close', () => {
      clearTimeout(deadline);
      uncount();
    });
    // Resets of clients that went away must not reach the process; ssh2 reports the rest per connection.
    socket.on('error', () => undefined);
    return {
      socket,
      authenticated: () => {
        clearTimeout(deadline);
        uncount();
      },
      lockedOut: (seconds) => this.lockOut(address, seconds),
    };
  }

  private lockOut(address: string, seconds: number): void {
    const now = Date.now();
    if (this.lockedUntil.size >= LOCKOUTS_KEPT) {
      for (const [a, until] of this.lockedUntil) if (until <= now) this.lockedUntil.delete(a);
    }
    if (this.lockedUntil.size < LOCKOUTS_KEPT) this.lockedUntil.set(address, now + seconds * 1000);
  }
}
