// Applying an app's config: `npm run bench:config` (after `npx nest build`), as root.
//
// One app (plan Mini, the default runtime) runs a tiny Node.js program, sent over rsync through
// Berth's SSH gateway, that answers with process.env.BENCH_VALUE and an id of its own start.
// A: `PATCH /apps/{id}/config/` with a new BENCH_VALUE, to the first answer carrying it.
// B: the `restart` action, to the first answer from a new start of the program.
// Both are polled every 20 ms on the app's published loopback port. One of each as warm-up,
// then five of each, alternated; prints both medians and A/B (target <= 1.2), where the time
// went (Docker's events, supervisord's log, the program's own clock), and everything as JSON.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  api,
  cleanup,
  createDatabase,
  installationEnv,
  installCleanup,
  median,
  onCleanup,
  query,
  registerAccount,
  sh,
  startBerth,
  waitForOperation,
  runSucceeded,
} from '../lib/berth.mjs';
import { clientKey, gatewayKnownHost, sshOptions, waitForSsh } from '../lib/ssh.mjs';

const RUNS = 5;
const TARGET = 1.2;
const POLL_MS = 20;
const IMAGE = 'berth/runtime:2026.11-1';

installCleanup(15 * 60_000);
const started = Date.now();
const log = (line) => console.error(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-config-'));
onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));

// The tenant's program. performance.timeOrigin is when its process began (the host's clock:
// a container shares it), `listening` when it could first answer.
const SERVER = `const http = require('node:http');
const boot = require('node:crypto').randomUUID();
let listening = null;
http.createServer((req, res) => {
  const body = JSON.stringify({ value: process.env.BENCH_VALUE ?? null, boot, processStart: performance.timeOrigin, listening });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}).listen(Number(process.env.PORT), () => { listening = Date.now(); });
`;
const PROGRAM = `[program:app]
command=/usr/local/bin/node /srv/app/server.js
directory=/srv/app
autostart=true
autorestart=true
startsecs=1
stopsignal=TERM
stopwaitsecs=10
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=/srv/log/app.log
`;

const { path: key, publicKey } = clientKey(dir);
const source = path.join(dir, 'app');
fs.mkdirSync(source);
fs.writeFileSync(path.join(source, 'server.js'), SERVER);
fs.writeFileSync(path.join(source, 'package.json'), '{ "private": true }\n');
fs.writeFileSync(path.join(dir, 'app.conf'), PROGRAM);

// Below Linux's ephemeral ports and apart from the tests' blocks (20000-29999, 10000-19999) and Berth's defaults.
const db = await createDatabase('config');
const env = installationEnv(db, { apps: '32100-32199', ssh: '32200-32299' });
const events = watchDockerEvents(env.DOCKER_NAME_PREFIX);
const apiRole = await startBerth(env, 'api', 'api');
const workerRole = await startBerth(env, 'worker', 'worker');
await startBerth({ ...env, SSH_SYNC_INTERVAL_MS: '200' }, 'ssh', 'ssh');
const base = apiRole.url;
const account = await registerAccount(base);
const plans = await api(base, 'GET', `/${account.companyId}/plans/`, account.token);
const mini = plans.find((p) => p.name === 'Mini');
const app = await api(base, 'POST', `/${account.companyId}/apps/`, account.token, { name: 'config', image: IMAGE, plan: mini.id, ssh_keys: [publicKey] });
await waitForOperation(base, account, app.operation_id);
const [{ host_port: hostPort }] = await query(db, 'SELECT host_port FROM apps WHERE id = $1', [app.id]);
const url = `http://127.0.0.1:${hostPort}/`;
log(`Berth up (api pid ${apiRole.pid}, worker pid ${workerRole.pid}); app ${app.id} on ${mini.name} (${mini.ram} MB, ${mini.cpu_quota} % CPU) at ${url}`);

// Deployed as a tenant would: rsync through the gateway, then supervisorctl.
const sshPort = app.ssh_access[0].port;
const knownHosts = path.join(dir, 'known_hosts');
fs.writeFileSync(knownHosts, `${await gatewayKnownHost(base, account.token, sshPort)}\n`);
const sshArgs = sshOptions(key, knownHosts, sshPort);
const ssh = (command) => sh('ssh', [...sshArgs, 'app@127.0.0.1', command]);
await waitForSsh(sshArgs, 'app@127.0.0.1');
const rsync = (from, to, ...flags) => sh('rsync', ['-az', ...flags, '-e', `ssh ${sshArgs.join(' ')}`, from, `app@127.0.0.1:${to}`]);
await rsync(`${source}/`, '/srv/app/', '--delete');
await rsync(path.join(dir, 'app.conf'), '/srv/conf/supervisor.d/app.conf');
await ssh('supervisorctl reread && supervisorctl update && supervisorctl restart app');
let last = (await pollFor((b) => b.value === null)).body;
log(`deployed over SSH (gateway port ${sshPort}); the program answers (start ${last.boot.slice(0, 8)})`);

