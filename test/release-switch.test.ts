// The deploy's switch of /srv/app (src/releases/release-steps.ts) in a real runtime container, with
// programs that start while it happens: each program runs the new release once. A program that is
// starting when the tree is switched reads the new files, and restarted by the deploy it ran the new
// release twice (on a container made a moment before a deploy, its first lines were logged twice).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEPLOY_DIR, INCOMING, RESTART, switchIn } from '../src/releases/release-steps.js';

const run = promisify(execFile);
const docker = async (...args: string[]) => (await run('docker', args, { timeout: 60_000 })).stdout;
const sh = (script: string) => docker('exec', name, 'sh', '-c', script);
const name = `berth-test-switch-${randomBytes(4).toString('hex')}`;

/** A program that records which tree it read (`marker`, half a second after its start) in /srv/var/<name>.starts. */
const program = (program: string, startsecs: number) => `[program:${program}]
command=sh -c 'sleep 0.5; cat /srv/app/marker >> /srv/var/${program}.starts; exec sleep 1000'
autostart=false
autorestart=false
startsecs=${startsecs}
stdout_logfile=/srv/log/${program}.log
`;

const starts = async (program: string) => (await sh(`cat /srv/var/${program}.starts 2>/dev/null || true`)).split('\n').filter(Boolean);

/** /srv/app holds `old`; the next tree, `new`, waits in the deploy's incoming directory. */
const nextTree = () => sh(`rm -rf ${DEPLOY_DIR} && mkdir -p ${INCOMING} && echo old > /srv/app/marker && cp /srv/app/app.py ${INCOMING}/ && echo new > ${INCOMING}/marker`);

beforeAll(async () => {
  await docker('run', '-d', '--name', name, '-m', '256m', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '-v', `${name}:/srv`, 'berth/runtime-python:2026.11-1');
  const conf = `${program('slow', 3)}\n${program('late', 0)}`;
  await sh(`mkdir -p /srv/var && cat > /srv/conf/supervisor.d/test.conf <<'EOF'\n${conf}EOF\nfor i in $(seq 50); do supervisorctl status >/dev/null 2>&1 && break; sleep 0.1; done; supervisorctl reread >/dev/null && supervisorctl update >/dev/null`);
}, 120_000);

afterAll(async () => {
  await docker('rm', '-f', name).catch(() => undefined);
  await docker('volume', 'rm', '-f', name).catch(() => undefined);
});

it('waits for a program that is starting before it switches, then restarts it once: the new release runs once', async () => {
  await nextTree();
  // Started (it takes 3 s to count as up) and not waited for: the switch comes while it starts.
  const starting = sh('supervisorctl start slow');
  for (let i = 0; i < 50 && !(await sh('supervisorctl status slow || true')).includes('STARTING'); i++) await new Promise((r) => setTimeout(r, 100));
  const output = await sh(switchIn(1));
  await starting;
  expect(output).toMatch(/^restarted slow:slow$/m);
  expect(await sh('cat /srv/app/marker')).toBe('new\n');
  for (let i = 0; i < 100 && (await starts('slow')).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
  // Before the wait, the program read `new` half a second into its start, then the restart ran it again.
  expect(await starts('slow')).toEqual(['old', 'new']);
  expect(await sh('supervisorctl status slow || true')).toMatch(/STARTING|RUNNING/);
}, 60_000);

it('leaves alone a program whose process began after the switch: it runs the new tree already', async () => {
  await sh('supervisorctl stop slow late >/dev/null || true');
  // supervisord starting a program between the switch and the restart, as it does on its own
  // (autostart, autorestart): the restart sees it running.
  const output = await sh(`python3 -c '${RESTART}
rpc = connect()
rpc.startProcess("slow:slow", True)
after = time.clock_gettime(time.CLOCK_BOOTTIME)
time.sleep(0.05)
rpc.startProcess("late:late", True)
restart(rpc, after)'`);
  expect(output).toMatch(/^restarted slow:slow$/m);
  expect(output).toMatch(/^started on the new tree, not restarted: late:late$/m);
  expect(output).not.toMatch(/restarted late:late/);
  expect(output).not.toMatch(/berth-log/);
}, 60_000);
