// Provisioning speed and memory: `npm run bench:provision` (after `npm run build`).
//
// A: time from `POST /apps/` to the app's first HTTP 200 on its published port.
// B: a raw `docker run` of the same image, with the same limits and a fresh volume, to its first 200.
// Five of each, alternated, in one run; prints both medians and A/B (target <= 1.5).
// Berth gives every app a quota'd /srv (a filesystem image of the plan's size); the raw
// run gets a plain volume, as `docker run` would.
// C: a plan change that resizes /srv holding 500 MB (Mini 1 GB -> Start+ 10 GB, and back),
// from the PATCH to the app's first 200 after it, beside D: a rebuild of the same app (the
// container replaced, /srv as it is). Three of each; prints medians and C/D.
// Then defines 50 apps and prints the resident memory of the API and worker processes.
import { randomBytes } from 'node:crypto';
import {
  api,
  cleanup,
  createDatabase,
  docker,
  firstOk,
  installationEnv,
  installCleanup,
  median,
  query,
  registerAccount,
  rssMb,
  startBerth,
  waitForOperation,
  runSucceeded,
} from '../lib/berth.mjs';

const RUNS = 5;
const RESIZES = 3;
const APPS = 50;
const TARGET = 1.5;
const IMAGE = 'berth/runtime:2026.11-1';
const RAW_PORT = 38990;

