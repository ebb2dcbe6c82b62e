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
