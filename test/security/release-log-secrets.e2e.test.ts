// Attack catalogue: reading an app's sealed secrets through its deploy log.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useBerth } from '../support/fixture.js';
import { waitForOperation } from '../support/http.js';
import { deployFiles, sha256, useAppWithSecrets } from '../support/secrets.js';
import { openSse } from '../support/sse.js';

const fx = useBerth('relsecrets', { BERTH_ROLES: 'api,worker', SECRETS_KEY: randomBytes(32).toString('base64'), JOB_BACKOFF_MS: '200' });
const app = useAppWithSecrets(fx, 'sealed');
const company = () => app.owner.company.id;

describe('secrets in deploy logs', () => {
  /*
   * Attack: a member who may only read (viewer) cannot read the app's secrets through the
   *   config API, but reads every release's log and follows every operation live. A release
   *   command that prints its environment (a migration tool's debug output, `env`, a
   *   connection string in an error) would hand them the secrets and the database password.
   * Expected: every value of the app's secrets, the storage password also percent-encoded
   *   in DATABASE_URL, each line of a multi-line key, and a secret changed but not yet
   *   applied (the old value is what the command sees) are masked as *** in the stored log,
   *   in the live output and in the operation's messages. The command did see the values
   *   (their hashes, printed beside, are in the log).
   * Reference: OWASP API Security Top 10 2023, API3:2023 Broken Object Property Level
   *   Authorization (exposing properties a user should not read); GitHub Actions masks
   *   secrets in workflow logs the same way.
   */
  it('masks the secrets a release command prints, in the log, the live output and the operation', async () => {
    const command = [
      'echo "key=$API_KEY"',
      'echo "url=$DATABASE_URL"',
      'echo "password=$DATABASE_PASSWORD" >&2',
      'printf "%s\\n" "$SIGNING_KEY"',
      'env | sort',
      'printf "%s" "$API_KEY" | sha256sum',
      'printf "%s" "$DATABASE_PASSWORD" | sha256sum',
    ].join('; ');
    const release = await deployFiles(fx, app, {
      'server.js': "require('node:http').createServer((q, s) => s.end('ok')).listen(process.env.PORT);\n",
      'berth.json': JSON.stringify({ release: command }),
    });
    const stream = await openSse(`${fx.berth.url}/${company()}/operations/${release.operation_id}/`, app.viewer.token);
    expect(stream.status).toBe(200);
    await stream.ended;
    const op = await waitForOperation(fx.api, app.viewer.token, company(), release.operation_id, 120_000);
    expect(op.status, op.message).toBe('success');

    const read = await fx.api.get(`/${company()}/apps/${app.appId}/releases/${release.version}/`, { token: app.viewer.token });
    expect(read.status, read.text).toBe(200);
    const log: string = read.body.log;
    // The command saw the secrets: the old API_KEY (not applied yet) and the password.
    expect(log).toContain(sha256(app.secret));
    expect(log).toContain(sha256(app.password));
    expect(log).toMatch(/^key=\*\*\*$/m);
    expect(log).toMatch(/^url=postgresql?:\/\/[^:]+:\*\*\*@/m);
    expect(log).toMatch(/^password=\*\*\*$/m);
    expect(log).toMatch(/^API_KEY=\*\*\*$/m);

    const live = stream.events.filter((e) => e.event === 'output').map((e) => e.data.line as string);
    expect(live).toContain('key=***');
    const messages = stream.events.filter((e) => e.event === 'operation').map((e) => e.data.message as string);
    for (const text of [log, live.join('\n'), messages.join('\n'), JSON.stringify(op)]) {
      for (const secret of app.forbidden()) expect(text).not.toContain(secret);
    }
  }, 240_000);
});
