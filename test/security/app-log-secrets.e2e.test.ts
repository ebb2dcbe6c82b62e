// Attack catalogue: reading an app's sealed secrets through the app's own log.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useBerth } from '../support/fixture.js';
import { waitForOperation } from '../support/http.js';
import { deployFiles, sha256, useAppWithSecrets } from '../support/secrets.js';
import { openSse } from '../support/sse.js';

const fx = useBerth('logsecrets', { BERTH_ROLES: 'api,worker', SECRETS_KEY: randomBytes(32).toString('base64'), JOB_BACKOFF_MS: '200' });
// A plain variable when the app prints it, sealed afterwards.
const LATE = `late-${randomBytes(12).toString('hex')}`;
const app = useAppWithSecrets(fx, 'chatty', { LATE_SECRET: LATE });
const company = () => app.owner.company.id;
type Line = { process: string; message: string };
// Lines the engine splits at 16 KiB: the key (32 characters) after this many x's straddles the
// split of the tagged line ({"berth-log":1,...,"m":" is 43 bytes) for most of them.
const PADS = Array.from({ length: 36 }, (_, i) => 16_310 + i);
// Lines longer than the runtime's 100 000-character records: this many characters of the key
// (32 characters) end the first record, the rest starts the next.
const CUTS = [4, 9, 16, 28];
const logs = (query: string) => fx.api.get(`/${company()}/apps/${app.appId}/logs/${query}`, { token: app.viewer.token });

describe('secrets in the app log', () => {
  /*
   * Attack: a member who may only read (viewer) cannot read the app's secrets through the
   *   config API, but reads and follows the app's log. A program that prints its environment
   *   or a connection string (a framework's debug page, a crash dump) would hand them the
   *   secrets and the database password, and so would a line printed before a value was sealed.
   * Expected: every value of the app's secrets, the storage password also percent-encoded in
   *   DATABASE_URL, each line of a multi-line key, and a secret changed but not yet applied (the
   *   old value is what the program sees) are masked as *** in the log as read and as
   *   followed. A value sealed after it was printed is masked when the log is read. So is a
   *   secret at the end of a line long enough for the engine to keep it in two parts, with the
   *   secret cut in half between them; and a secret cut in two by the runtime, in a line longer
   *   than its records, or printed in two parts with a pause between: both pieces are masked.
   *   The program did see the values (their hashes, printed beside, are in the log).
   * Reference: OWASP API Security Top 10 2023, API3:2023 Broken Object Property Level
   *   Authorization; Heroku and GitHub Actions mask secrets in the logs they show.
   */
  it('masks the secrets an app prints, in the log as read and as followed, and values sealed after they were printed', async () => {
    const follower = await openSse(`${fx.berth.url}/${company()}/apps/${app.appId}/logs/?follow=true&process=app`, app.viewer.token);
    expect(follower.status, JSON.stringify(follower.body)).toBe(200);

    const release = await deployFiles(fx, app, {
      'server.js': `const { createHash } = require('node:crypto');
const e = process.env;
const hash = (v) => createHash('sha256').update(v).digest('hex');
console.log('key=' + e.API_KEY);
console.log('url=' + e.DATABASE_URL);
console.error('password=' + e.DATABASE_PASSWORD);
console.log(e.SIGNING_KEY);
console.log('late=' + e.LATE_SECRET);
console.log(JSON.stringify(e));
for (const pad of ${JSON.stringify(PADS)}) console.log('x'.repeat(pad) + e.API_KEY);
console.log('key-hash=' + hash(e.API_KEY) + ' password-hash=' + hash(e.DATABASE_PASSWORD));
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  // Paced, so that the follower keeps up with 100 kB lines.
  for (const cut of ${JSON.stringify(CUTS)}) {
    console.log('y'.repeat(100000 - cut) + e.API_KEY + 'z');
    await pause(300);
  }
  // Part of the key, and the rest after a pause longer than the runtime waits for a line's end.
  process.stdout.write('part=' + e.API_KEY.slice(0, 12));
  await pause(2000);
  console.log(e.API_KEY.slice(12));
  console.log('printed all');
})();
require('node:http').createServer((q, s) => s.end('ok')).listen(e.PORT);
`,
    });
    expect((await waitForOperation(fx.api, app.owner.token, company(), release.operation_id, 120_000)).status).toBe('success');

    const live = (await follower.until((events) => events.some((e) => e.data?.message === 'printed all'))).map((e) => e.data as Line);
    follower.close();
    const read = async () => {
      const answer = await logs('?process=app&lines=1000');
      expect(answer.status, answer.text).toBe(200);
      return answer.body as Line[];
    };
    const before = await read();
    for (const [how, lines] of [['as followed', live], ['as read', before]] as const) {
      const text = lines.map((l) => l.message).join('\n');
      // The program saw the secrets: the old API_KEY (not applied yet) and the password.
      expect(text).toContain(sha256(app.secret));
      expect(text).toContain(sha256(app.password));
      expect(text).toMatch(/^key=\*\*\*$/m);
      expect(text).toMatch(/^url=postgresql?:\/\/[^:]+:\*\*\*@/m);
      expect(text).toMatch(/^password=\*\*\*$/m);
      expect(text).toContain('"API_KEY":"***"');
      // Whole again, and masked: not two lines, each with half of the key.
      const long = lines.filter((l) => l.message.startsWith('xxxx')).map((l) => `${l.message.length}:${l.message.slice(-4)}`);
      expect(long, how).toEqual(PADS.map((pad) => `${pad + 3}:x***`));
      // Cut in two by the runtime: each piece masked, the line's pieces in turn.
      const cut = lines.findIndex((l) => l.message.startsWith('yyyy'));
      expect(lines.slice(cut, cut + 2 * CUTS.length).map((l) => (l.message.startsWith('yyyy') ? `${l.message.length}:${l.message.slice(-4)}` : l.message))).toEqual(
        CUTS.flatMap((n) => [`${100_000 - n + 3}:y***`, '***z']),
      );
      const part = lines.findIndex((l) => l.message.startsWith('part='));
      expect(lines.slice(part, part + 2).map((l) => l.message)).toEqual(['part=***', '***']);
      for (const secret of app.forbidden()) expect(text).not.toContain(secret);
      // Not a secret when printed: readers with access to the variables see it.
      expect(text).toContain(`late=${LATE}`);
    }

    // Sealed afterwards (not applied): the lines already stored no longer show it.
    const sealed = await fx.api.put(`/${company()}/apps/${app.appId}/config/secrets/LATE_SECRET/?restart=false`, { token: app.owner.token, body: { value: LATE } });
    expect(sealed.status, sealed.text).toBe(200);
    const after = (await read()).map((l) => l.message).join('\n');
    expect(after).toMatch(/^late=\*\*\*$/m);
    expect(after).not.toContain(LATE);
  }, 240_000);
});
