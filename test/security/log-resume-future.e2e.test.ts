// Attack catalogue: a member stops everyone else's live view of an app's log. One read of Redis
// serves all followers of an app in an API process, starting where the first follower asks; a
// follower that resumed with a made-up `Last-Event-ID` far in the future set it there, and no line
// reached any follower of the app until its id passed that one (never). Against a real Berth (API
// and worker), Docker and Redis.
// Reference: OWASP API Security Top 10 2023, API4:2023 Unrestricted Resource Consumption (denial of service).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useBerth } from '../support/fixture.js';
import { waitForOperation } from '../support/http.js';
import { deployFiles, useAppWithSecrets } from '../support/secrets.js';
import { openSse } from '../support/sse.js';

const fx = useBerth('logfuture', { BERTH_ROLES: 'api,worker', SECRETS_KEY: randomBytes(32).toString('base64'), JOB_BACKOFF_MS: '200' });
const app = useAppWithSecrets(fx, 'ticker');
const company = () => app.owner.company.id;
const follow = (process: string) => `${fx.berth.url}/${company()}/apps/${app.appId}/logs/?follow=true&process=${process}&lines=1`;

describe('a follower resuming from the future', () => {
  it('is taken to go on from the newest line, and holds no other follower back', async () => {
    const release = await deployFiles(fx, app, {
      'server.js': `let i = 0;
setInterval(() => console.log('tick ' + i++), 200);
require('node:http').createServer((q, s) => s.end('ok')).listen(process.env.PORT);
`,
    });
    expect((await waitForOperation(fx.api, app.owner.token, company(), release.operation_id, 120_000)).status).toBe('success');

    // First to follow the app in this process: the shared read would start where it says.
    const attacker = await openSse(follow('nomatch'), app.viewer.token, { 'last-event-id': '99999999999999-0' });
    expect(attacker.status).toBe(200);
    const owner = await openSse(follow('app'), app.owner.token);
    expect(owner.status).toBe(200);
    const backlog = (await owner.until((events) => events.length >= 1)).length;
    // Five lines a second: ten live ones in well under the wait.
    const events = await owner.until((all) => all.filter((e) => e.event === 'log').length >= backlog + 10, 15_000);
    owner.close();
    attacker.close();
    const ticks = events.map((e) => Number(/^tick (\d+)$/.exec(String(e.data?.message))?.[1]));
    expect(ticks.every((n, i) => i === 0 || n === ticks[i - 1] + 1), ticks.join(' ')).toBe(true);
  }, 240_000);
});