/** A: PATCH config → the first answer with the new value. */
async function configChange() {
  const value = randomBytes(8).toString('hex');
  const before = last;
  const sentAt = Date.now();
  const t0 = performance.now();
  const answer = await api(base, 'PATCH', `/${account.companyId}/apps/${app.id}/config/`, account.token, { vars: { BENCH_VALUE: value } });
  const apiMs = performance.now() - t0;
  const seen = await pollFor((b) => b.value === value);
  const op = await waitForOperation(base, account, answer.operation_id);
  if (!op.message.startsWith('container replaced')) throw new Error(`a config change did: ${op.message}`);
  if (seen.body.boot === before.boot) throw new Error('the new value came without a new start of the program');
  return measured('config', sentAt, t0, apiMs, seen, op);
}

/** B: restart action → the first answer from a new start of the program (same value). */
async function restart() {
  const before = last;
  const sentAt = Date.now();
  const t0 = performance.now();
  const answer = await api(base, 'PUT', `/${account.companyId}/apps-action/${app.id}/`, account.token, { action: 'restart' });
  const apiMs = performance.now() - t0;
  const seen = await pollFor((b) => b.boot !== before.boot);
  const op = await waitForOperation(base, account, answer.operation_id);
  if (!op.message.startsWith('restarted')) throw new Error(`a restart did: ${op.message}`);
  if (seen.body.value !== before.value) throw new Error(`the restart changed the value (${before.value} → ${seen.body.value})`);
  return measured('restart', sentAt, t0, apiMs, seen, op);
}

/** One round's figures, with its phases on the host's clock (ms after the request was sent). */
function measured(kind, sentAt, t0, apiMs, seen, op) {
  last = seen.body;
  const ours = events.since(sentAt);
  const at = (action, filter = () => true) => {
    const e = ours.find((x) => x.action === action && filter(x));
    return e ? e.ms - sentAt : null;
  };
  const phases = {
    jobStarted: Date.parse(op.started_at) - sentAt,
    kill: at('kill'),
    die: at('die'),
    start: at('start'),
    processStart: seen.body.processStart - sentAt,
    listening: seen.body.listening - sentAt,
    seen: seen.epoch - sentAt,
    // The worker's SETTLE_MS check (is the container still running?) comes after the start.
    opFinished: Date.parse(op.finished_at) - sentAt,
    // From supervisord's log, read at the end of the run.
    supervisordStarted: null,
    spawned: null,
  };
  return {
    kind,
    sentAt,
    seenAt: seen.epoch,
    ms: seen.at - t0,
    apiMs,
    downMs: seen.lastOldAt === null ? null : seen.at - seen.lastOldAt,
    signal: ours.find((x) => x.action === 'kill')?.signal ?? null,
    phases,
    events: ours.filter((x) => x.ms <= seen.epoch).map((x) => `${x.action}${x.signal ? `(${x.signal})` : ''} +${(x.ms - sentAt).toFixed(0)}`),
  };
}

/** Polls the app until an answer passes `accept`; remembers when the last answer that did not came. */
async function pollFor(accept, ms = 60_000) {
  const until = Date.now() + ms;
  let lastOldAt = null;
  for (;;) {
    let body = null;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) body = await res.json().catch(() => null);
      else await res.body?.cancel();
    } catch {
      // refused or reset while the container is away: keep polling
    }
    if (body && accept(body)) return { at: performance.now(), epoch: Date.now(), body, lastOldAt };
    if (body) lastOldAt = performance.now();
    if (Date.now() > until) throw new Error(`${url}: no expected answer within ${ms} ms (last: ${JSON.stringify(body)})`);
    await sleep(POLL_MS);
  }
}

/** `docker events` for the run's containers, kept in memory with the daemon's nanosecond times. */
function watchDockerEvents(prefix) {
  const seen = [];
  const proc = spawn('docker', ['events', '--format', '{{json .}}', '--filter', 'type=container', '--filter', `label=berth.installation=${prefix}`], { stdio: ['ignore', 'pipe', 'ignore'] });
  onCleanup(() => proc.kill());
  let buffer = '';
  proc.stdout.on('data', (chunk) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop();
    for (const line of lines) {
      const e = JSON.parse(line);
      seen.push({ action: e.Action, ms: Number(BigInt(e.timeNano) / 1000n) / 1000, signal: e.Actor?.Attributes?.signal, id: e.id });
    }
  });
  return { since: (ms) => seen.filter((e) => e.ms >= ms - 5) };
}

