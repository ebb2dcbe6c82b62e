// Deploying an app: `npm run bench:deploy` (after `npx nest build`), as root.
//
// A 50 MB app tree of mixed file sizes whose server.js answers a marker of its own round
// (`v<N>`); before each round one file in five of each size gets new contents, and a new marker.
// A: `rsync -a --delete` of the tree into /srv/app through Berth's SSH gateway, then
//    `ssh … supervisorctl restart app`, to the edge (Caddy, Host: the app's domain) serving the new marker.
// B: `POST …/releases/` with a `tar czf` of the same tree (made before, in memory, timed apart: the
//    issue times a release from its POST), to the edge serving the new marker.
// One of each as warm-up, then three of each, alternated; prints both medians and B/A (target <= 1.5).
// Then rollbacks: `POST …/rollback/ {version}` to the release active before, to the edge serving
// its marker; median of three (target < 3 s). The edge is polled every 50 ms.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  api,
  cleanup,
  createDatabase,
  edgeEnv,
  edgeGet,
  installationEnv,
  installCleanup,
  median,
  onCleanup,
  registerAccount,
  sh,
  startBerth,
  waitForOperation,
  runSucceeded,
  berthLogs,
} from '../lib/berth.mjs';
import { clientKey, gatewayKnownHost, sshOptions, waitForSsh } from '../lib/ssh.mjs';
import { makeTree, MB, refreshTree } from '../lib/tree.mjs';

const ROUNDS = 3;
const ROLLBACKS = 3;
const TARGET_RATIO = 1.5;
const TARGET_ROLLBACK_MS = 3000;
const POLL_MS = 50;
const IMAGE = 'berth/runtime:2026.11-1';
const PLAN = process.env.BENCH_PLAN || 'Mini';
// ≈ 50 MB in 2 215 files, counts divisible by five: each round renews a fifth of each size (≈ 10 MB).
const TREE = [[5, 4 * MB, 'big'], [10, 1.5 * MB, 'medium'], [200, 50 * 1024, 'small'], [2000, 2.5 * 1024, 'tiny']];
const RENEW_EVERY = 5;
// Below Linux's ephemeral ports (32768) and apart from the tests' blocks (10000-32399) and the other benchmarks'.
const PORTS = { apps: '32400-32499', ssh: '32500-32599' };
const EDGE = { http: 32600, https: 32601, admin: 32602 };

