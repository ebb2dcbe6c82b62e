// An app on the Python runtime with programs of the test's own in its supervisord, as a tenant
// adds them in /srv/conf/supervisor.d: how the log tests make an app print.
import { expect } from 'vitest';
import { docker } from './docker.js';
import type { BerthFixture } from './fixture.js';
import { waitForOperation } from './http.js';

interface Owner {
  token: string;
  company: { id: number };
}

export const appContainer = (fx: BerthFixture, id: number) => `${fx.env.DOCKER_NAME_PREFIX}-app-${id}`;

export async function createPythonApp(fx: BerthFixture, who: Owner, name: string): Promise<number> {
  const plans = (await fx.api.get(`/${who.company.id}/plans/`, { token: who.token })).body;
  const created = await fx.api.post(`/${who.company.id}/apps/`, { token: who.token, body: { name, image: 'berth/runtime-python:2026.11-1', plan: plans[0].id } });
  expect(created.status, created.text).toBe(200);
  expect((await waitForOperation(fx.api, who.token, who.company.id, created.body.operation_id)).status).toBe('success');
  return created.body.id;
}

/** Adds a supervisord program running `script` (Python) to the app's container. */
export async function addProgram(fx: BerthFixture, id: number, name: string, script: string): Promise<void> {
  const conf = `[program:${name}]\ncommand=/usr/bin/python3 -u /srv/app/${name}.py\nautorestart=true\nstdout_logfile=/srv/log/${name}.log\nstderr_logfile=/srv/log/${name}.err\n`;
  await docker('exec', appContainer(fx, id), 'sh', '-c', `cat > /srv/app/${name}.py <<'EOF'\n${script}\nEOF\ncat > /srv/conf/supervisor.d/${name}.conf <<'EOF'\n${conf}EOF\nsupervisorctl reread >/dev/null && supervisorctl update`);
}

/** Waits until `probe` answers something. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The 4 kB a burster's line carries after its tag and number. */
export const PAD = 'x'.repeat(4000);

// Prints `count` lines "<tag> <i> <PAD>" each time /srv/var/burst appears (written beside it and
// renamed into place), then removes it.
export const BURSTER = `import os, time
while True:
    if os.path.exists('/srv/var/burst'):
        tag, count = open('/srv/var/burst').read().split()
        os.remove('/srv/var/burst')
        for i in range(int(count)):
            print(f"{tag} {i} ${PAD}")
    time.sleep(0.01)`;

/** Makes the app's burster program (BURSTER) print `count` lines tagged `tag`. */
export const burst = (fx: BerthFixture, id: number, tag: string, count: number) =>
  docker('exec', appContainer(fx, id), 'sh', '-c', `echo ${tag} ${count} > /srv/var/burst.new && mv /srv/var/burst.new /srv/var/burst`);

/** Waits until supervisord runs the app's program `name`. */
export const programRuns = (fx: BerthFixture, id: number, name: string) =>
  until(`${name} runs`, async () => (await docker('exec', appContainer(fx, id), 'supervisorctl', 'status', name).catch((e) => String(e.stdout))).includes('RUNNING'));

/** Waits until the app's log ends with the last line of burst `tag` (`count` lines). */
export const burstStored = (fx: BerthFixture, who: Owner, id: number, tag: string, count: number) =>
  until(`${tag}'s burst is stored`, async () => {
    const last = await fx.api.get(`/${who.company.id}/apps/${id}/logs/?process=burster&lines=1`, { token: who.token });
    return last.body[0]?.message === `${tag} ${count - 1} ${PAD}`;
  }, 35_000);