installCleanup(20 * 60_000);
const started = Date.now();
const log = (line) => console.error(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

const db = await createDatabase('provision');
const env = installationEnv(db, { apps: '38000-38899', ssh: '39000-39899' });
const apiRole = await startBerth(env, 'api', 'api');
const workerRole = await startBerth(env, 'worker', 'worker');
const base = apiRole.url;
const account = await registerAccount(base);
const plans = await api(base, 'GET', `/${account.companyId}/plans/`, account.token);
const mini = plans.find((p) => p.name === 'Mini');
log(`Berth up (api pid ${apiRole.pid}, worker pid ${workerRole.pid}); plan ${mini.name}: ${mini.ram} MB, ${mini.cpu_quota} % CPU`);

/** A: POST → first 200 through Berth, then delete the app. */
async function throughBerth(name) {
  const t0 = performance.now();
  const app = await api(base, 'POST', `/${account.companyId}/apps/`, account.token, { name, image: IMAGE, plan: mini.id });
  const [{ host_port: port }] = await query(db, 'SELECT host_port FROM apps WHERE id = $1', [app.id]);
  const t1 = await firstOk(`http://127.0.0.1:${port}/`);
  await waitForOperation(base, account, app.operation_id);
  const gone = await api(base, 'DELETE', `/${account.companyId}/apps/${app.id}/`, account.token);
  await waitForOperation(base, account, gone.operation_id);
  return t1 - t0;
}

/** B: the same container by hand, as `docker run` with Berth's limits and a fresh volume. */
async function rawDocker() {
  const name = `${env.DOCKER_NAME_PREFIX}-raw-${randomBytes(3).toString('hex')}`;
  const t0 = performance.now();
  await docker('run', '-d', '--name', name, '--label', `berth.installation=${env.DOCKER_NAME_PREFIX}`, '-u', '1000:1000',
    '-p', `127.0.0.1:${RAW_PORT}:8080`, '-m', `${mini.ram}m`, '--memory-swap', `${mini.ram}m`, '--cpus', String(mini.cpu_quota / 100),
    '--pids-limit', '512', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '-e', 'PORT=8080',
    '--mount', `type=volume,src=${name},dst=/srv,volume-label=berth.installation=${env.DOCKER_NAME_PREFIX}`, IMAGE);
  const t1 = await firstOk(`http://127.0.0.1:${RAW_PORT}/`);
  await docker('rm', '-f', name);
  await docker('volume', 'rm', '-f', name);
  return t1 - t0;
}

log('warming up (one of each, not counted)');
await throughBerth('warmup');
await rawDocker();

const berth = [];
const raw = [];
for (let i = 0; i < RUNS; i++) {
  raw.push(await rawDocker());
  berth.push(await throughBerth(`app${i}`));
  log(`run ${i + 1}: docker run ${raw.at(-1).toFixed(0)} ms, Berth ${berth.at(-1).toFixed(0)} ms`);
}

/** From a change to the app's first 200 after its operation: what a user waits for. */
async function timedChange(app, method, url, body) {
  const t0 = performance.now();
  const answer = await api(base, method, `/${account.companyId}/${url}`, account.token, body);
  const op = await waitForOperation(base, account, answer.operation_id);
  if (op.status !== 'success') throw new Error(`${method} ${url}: ${op.message}`);
  const [{ host_port: port }] = await query(db, 'SELECT host_port FROM apps WHERE id = $1', [app.id]);
  return (await firstOk(`http://127.0.0.1:${port}/`)) - t0;
}

log('resizing: an app holding 500 MB in /srv');
const startPlus = plans.find((p) => p.name === 'Start+');
const sized = await api(base, 'POST', `/${account.companyId}/apps/`, account.token, { name: 'sized', image: IMAGE, plan: mini.id });
await waitForOperation(base, account, sized.operation_id);
await docker('exec', `${env.DOCKER_NAME_PREFIX}-app-${sized.id}`, 'dd', 'if=/dev/urandom', 'of=/srv/var/fill.bin', 'bs=1M', 'count=500', 'status=none');
const grow = [];
const shrink = [];
const rebuild = [];
for (let i = 0; i < RESIZES; i++) {
  grow.push(await timedChange(sized, 'PATCH', `apps/${sized.id}/`, { plan: startPlus.id }));
  shrink.push(await timedChange(sized, 'PATCH', `apps/${sized.id}/`, { plan: mini.id }));
  rebuild.push(await timedChange(sized, 'PUT', `apps-action/${sized.id}/`, { action: 'rebuild' }));
  log(`resize ${i + 1}: grow ${grow.at(-1).toFixed(0)} ms, shrink ${shrink.at(-1).toFixed(0)} ms, rebuild ${rebuild.at(-1).toFixed(0)} ms`);
}
const srv = (await docker('exec', `${env.DOCKER_NAME_PREFIX}-app-${sized.id}`, 'df', '-P', '-B1M', '/srv')).split('\n')[1].split(/\s+/);
const gone = await api(base, 'DELETE', `/${account.companyId}/apps/${sized.id}/`, account.token);
await waitForOperation(base, account, gone.operation_id);

const idle = { api: rssMb(apiRole.pid), worker: rssMb(workerRole.pid) };
log(`defining ${APPS} apps`);
const created = [];
for (let i = 0; i < APPS; i++) {
  created.push(await api(base, 'POST', `/${account.companyId}/apps/`, account.token, { name: `many${i}`, image: IMAGE, plan: mini.id }));
}
for (const app of created) await waitForOperation(base, account, app.operation_id, 300_000);
await api(base, 'GET', `/${account.companyId}/apps/`, account.token);
const loaded = { api: rssMb(apiRole.pid), worker: rssMb(workerRole.pid) };
const running = (await docker('ps', '-q', '--filter', `label=berth.installation=${env.DOCKER_NAME_PREFIX}`)).split('\n').filter(Boolean).length;

const a = median(berth);
const b = median(raw);
const ratio = a / b;
console.log('');
console.log('Provisioning: time to the first HTTP 200 of a new app (median of 5, same run)');
console.log(`  A  Berth: POST /apps/ -> first 200        ${a.toFixed(0).padStart(6)} ms   (${berth.map((x) => x.toFixed(0)).join(', ')})`);
console.log(`  B  raw docker run -> first 200            ${b.toFixed(0).padStart(6)} ms   (${raw.map((x) => x.toFixed(0)).join(', ')})`);
console.log(`  A/B ${ratio.toFixed(2)}   target <= ${TARGET}   ${ratio <= TARGET ? 'MET' : 'NOT MET'}`);
console.log('');
const d = median(rebuild);
console.log(`Resizing /srv holding 500 MB on a plan change, to the first 200 after it (median of ${RESIZES}, same run)`);
console.log(`  C  grow   Mini 1 GB -> Start+ 10 GB       ${median(grow).toFixed(0).padStart(6)} ms   C/D ${(median(grow) / d).toFixed(2)}`);
console.log(`  C  shrink Start+ 10 GB -> Mini 1 GB       ${median(shrink).toFixed(0).padStart(6)} ms   C/D ${(median(shrink) / d).toFixed(2)}`);
console.log(`  D  rebuild (container replaced, no resize) ${d.toFixed(0).padStart(5)} ms`);
console.log(`  /srv after: ${srv[1]} MB, ${srv[2]} MB used`);
console.log('');
console.log(`Resident memory (MB)          idle   with ${APPS} apps defined (${running} containers running)`);
console.log(`  API process    (pid ${String(apiRole.pid).padEnd(7)}) ${idle.api.toFixed(1).padStart(6)}   ${loaded.api.toFixed(1).padStart(6)}`);
console.log(`  worker process (pid ${String(workerRole.pid).padEnd(7)}) ${idle.worker.toFixed(1).padStart(6)}   ${loaded.worker.toFixed(1).padStart(6)}`);
console.log('');
console.log(JSON.stringify({ berthMs: berth, rawMs: raw, medianBerthMs: a, medianRawMs: b, ratio, target: TARGET, met: ratio <= TARGET, resizeMs: { grow, shrink, rebuild }, rssMb: { idle, loaded, apps: APPS } }));

runSucceeded();
log('cleaning up');
await cleanup();
process.exit(0);