const fmt = (xs) => xs.map((x) => x.toFixed(0)).join(', ');
log('warming up (one of each, not counted)');
const warmup = [await configChange(), await restart()];
const configRuns = [];
const restartRuns = [];
for (let i = 0; i < RUNS; i++) {
  configRuns.push(await configChange());
  restartRuns.push(await restart());
  log(`run ${i + 1}: config ${configRuns.at(-1).ms.toFixed(0)} ms [${configRuns.at(-1).events.join(' ')}], restart ${restartRuns.at(-1).ms.toFixed(0)} ms [${restartRuns.at(-1).events.join(' ')}]`);
}

// supervisord's own log (on /srv, so it spans every container the app had), in UTC with milliseconds.
const supervisorLog = (await ssh('cat /srv/log/supervisord.log')).split('\n').map((line) => {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d),(\d{3}) \w+ (.*)$/.exec(line);
  return m && { ms: Date.parse(`${m[1]}T${m[2]}.${m[3]}Z`), text: m[4] };
}).filter(Boolean);
for (const r of [...warmup, ...configRuns, ...restartRuns]) {
  const within = (re) => supervisorLog.find((l) => l.ms >= r.sentAt && l.ms <= r.seenAt && re.test(l.text));
  const started = within(/^supervisord started/);
  const spawned = within(/^spawned: 'app'/);
  r.phases.supervisordStarted = started ? started.ms - r.sentAt : null;
  r.phases.spawned = spawned ? spawned.ms - r.sentAt : null;
}

const a = median(configRuns.map((r) => r.ms));
const b = median(restartRuns.map((r) => r.ms));
const ratio = a / b;
const mid = (runs, pick) => {
  const xs = runs.map(pick).filter((x) => x !== null && Number.isFinite(x));
  return xs.length ? median(xs) : null;
};
const cell = (x) => (x === null ? '-' : x.toFixed(0)).padStart(7);
console.log('');
console.log(`App config: from the request to the app serving a request that sees it (median of ${RUNS}, same run)`);
console.log(`  A  PATCH config -> first answer with the new value      ${a.toFixed(0).padStart(6)} ms   (${fmt(configRuns.map((r) => r.ms))})`);
console.log(`  B  restart action -> first answer from the new start    ${b.toFixed(0).padStart(6)} ms   (${fmt(restartRuns.map((r) => r.ms))})`);
console.log(`  A/B ${ratio.toFixed(2)}   target <= ${TARGET}   ${ratio <= TARGET ? 'MET' : 'NOT MET'}`);
console.log('');
console.log(`${'Where the time went: medians, ms after the request was sent'.padEnd(64)}       A        B`);
const rows = [
  ['API answered (change stored, job queued)', (r) => r.apiMs],
  ['the worker took the job (operation started_at)', (r) => r.phases.jobStarted],
  ['old container signalled (docker kill)', (r) => r.phases.kill],
  ['old container dead (docker die)', (r) => r.phases.die],
  ['new or restarted container started (docker start)', (r) => r.phases.start],
  ['operation finished (finished_at: the start, then a 500 ms check)', (r) => r.phases.opFinished],
  ['supervisord started (its log)', (r) => r.phases.supervisordStarted],
  ['supervisord spawned the program (its log)', (r) => r.phases.spawned],
  ['node process began (its performance.timeOrigin)', (r) => r.phases.processStart],
  ['node listening', (r) => r.phases.listening],
  ['first answer seen by the poller', (r) => r.phases.seen],
];
for (const [label, pick] of rows) console.log(`  ${label.padEnd(62)} ${cell(mid(configRuns, pick))}  ${cell(mid(restartRuns, pick))}`);
console.log(`  ${'no answer at all (last old answer -> first new one)'.padEnd(62)} ${cell(mid(configRuns, (r) => r.downMs))}  ${cell(mid(restartRuns, (r) => r.downMs))}`);
console.log(`  signal to the old container: A ${configRuns[0].signal ?? '?'}, B ${restartRuns[0].signal ?? '?'}`);
console.log('');
console.log(JSON.stringify({ configMs: configRuns.map((r) => r.ms), restartMs: restartRuns.map((r) => r.ms), medianConfigMs: a, medianRestartMs: b, ratio, target: TARGET, met: ratio <= TARGET, runs: { config: configRuns, restart: restartRuns, warmup } }));

log('cleaning up');
runSucceeded();
await cleanup();
process.exit(0);