// Bounded: the limit includes cleaning up, well within ten minutes.
installCleanup(9 * 60_000);
const started = Date.now();
const log = (line) => console.error(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const run = promisify(execFile);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-deploy-'));
onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
if (PLAN !== 'Mini') console.error(`bench: NON-STANDARD: BENCH_PLAN=${PLAN} (the benchmark is plan Mini)`);
const loadAtStart = os.loadavg();

// The tenant's program: answers its round's marker, with its length (no chunked answer through the edge).
const server = (marker) => `const body = ${JSON.stringify(marker)};
require('node:http').createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}).listen(Number(process.env.PORT));
`;

const { path: key, publicKey } = clientKey(dir);
const tree = path.join(dir, 'tree');
const bytes = makeTree(tree, TREE);
const fileCount = TREE.reduce((n, [count]) => n + count, 0) + 1;
let turn = 0;
/** The next round's tree: a fifth of each size renewed, and server.js with a new marker. */
function nextTree() {
  turn++;
  const renewed = refreshTree(tree, TREE, RENEW_EVERY, turn);
  const marker = `v${turn}`;
  fs.writeFileSync(path.join(tree, 'server.js'), server(marker));
  return { marker, renewed };
}
log(`tree: ${(bytes / MB).toFixed(1)} MB in ${fileCount} files`);

const db = await createDatabase('deploy');
const env = { ...installationEnv(db, PORTS), ...edgeEnv(EDGE) };
// A failed run prints its Berth logs' last warnings and errors (the logs are kept; startBerth's cleanup names them).
onCleanup(() => {
  const { files, succeeded } = berthLogs();
  if (!succeeded) {
    for (const file of files.filter((f) => fs.existsSync(f))) {
      // Warnings, errors and anything that is not a log line (a stack trace, say).
      const worth = (line) => !/^\{"level":[123]0,/.test(line);
      const tail = fs.readFileSync(file, 'utf8').trimEnd().split('\n').filter(worth).slice(-10);
      if (tail.length) console.error(`bench: warnings and errors of ${path.basename(file)}:\n${tail.join('\n')}`);
    }
  }
});
const apiRole = await startBerth(env, 'api', 'api');
await startBerth(env, 'worker', 'worker');
await startBerth({ ...env, SSH_SYNC_INTERVAL_MS: '200' }, 'ssh,edge', 'ssh-edge');
const base = apiRole.url;
const account = await registerAccount(base);
const plans = await api(base, 'GET', `/${account.companyId}/plans/`, account.token);
const plan = plans.find((p) => p.name === PLAN);
if (!plan) throw new Error(`no plan ${PLAN}`);
const app = await api(base, 'POST', `/${account.companyId}/apps/`, account.token, { name: 'deploy', image: IMAGE, plan: plan.id, ssh_keys: [publicKey] });
await waitForOperation(base, account, app.operation_id);
const domain = app.domains[0];

// What the edge answers for the app's domain, polled until it serves `marker`.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
onCleanup(() => agent.destroy());
async function servedAt(marker, ms = 120_000) {
  const until = Date.now() + ms;
  let lastOther = null;
  let failed = 0;
  let last = null;
  for (;;) {
    const answer = await edgeGet(EDGE.http, domain, { agent, timeoutMs: 1000 }).catch((err) => ({ status: 0, body: err.message }));
    if (answer.status === 200 && answer.body === marker) return { at: performance.now(), epoch: Date.now(), lastOther, failed };
    if (answer.status === 200) lastOther = performance.now();
    else failed++;
    last = answer;
    if (Date.now() > until) throw new Error(`the edge did not serve ${marker} within ${ms / 1000} s (last: ${last.status} ${last.body.slice(0, 200)})`);
    await sleep(POLL_MS);
  }
}
// The default page, through the edge.
for (let i = 0; ; i++) {
  const answer = await edgeGet(EDGE.http, domain).catch(() => null);
  if (answer?.status === 200) break;
  if (i > 600) throw new Error(`the edge did not serve ${domain} within 60 s (last: ${answer?.status})`);
  await sleep(100);
}

const sshPort = app.ssh_access[0].port;
const knownHosts = path.join(dir, 'known_hosts');
fs.writeFileSync(knownHosts, `${await gatewayKnownHost(base, account.token, sshPort)}\n`);
const sshArgs = sshOptions(key, knownHosts, sshPort);
await waitForSsh(sshArgs, 'app@127.0.0.1');
log(`Berth up; app ${app.id} on plan ${plan.name} (${plan.ram} MB, ${plan.cpu_quota} % CPU), ${domain} on the edge's 127.0.0.1:${EDGE.http}, SSH gateway port ${sshPort}`);

const releaseUrl = (suffix) => `/${account.companyId}/apps/${app.id}/${suffix}`;

/** Steps of a release's log (`<ISO time> <step>`), in ms after `sentAt`. */
async function releaseSteps(version, sentAt) {
  const release = await api(base, 'GET', releaseUrl(`releases/${version}/`), account.token);
  if (release.status !== 'active') throw new Error(`release ${version} is ${release.status}: ${release.message}`);
  const at = (re) => {
    const line = release.log.split('\n').find((l) => re.test(l));
    const ms = line && Date.parse(line.split(' ')[0]);
    return Number.isFinite(ms) ? ms - sentAt : null;
  };
  return {
    release,
    steps: {
      unpack: at(/^\S+ unpacking the /),
      switch: at(/^\S+ switching \/srv\/app/),
      restart: at(/^\S+ restarting the app's programs/),
      health: at(/^\S+ waiting up to/),
    },
  };
}

/** A: rsync over the gateway, then supervisorctl restart, to the edge serving the new marker. */
async function viaSsh() {
  const { marker, renewed } = nextTree();
  const sentAt = Date.now();
  const t0 = performance.now();
  await sh('rsync', ['-a', '--delete', '-e', `ssh ${sshArgs.join(' ')}`, `${tree}/`, 'app@127.0.0.1:/srv/app/']);
  const synced = performance.now();
  let restarted = null;
  const restart = sh('ssh', [...sshArgs, 'app@127.0.0.1', 'supervisorctl restart app']).then((out) => {
    restarted = performance.now();
    return out;
  });
  const seen = await servedAt(marker);
  const out = await restart;
  if (!/app: started/.test(out)) throw new Error(`supervisorctl restart app said: ${out}`);
  return {
    kind: 'ssh',
    marker,
    renewed,
    sentAt,
    servedAt: seen.epoch,
    ms: seen.at - t0,
    phases: { rsync: synced - t0, restartReturned: restarted - t0, served: seen.at - t0 },
    downMs: seen.lastOther === null ? null : seen.at - seen.lastOther,
    failedPolls: seen.failed,
  };
}

/** B: tar czf (timed apart), then POST …/releases/ to the edge serving the new marker; then its operation ends. */
async function viaRelease() {
  const { marker, renewed } = nextTree();
  const p0 = performance.now();
  const { stdout: archive } = await run('tar', ['-czf', '-', '-C', tree, '.'], { encoding: 'buffer', maxBuffer: 512 * MB });
  const tarMs = performance.now() - p0;
  const sentAt = Date.now();
  const t0 = performance.now();
  const response = await fetch(`${base}${releaseUrl('releases/')}`, {
    method: 'POST',
    headers: { authorization: `Token ${account.token}`, 'content-type': 'application/gzip' },
    body: archive,
  });
  const answer = await response.json().catch(() => null);
  if (response.status !== 200) throw new Error(`POST releases/: ${response.status} ${JSON.stringify(answer)}`);
  const posted = performance.now();
  const seen = await servedAt(marker);
  const op = await waitForOperation(base, account, answer.operation_id);
  const { release, steps } = await releaseSteps(answer.version, sentAt);
  // BENCH_SHOW_LOGS=1: each release's deploy log, for finding where its time goes.
  if (process.env.BENCH_SHOW_LOGS) log(`release ${answer.version} log:\n${release.log}`);
  return {
    kind: 'release',
    marker,
    renewed,
    sentAt,
    servedAt: seen.epoch,
    version: answer.version,
    archiveBytes: archive.length,
    tarMs,
    ms: seen.at - t0,
    phases: {
      posted: posted - t0,
      jobStarted: Date.parse(op.started_at) - sentAt,
      ...steps,
      served: seen.at - t0,
      opFinished: Date.parse(op.finished_at) - sentAt,
    },
    downMs: seen.lastOther === null ? null : seen.at - seen.lastOther,
    failedPolls: seen.failed,
    size: release.size,
  };
}

/** Rollback to `target` ({version, marker}), to the edge serving its marker; then its operation ends. */
async function rollback(target) {
  const sentAt = Date.now();
  const t0 = performance.now();
  const answer = await api(base, 'POST', releaseUrl('rollback/'), account.token, { version: target.version });
  const posted = performance.now();
  const seen = await servedAt(target.marker);
  const op = await waitForOperation(base, account, answer.operation_id);
  const { release, steps } = await releaseSteps(answer.version, sentAt);
  if (release.rollback_of !== target.version) throw new Error(`release ${answer.version} rolled back to ${release.rollback_of}, not ${target.version}`);
  return {
    kind: 'rollback',
    marker: target.marker,
    sentAt,
    servedAt: seen.epoch,
    version: answer.version,
    rollbackOf: target.version,
    ms: seen.at - t0,
    phases: { posted: posted - t0, jobStarted: Date.parse(op.started_at) - sentAt, ...steps, served: seen.at - t0, opFinished: Date.parse(op.finished_at) - sentAt },
    downMs: seen.lastOther === null ? null : seen.at - seen.lastOther,
    failedPolls: seen.failed,
  };
}

const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
// Releases in the order they became active, with the marker each serves.
const active = [];
log('warming up (one of each, not counted): the first rsync sends the whole tree');
const warmA = await viaSsh();
log(`warm-up A: ${s(warmA.ms)}`);
const warmB = await viaRelease();
active.push({ version: warmB.version, marker: warmB.marker });
log(`warm-up B: ${s(warmB.ms)} (release ${warmB.version}, archive ${(warmB.archiveBytes / MB).toFixed(1)} MB)`);

const sshRuns = [];
const releaseRuns = [];
for (let i = 0; i < ROUNDS; i++) {
  const a = await viaSsh();
  sshRuns.push(a);
  log(`round ${i + 1} A (${a.marker}, ${a.renewed.count} files / ${(a.renewed.bytes / MB).toFixed(1)} MB renewed): ${s(a.ms)} [rsync ${s(a.phases.rsync)}, restart returned ${s(a.phases.restartReturned)}]`);
  const b = await viaRelease();
  releaseRuns.push(b);
  active.push({ version: b.version, marker: b.marker });
  log(`round ${i + 1} B (${b.marker}, release ${b.version}): ${s(b.ms)} [tar czf before it ${s(b.tarMs)}, POST answered ${s(b.phases.posted)}, operation finished ${s(b.phases.opFinished)}]`);
}

const rollbackRuns = [];
for (let i = 0; i < ROLLBACKS; i++) {
  const target = active.at(-2);
  const r = await rollback(target);
  rollbackRuns.push(r);
  active.push({ version: r.version, marker: r.marker });
  log(`rollback ${i + 1} to release ${target.version} (${target.marker}), as release ${r.version}: ${s(r.ms)} [operation finished ${s(r.phases.opFinished)}]`);
}

// supervisord's own log (on /srv, in UTC with milliseconds): when it stopped and spawned the program in each run.
const supervisorLog = (await sh('ssh', [...sshArgs, 'app@127.0.0.1', 'cat /srv/log/supervisord.log'])).split('\n').map((line) => {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d),(\d{3}) \w+ (.*)$/.exec(line);
  return m && { ms: Date.parse(`${m[1]}T${m[2]}.${m[3]}Z`), text: m[4] };
}).filter(Boolean);
for (const r of [warmA, warmB, ...sshRuns, ...releaseRuns, ...rollbackRuns]) {
  const within = (re) => supervisorLog.find((l) => l.ms >= r.sentAt && l.ms <= r.servedAt && re.test(l.text));
  r.phases.stopping = within(/^waiting for app to stop/)?.ms - r.sentAt;
  r.phases.stopped = within(/^stopped: app/)?.ms - r.sentAt;
  r.phases.spawned = within(/^spawned: 'app'/)?.ms - r.sentAt;
}

const a = median(sshRuns.map((r) => r.ms));
const b = median(releaseRuns.map((r) => r.ms));
const rb = median(rollbackRuns.map((r) => r.ms));
const ratio = b / a;
const verdict = (ok) => (ok ? 'PASS' : 'MISS');
const list = (runs) => runs.map((r) => (r.ms / 1000).toFixed(2)).join(', ');
const mid = (runs, pick) => {
  const xs = runs.map(pick).filter((x) => x !== null && x !== undefined && Number.isFinite(x));
  return xs.length ? median(xs) : null;
};
const cell = (x) => (x === null ? '-' : (x / 1000).toFixed(2)).padStart(7);
const archiveMb = median(releaseRuns.map((r) => r.archiveBytes)) / MB;
const renewed = sshRuns[0].renewed;

console.log('');
console.log(`Deploying a ${(bytes / MB).toFixed(0)} MB tree (${fileCount} files; ${renewed.count} files, ${(renewed.bytes / MB).toFixed(0)} MB renewed each round) to the edge serving it`);
console.log(`plan ${plan.name} (${plan.cpu_quota} % CPU); median of ${ROUNDS}, alternated in one run; seconds`);
console.log('');
console.log(`  ${'figure'.padEnd(72)} ${'median'.padStart(7)}   runs`);
console.log(`  ${'A  rsync -a --delete over the SSH gateway + supervisorctl restart app'.padEnd(72)} ${cell(a)}   ${list(sshRuns)}`);
console.log(`  ${`B  POST /releases/ (${archiveMb.toFixed(1)} MB tar.gz)`.padEnd(72)} ${cell(b)}   ${list(releaseRuns)}`);
console.log(`  ${'R  POST /rollback/ {version} (the release active before)'.padEnd(72)} ${cell(rb)}   ${list(rollbackRuns)}`);
console.log(`  ${"   (not counted: tar czf in the client, before B's POST)".padEnd(72)} ${cell(median(releaseRuns.map((r) => r.tarMs)))}`);
console.log('');
console.log(`  B/A ${ratio.toFixed(2)}   target <= ${TARGET_RATIO}   ${verdict(ratio <= TARGET_RATIO)}`);
console.log(`  R   ${(rb / 1000).toFixed(2)} s   target < ${TARGET_ROLLBACK_MS / 1000} s   ${verdict(rb < TARGET_ROLLBACK_MS)}`);
console.log('');
console.log(`  ${'Where the time went: medians, s after the start'.padEnd(56)}       A        B        R`);
const rows = [
  ['rsync done', (r) => r.phases.rsync],
  ['POST answered (archive stored and checked)', (r) => r.phases.posted],
  ['worker took the job (operation started_at)', (r) => r.phases.jobStarted],
  ['unpacking began', (r) => r.phases.unpack],
  ['switching /srv/app began', (r) => r.phases.switch],
  ['restarting the programs began', (r) => r.phases.restart],
  ['waiting for HTTP began', (r) => r.phases.health],
  ['supervisord: program asked to stop (its log)', (r) => r.phases.stopping],
  ['supervisord: program stopped', (r) => r.phases.stopped],
  ['supervisord: program spawned', (r) => r.phases.spawned],
  ['supervisorctl restart app returned', (r) => r.phases.restartReturned],
  ['the edge served the new marker', (r) => r.phases.served],
  ['operation finished (finished_at)', (r) => r.phases.opFinished],
  ['no new answer: last old answer -> first new one', (r) => r.downMs],
];
for (const [label, pick] of rows) console.log(`  ${label.padEnd(56)} ${cell(mid(sshRuns, pick))}  ${cell(mid(releaseRuns, pick))}  ${cell(mid(rollbackRuns, pick))}`);
const loadAtEnd = os.loadavg();
console.log('');
console.log(`load average at start ${loadAtStart.map((x) => x.toFixed(2)).join(' ')}, at the end ${loadAtEnd.map((x) => x.toFixed(2)).join(' ')} (2 cores: other work on the machine moves every figure)`);
console.log('');
console.log(
  JSON.stringify({
    plan: plan.name,
    treeBytes: bytes,
    files: fileCount,
    medianMs: { ssh: a, release: b, rollback: rb },
    ratio,
    targets: { ratio: TARGET_RATIO, rollbackMs: TARGET_ROLLBACK_MS },
    pass: { ratio: ratio <= TARGET_RATIO, rollback: rb < TARGET_ROLLBACK_MS },
    runs: { ssh: sshRuns, release: releaseRuns, rollback: rollbackRuns, warmup: [warmA, warmB] },
    loadavg: { start: loadAtStart, end: loadAtEnd },
  }),
);

log('cleaning up');
runSucceeded();
await cleanup();
process.exit(0);
