// Attack catalogue: guessing passwords through POST /auth/login.
// Every client names its own address (X-Forwarded-For, TRUST_PROXY=true), from documentation ranges.
import { describe, expect, it } from 'vitest';
import { useBerth } from '../support/fixture.js';
import { Answer, register } from '../support/http.js';

const FAILURES_PER_IP = 20;
// The per (email, address) failure limit built into Berth.
const FAILURES_PER_EMAIL_AND_IP = 10;
const fx = useBerth('sec_login', { TRUST_PROXY: 'true', LOGIN_FAILURES_PER_IP: String(FAILURES_PER_IP) });

let last = 0;
const address = () => ({ 'x-forwarded-for': `198.51.100.${++last}` });
const login = (email: string, password: string, headers: Record<string, string>) => fx.api.post('/auth/login/', { body: { email, password }, headers });
const count = (answers: Answer[], status: number) => answers.filter((a) => a.status === status).length;

describe('online password guessing', () => {
  // Attack: 40 wrong passwords for one account, all at once from one address, to slip past a
  // limit that is checked before and counted after the password check.
  // Expected: at most the per (email, address) limit is evaluated; the rest are 429 with
  // Retry-After, answered before any argon2 work.
  // Reference: OWASP API Security Top 10 2023, API2:2023 Broken Authentication;
  // OWASP Authentication Cheat Sheet, "Login Throttling".
  it('counts parallel attempts on one account from one address before checking any password', async () => {
    const victim = await register(fx.api);
    const attacker = address();
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => login(victim.email, `wrong guess number ${i}`, attacker)));
    expect(answers.every((a) => a.status === 401 || a.status === 429), answers.map((a) => a.status).join(' ')).toBe(true);
    expect(count(answers, 401)).toBeLessThanOrEqual(FAILURES_PER_EMAIL_AND_IP);
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(40 - FAILURES_PER_EMAIL_AND_IP);
    for (const answer of limited) {
      expect(answer.body.code).toBe('rate_limited');
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  }, 180_000);

  // Attack: lock the owner out by failing logins on their email (account lockout as denial of service).
  // Expected: the attacker's address is refused for that email; the owner, from an address that
  // has not failed, logs in at once and keeps logging in.
  // Reference: OWASP Authentication Cheat Sheet, "Account Lockout" (an attacker must not be able
  // to lock someone else out); API2:2023 Broken Authentication.
  it('does not lock the owner out after an attack on their email', async () => {
    const owner = await register(fx.api);
    const attacker = address();
    const attack = await Promise.all(Array.from({ length: 40 }, (_, i) => login(owner.email, `not it ${i} at all`, attacker)));
    expect(count(attack, 200)).toBe(0);
    // The attacker's own address stays refused for this email, even with the right password.
    expect((await login(owner.email, owner.password, attacker)).status).toBe(429);

    const home = address();
    const first = await login(owner.email, owner.password, home);
    expect({ status: first.status, body: first.body }).toMatchObject({ status: 200, body: { token: expect.any(String) } });
    // Successful logins are not failures: an office behind one address keeps working.
    for (let i = 0; i < FAILURES_PER_EMAIL_AND_IP + 2; i++) expect((await login(owner.email, owner.password, home)).status).toBe(200);
  }, 180_000);

  // Attack: spray wrong passwords over many accounts from one address, in parallel, to slip past
  // the per-address limit.
  // Expected: at most LOGIN_FAILURES_PER_IP attempts get past the limiter; the rest are 429
  // (or 503 with Retry-After when the process's password-checking capacity is full).
  // Reference: API2:2023 Broken Authentication; OWASP Authentication Cheat Sheet, "Login Throttling".
  it('counts parallel attempts from one address over many accounts atomically', async () => {
    const sprayer = address();
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => login(`sprayed${i}@example.test`, 'Summer2024!!', sprayer)));
    expect(answers.every((a) => [401, 429, 503].includes(a.status)), answers.map((a) => a.status).join(' ')).toBe(true);
    expect(count(answers, 401)).toBeLessThanOrEqual(FAILURES_PER_IP);
    expect(count(answers, 429)).toBeGreaterThanOrEqual(30 - FAILURES_PER_IP);
  }, 180_000);

  // Attack: guess one account's password from many addresses, one try each (a botnet), so that
  // no address reaches its own limit; or use such an attack to lock the owner out.
  // Expected: no hard lock: the guesses are slowed down, not refused, and the owner still logs in.
  // Reference: OWASP Authentication Cheat Sheet, "Account Lockout" and "Login Throttling";
  // API2:2023 Broken Authentication.
  it('slows a distributed attack on one account instead of locking the account', async () => {
    const owner = await register(fx.api);
    const answers: Answer[] = [];
    for (let i = 0; i < FAILURES_PER_EMAIL_AND_IP + 2; i++) answers.push(await login(owner.email, `botnet guess ${i}`, address()));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 401));
    expect((await login(owner.email, owner.password, address())).status).toBe(200);
  }, 180_000);
});
