// Attack catalogue: reading a secret through the app's log as followed, where a read masks it.
// The collector masks lines as it stores them, with the secrets the app had when its container
// started; a value sealed later without a restart (`?restart=false`) reaches the store unmasked.
// Reading the log masks it again; following it did not: neither the lines printed after the seal,
// sent live, nor older ones sent again to a follower resuming with `Last-Event-ID`.
// Against a real Berth (API and worker), Docker, Redis and PostgreSQL.
// Reference: OWASP API Security Top 10 2023, API3:2023 Broken Object Property Level Authorization.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useBerth } from '../support/fixture.js';
import { waitForOperation } from '../support/http.js';
import { deployFiles, useAppWithSecrets } from '../support/secrets.js';
import { openSse } from '../support/sse.js';

const fx = useBerth('followsecrets', { BERTH_ROLES: 'api,worker', SECRETS_KEY: randomBytes(32).toString('base64'), JOB_BACKOFF_MS: '200' });
const LATE = `late-${randomBytes(12).toString('hex')}`;
const app = useAppWithSecrets(fx, 'ticker', { LATE_SECRET: LATE });
const company = () => app.owner.company.id;
const followUrl = () => `${fx.berth.url}/${company()}/apps/${app.appId}/logs/?follow=true&process=app&lines=5`;

describe('a secret sealed while the app prints it', () => {
  it('is masked in the log as followed, live and on resuming, as it is when read', async () => {
    // Prints the variable, a plain one so far, three times a second.
    const release = await deployFiles(fx, app, {
      'server.js': `let i = 0;
setInterval(() => console.log('tick ' + i++ + ' late=' + process.env.LATE_SECRET), 300);
require('node:http').createServer((q, s) => s.end('ok')).listen(process.env.PORT);
`,
    });
    expect((await waitForOperation(fx.api, app.owner.token, company(), release.operation_id, 120_000)).status).toBe('success');
    const before = await openSse(followUrl(), app.viewer.token);
    await before.until((events) => events.some((e) => String(e.data?.message).includes(`late=${LATE}`)));
    before.close();

    // Sealed, not applied: the container and the collector go on as they were.
    const sealed = await fx.api.put(`/${company()}/apps/${app.appId}/config/secrets/LATE_SECRET/?restart=false`, { token: app.owner.token, body: { value: LATE } });
    expect(sealed.status, sealed.text).toBe(200);
    const read = await fx.api.get(`/${company()}/apps/${app.appId}/logs/?process=app&lines=20`, { token: app.viewer.token });
    expect(read.body.map((l: { message: string }) => l.message).join('\n')).not.toContain(LATE);

    // Live: ten lines printed after the seal.
    const live = await openSse(followUrl(), app.viewer.token);
    expect(live.status).toBe(200);
    const backlog = (await live.until((events) => events.length >= 5)).length;
    const events = await live.until((all) => all.length >= backlog + 10, 20_000);
    live.close();
    const lines = events.map((e) => String(e.data?.message));
    expect(lines.slice(backlog).every((l) => /^tick \d+ late=\*\*\*$/.test(l)), lines.slice(backlog).join('\n')).toBe(true);
    expect(lines.join('\n')).not.toContain(LATE);

    // Resumed from the log's start: every line stored since, the ones printed before the seal too.
    const resumed = await openSse(followUrl(), app.viewer.token, { 'last-event-id': '0-0' });
    expect(resumed.status).toBe(200);
    const again = (await resumed.until((all) => all.filter((e) => e.event === 'log').length >= 20, 20_000)).map((e) => String(e.data?.message));
    resumed.close();
    expect(again.filter((l) => l.startsWith('tick ')).length).toBeGreaterThan(10);
    expect(again.join('\n')).not.toContain(LATE);
  }, 240_000);
});
