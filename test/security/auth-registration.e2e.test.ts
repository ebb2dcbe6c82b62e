// Attack catalogue: POST /auth/register as a way to burn CPU (argon2) and to learn which emails
// have accounts. Every client names its own address (X-Forwarded-For, TRUST_PROXY=true).
import { describe, expect, it } from 'vitest';
import { useBerth } from '../support/fixture.js';
import { Answer } from '../support/http.js';

const REGISTRATIONS_PER_IP = 5;
const fx = useBerth('sec_register', { TRUST_PROXY: 'true', REGISTRATIONS_PER_IP: String(REGISTRATIONS_PER_IP) });

let last = 0;
const address = () => ({ 'x-forwarded-for': `203.0.113.${++last}` });
let n = 0;
const newEmail = () => `signup${Date.now()}-${n++}@example.test`;
const signUp = (email: string, headers: Record<string, string>) =>
  fx.api.post('/auth/register/', { body: { email, password: 'a long enough passphrase' }, headers });
// An account made from an address of its own, so the setup never uses up a test's limit.
async function account() {
  const email = newEmail();
  const answer = await signUp(email, address());
  expect(answer.status, answer.text).toBe(200);
  return { email, password: 'a long enough passphrase' };
}
const statuses = (answers: Answer[]) => answers.map((a) => a.status).join(' ');
const count = (answers: Answer[], status: number) => answers.filter((a) => a.status === status).length;

describe('registration', () => {
  // Attack: register an email that already has an account, 30 times at once from one address:
  // each hashes a password with argon2 and answers 409, which never counted toward the limit.
  // Expected: every attempt counts before any hashing; at most REGISTRATIONS_PER_IP get past the
  // limiter (409), the rest are 429 with Retry-After.
  // Reference: OWASP API Security Top 10 2023, API4:2023 Unrestricted Resource Consumption;
  // API2:2023 Broken Authentication.
  it('counts parallel registrations of a known email before hashing anything', async () => {
    const existing = await account();
    const from = address();
    const answers = await Promise.all(Array.from({ length: 30 }, () => signUp(existing.email, from)));
    expect(answers.every((a) => a.status === 409 || a.status === 429), statuses(answers)).toBe(true);
    expect(count(answers, 409)).toBeLessThanOrEqual(REGISTRATIONS_PER_IP);
    for (const answer of answers.filter((a) => a.status === 429)) expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
  }, 180_000);

  // Attack: mass sign-up, all requests at once, to slip past a limit that is checked before and
  // counted after the account is created.
  // Expected: at most REGISTRATIONS_PER_IP accounts; the rest 429 (or 503 when hashing is full).
  // Reference: API4:2023 Unrestricted Resource Consumption; API6:2023 Unrestricted Access to
  // Sensitive Business Flows.
  it('counts parallel sign-ups from one address atomically', async () => {
    const from = address();
    const answers = await Promise.all(Array.from({ length: 20 }, () => signUp(newEmail(), from)));
    expect(answers.every((a) => [200, 429, 503].includes(a.status)), statuses(answers)).toBe(true);
    expect(count(answers, 200)).toBeLessThanOrEqual(REGISTRATIONS_PER_IP);
    expect(count(answers, 429)).toBeGreaterThanOrEqual(20 - REGISTRATIONS_PER_IP);
  }, 180_000);

  // Attack: enumerate which emails have accounts through register's 409, one at a time.
  // Expected: a 409 counts toward the same per-address limit as a sign-up, so an address learns
  // about at most REGISTRATIONS_PER_IP emails an hour; then 429 whatever it asks.
  // Reference: OWASP Authentication Cheat Sheet, "Authentication and Error Messages"
  // (account enumeration); API2:2023 Broken Authentication.
  it('makes enumerating accounts through 409 slow', async () => {
    const known = await Promise.all([account(), account(), account()]);
    const from = address();
    for (let i = 0; i < REGISTRATIONS_PER_IP; i++) expect((await signUp(known[i % known.length].email, from)).status).toBe(409);
    const next = await signUp(newEmail(), from);
    expect(next.status).toBe(429);
    expect(next.body.code).toBe('rate_limited');
  }, 180_000);

  // Attack: a burst of sign-ups from many addresses, each one argon2 hash, so that logins queue
  // behind them (24 of them slowed other users' logins from 1.2 s to 2.9 s).
  // Expected: hashing is bounded per process: the excess is answered at once with 503 and
  // Retry-After instead of queueing, and a login started during the burst is checked without
  // waiting for the sign-ups ahead of it.
  // Reference: API4:2023 Unrestricted Resource Consumption.
  it('sheds a burst of hashing work instead of making logins wait behind it', async () => {
    const user = await account();
    const done: string[] = [];
    const burst = Array.from({ length: 30 }, (_, i) =>
      signUp(newEmail(), address()).then((a) => {
        done.push(`register-${i}-${a.status}`);
        return a;
      }),
    );
    const login = fx.api.post('/auth/login/', { body: { email: user.email, password: user.password }, headers: address() }).then((a) => {
      done.push('login');
      return a;
    });
    const answers = await Promise.all(burst);
    expect((await login).status).toBe(200);
    expect(answers.every((a) => a.status === 200 || a.status === 503), statuses(answers)).toBe(true);
    const shed = answers.filter((a) => a.status === 503);
    expect(shed.length).toBeGreaterThan(0);
    for (const answer of shed) {
      expect(answer.body.code).toBe('unavailable');
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Order, not duration: the login is not served after every sign-up that was let in.
    expect(done.indexOf('login')).toBeLessThan(done.findLastIndex((d) => d.endsWith('-200')));
  }, 180_000);
});
