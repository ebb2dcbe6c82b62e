// Attack catalogue: text that PostgreSQL cannot store. A NUL (U+0000) in a text parameter is
// SQLSTATE 22021, which used to surface as a 500 with an error-level log line; a lone UTF-16
// surrogate (valid in JSON as "\ud800") is silently replaced by U+FFFD by `pg`, so what is stored
// is not what was sent. Both are refused at the door, naming the field.
import { beforeAll, describe, expect, it } from 'vitest';
import { useBerth } from '../support/fixture.js';
import { newPublicKey } from '../support/ssh.js';
import { register } from '../support/http.js';

const fx = useBerth('sec_nul');
const NUL = 'must not contain NUL characters';
const IMAGE = 'berth/runtime:2026.11-1';

let owner: Awaited<ReturnType<typeof register>>;
let plan: number;
let sshKey: string;
beforeAll(async () => {
  owner = await register(fx.api);
  plan = (await fx.api.get(`/${owner.company.id}/plans/`, { token: owner.token })).body[0].id;
  sshKey = newPublicKey();
});

const expectRefused = (answer: { status: number; body: any; text: string }, field: string, problem = NUL) => {
  expect({ status: answer.status, code: answer.body?.code }, answer.text).toEqual({ status: 400, code: 'validation_error' });
  expect(answer.body.errors).toEqual({ [field]: [problem] });
};

describe('NUL and lone surrogates in string inputs', () => {
  // Attack: a NUL byte in JSON string fields that are stored (account name, company name, token
  // name, storage note) or looked up (login email).
  // Expected: 400 validation_error naming the field, never 500 internal_error.
  // Reference: OWASP Input Validation Cheat Sheet (validate all input, reject what the back end
  // cannot represent); OWASP API Security Top 10 2023, API8:2023 Security Misconfiguration
  // (errors that reach the 500 path).
  it('refuses a NUL in top-level JSON string fields, naming each', async () => {
    const token = owner.token;
    expectRefused(await fx.api.post('/auth/register/', { body: { email: `nul${Date.now()}@example.test`, password: 'a long enough passphrase', name: 'Eve\u0000' } }), 'name');
    expectRefused(await fx.api.post('/auth/login/', { body: { email: `${owner.email}\u0000`, password: owner.password } }), 'email');
    expectRefused(await fx.api.post('/companies/', { token, body: { name: 'Acme\u0000Corp' } }), 'name');
    expectRefused(await fx.api.post('/tokens/', { token, body: { name: 'ci\u0000' } }), 'name');
    expectRefused(await fx.api.post(`/${owner.company.id}/storages/`, { token, body: { type: 'pgsql', password: 'Long-enough-pass1', note: 'a\u0000b' } }), 'note');
  });

  // Attack: a NUL hidden inside an array element (ssh_keys, domains).
  // Expected: 400 naming the element (`ssh_keys.0`, `domains.1`).
  // Reference: OWASP Input Validation Cheat Sheet; API8:2023 Security Misconfiguration.
  it('refuses a NUL inside nested arrays, naming the element', async () => {
    const path = `/${owner.company.id}/apps/`;
    const token = owner.token;
    expectRefused(await fx.api.post(path, { token, body: { name: 'keys', image: IMAGE, plan, ssh_keys: [`${sshKey}\u0000evil`] } }), 'ssh_keys.0');
    expectRefused(await fx.api.post(path, { token, body: { name: 'doms', image: IMAGE, plan, domains: ['shop.example.com', 'evil\u0000.example.com'] } }), 'domains.1');
  });

  // Attack: a NUL in a query string and in a path parameter (percent-encoded as %00).
  // Expected: 400 naming the parameter, with NUL as the reason.
  // Reference: OWASP Input Validation Cheat Sheet.
  it('refuses a NUL in a query string and in a path parameter', async () => {
    expectRefused(await fx.api.get(`/${owner.company.id}/operations/?app=1%00`, { token: owner.token }), 'app');
    expectRefused(await fx.api.delete('/tokens/1%00/', { token: owner.token }), 'id');
  });

  // Attack: a lone UTF-16 surrogate ("\ud800" in JSON), which `pg` turns into U+FFFD on the way to
  // PostgreSQL: the stored name would differ from the one sent.
  // Expected: 400 naming the field, nothing stored.
  // Reference: OWASP Input Validation Cheat Sheet ("Validating Unicode": reject invalid encodings).
  it('refuses a lone surrogate instead of storing something else', async () => {
    const email = `lone${Date.now()}@example.test`;
    const answer = await fx.api.post('/auth/register/', {
      rawBody: `{"email":"${email}","password":"a long enough passphrase","name":"Eve\\ud800"}`,
      headers: { 'content-type': 'application/json' },
    });
    expectRefused(answer, 'name', 'must be valid Unicode');
    expect((await fx.db.query('SELECT 1 FROM accounts WHERE email = $1', [email])).rowCount).toBe(0);
  });

  // Attack: all of the above.
  // Expected: none of them reaches the 500 path, whose error-level log line is for bugs.
  // Reference: API8:2023 Security Misconfiguration (error handling).
  it('logged no unexpected error for any of them', async () => {
    // Logs arrive in batches: wait for the line of a last request before reading them.
    await fx.api.get('/nul-audit-end', { headers: { 'x-request-id': 'nul-audit-end' } });
    await fx.berth.waitForLog(/"reqId":"nul-audit-end"/);
    expect(fx.berth.logs()).not.toMatch(/unexpected error/);
  });
});
