import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Limit, RateLimiter, tooMany } from '../common/rate-limit/rate-limiter.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';

const WINDOW_MS = 15 * 60_000;
// Guessing one account's password from one address: refused after 10 failures. Keyed by the
// pair, so an attacker elsewhere never locks the owner out (OWASP: no lockout an attacker can
// trigger for someone else).
const FAILURES_PER_EMAIL_AND_IP: Limit = { name: 'login-email-ip', max: 10, windowMs: WINDOW_MS };
// Guessing one account's password from many addresses: past 10 failures every further attempt
// on that email waits a little before its password is checked. A slowdown, never a refusal.
const FAILURES_PER_EMAIL: Limit = { name: 'login-email', max: 10, windowMs: WINDOW_MS };
const SLOWDOWN_MS = 1000;

// An address never holds a slash, so the last one splits the key unambiguously.
const pairKey = (email: string, ip: string) => `${email}/${ip}`;

/**
 * Login throttling after the OWASP Authentication Cheat Sheet. Attempts are counted before the
 * password is checked (atomically, so parallel attempts cannot all pass) and a success gives its
 * attempt back: the limits are on failures.
 */
@Injectable()
export class LoginThrottle {
  // Spraying passwords over many accounts from one address.
  private readonly failuresPerIp: Limit;

  constructor(
    private readonly limiter: RateLimiter,
    @Inject(CONFIG) config: BerthConfig,
  ) {
    this.failuresPerIp = { name: 'login-ip', max: config.loginFailuresPerIp, windowMs: WINDOW_MS };
  }

  /** Counts a login attempt; throws 429 when its address is over a limit, waits when its email is under attack. */
  async admit(email: string, ip: string): Promise<void> {
    const counters = this.counters(email, ip);
    const [pair, address, account] = await Promise.all(counters.map(([limit, subject]) => this.limiter.attempt(limit, subject)));
    if (!pair.allowed || !address.allowed) {
      // A refused attempt checks no password: it stays counted only where it was refused.
      const allowed = [pair, address, account].map((a) => a.allowed);
      await Promise.all(counters.filter((_, i) => allowed[i]).map(([limit, subject]) => this.limiter.refund(limit, subject)));
      throw tooMany(Math.max(pair.allowed ? 0 : pair.retryAfterMs, address.allowed ? 0 : address.retryAfterMs));
    }
    if (!account.allowed) await sleep(SLOWDOWN_MS);
  }

  /** No password was checked after all (too busy, database down): the attempt counts for nothing. */
  async withdrawn(email: string, ip: string): Promise<void> {
    await Promise.all(this.counters(email, ip).map(([limit, subject]) => this.limiter.refund(limit, subject)));
  }

  /** The password was right: its attempt was no failure, and the owner starts afresh. */
  async succeeded(email: string, ip: string): Promise<void> {
    const [pair, address, account] = this.counters(email, ip);
    await Promise.all([this.limiter.reset(...pair), this.limiter.refund(...address), this.limiter.reset(...account)]);
  }

  // Order matters to admit(): the pair, the address, the email.
  private counters(email: string, ip: string): Array<[Limit, string]> {
    return [
      [FAILURES_PER_EMAIL_AND_IP, pairKey(email, ip)],
      [this.failuresPerIp, ip],
      [FAILURES_PER_EMAIL, email],
    ];
  }
}
