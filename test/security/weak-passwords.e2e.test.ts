// Attack catalogue: accounts protected by passwords that attackers try first.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useBerth } from '../support/fixture.js';
import { ROOT } from '../support/server.js';
import { REDIS_URL } from '../support/services.js';

const fx = useBerth('sec_weak');
let n = 0;
const signUp = (password: string) => fx.api.post('/auth/register/', { body: { email: `weak${Date.now()}-${n++}@example.test`, password } });

describe('account password policy', () => {
  // Attack: credential stuffing and dictionary guessing succeed against passwords from
  // common-password lists; the policy let such passwords through because they are 10 characters long.
  // Expected: 400 validation_error naming `password`, whatever the letter case.
  // Reference: OWASP API Security Top 10 2023, API2:2023 Broken Authentication ("permits weak
  // passwords"); OWASP Authentication Cheat Sheet, "Implement Proper Password Strength Controls";
  // NIST SP 800-63B 5.1.1.2 (compare against lists of commonly used passwords).
  it('refuses common passwords, naming password', async () => {
    for (const password of ['password123', 'qwertyuiop', '1234567890', 'Password123', 'QWERTYUIOP']) {
      const answer = await signUp(password);
      expect(answer.status, password).toBe(400);
      expect(answer.body.code).toBe('validation_error');
      expect(Object.keys(answer.body.errors), password).toEqual(['password']);
      expect(answer.body.errors.password[0]).toMatch(/common/);
    }
  });

  // Attack: guessing trivially repetitive or sequential passwords (`aaaaaaaaaa`, `abcdefghij`).
  // Expected: 400 naming `password`.
  // Reference: NIST SP 800-63B 5.1.1.2 ("repetitive or sequential characters"); OWASP
  // Authentication Cheat Sheet.
  it('refuses repeated and consecutive characters, naming password', async () => {
    for (const password of ['aaaaaaaaaa', 'abababababab', 'abcdefghijkl', '9876543210']) {
      const answer = await signUp(password);
      expect(answer.status, password).toBe(400);
      expect(Object.keys(answer.body.errors), password).toEqual(['password']);
    }
  });

  // Attack: none; a length rule that counts UTF-16 units or folds emoji presentation sequences
  // refuses or admits the wrong passwords.
  // Expected: length is counted in Unicode code points: 10 emoji are 10 characters; five symbols
  // each with its emoji presentation selector (U+FE0F) are 10 code points too; 9 code points are too few.
  // Reference: NIST SP 800-63B 5.1.1.2 ("each Unicode code point SHALL be counted as a single
  // character"); OWASP Authentication Cheat Sheet.
  it('counts length in code points', async () => {
    expect((await signUp('🐱🐶🦊🐻🐼🐨🐯🦁🐮🐷')).status).toBe(200);
    expect((await signUp('☀️⛄️❤️✈️☎️')).status).toBe(200);
    const short = await signUp('🐱🐶🦊🐻🐼🐨🐯🦁🐮');
    expect(short.status).toBe(400);
    expect(short.body.errors).toEqual({ password: ['must be 10 to 1024 characters long'] });
  });

  // Attack: an operator-created account with a common password (`berth account:create`).
  // Expected: the command refuses it, naming password, and creates nothing.
  // Reference: API2:2023 Broken Authentication; OWASP Authentication Cheat Sheet.
  it('applies to accounts created with the operator command too', async () => {
    const run = promisify(execFile);
    const child = run(process.execPath, ['dist/src/cli/berth.js', 'account:create', '--email', 'weakops@example.test', '--password-stdin'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: fx.db.url, REDIS_URL },
    });
    child.child.stdin!.end('password123\n');
    const result = await child.then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/password/);
    expect((await fx.db.query("SELECT 1 FROM accounts WHERE email = 'weakops@example.test'")).rowCount).toBe(0);
  });
});
