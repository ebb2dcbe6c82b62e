// Berth on a Swarm against Berth on one engine: `npm run bench:swarm` (after `npx nest build`), as root.
//
// Brings up three Docker engines as the nodes of a Swarm (scripts/swarm-nodes.sh, set `bsw`): node 1
// the manager (berth.apps=false), nodes 2 and 3 take apps; every node labelled berth.engine=<its socket>.
// Two Berth installations run side by side, each an `api` and a `worker` process with a database,
// Docker name prefix and port blocks of its own: one on this machine's engine, one with
// CONTAINER_DRIVER=swarm on the set's manager and SWARM_VOLUMES=local: its worker makes each node's
// quota'd /srv images in VOLUMES_DIR/<node name>/ (the nodes share this machine's filesystem).
// BENCH_SWARM_VOLUMES=agent (NON-STANDARD) runs Berth's `node` role for each node instead, as on
// separate machines, the worker asking each over Redis.
// 1. A_docker / A_swarm: `POST /apps/` (plan Mini) to the app's first HTTP 200 on its published port
//    (127.0.0.1:<host_port>, or <its node's address>:<host_port>; polled every 20 ms), the app deleted
//    after each. Node 3 is paused meanwhile, so the Swarm's apps all go to node 2: the Swarm of two
//    the issue describes (a manager, one node taking apps). One of each as warm-up, then five of each,
//    alternated; prints the medians, A_swarm / A_docker (target <= 1.3) and where the time went
//    (Docker's events on each engine, the node's own log, the operation's times).
// 2. Node 3 active again: 10 apps on node 2 with 100 MB of random data each in /srv, then
//    `berth node:drain bsw-n2`, timed end to end; every app must then be on node 3 with its checksum.
// 3. The resident memory of both installations' API and worker processes.
// Capped at 20 minutes: the run itself stops at 18, its cleanup (Berth, databases, the Swarm's
// services, containers and volumes, the set, the /srv images) must be done by 20.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {
  api,
  cleanup,
  createDatabase,
  docker,
  firstOk,
  installationEnv,
  installCleanup,
  median,
  onCleanup,
  query,
  registerAccount,
  ROOT,
  rssMb,
  sh,
  startBerth,
  waitForOperation,
  runSucceeded,
} from '../lib/berth.mjs';

const SET = 'bsw';
const NODES = 3;
const RUNS = 5;
const TARGET = 1.3;
const DRAIN_APPS = 10;
const FILL_MB = 100;
const IMAGE = 'berth/runtime:2026.11-1';
const SCRIPT = path.join(ROOT, 'scripts/swarm-nodes.sh');
// Berth's default VOLUMES_DIR; with CONTAINER_DRIVER=swarm each node's /srv images are in <dir>/<node name>/.
const VOLUMES_DIR = '/var/lib/berth/volumes';
const NODE_LOGS = '/var/log/berth-nodes';
const HARD_LIMIT_MS = 20 * 60_000;
const RUN_LIMIT_MS = 18 * 60_000;

installCleanup(RUN_LIMIT_MS);
// The cleanup gets what is left of the 20 minutes; past that the run exits whatever is left.
setTimeout(() => {
  console.error('bench: hard limit of 20 minutes reached; exiting');
  process.exit(3);
}, HARD_LIMIT_MS).unref();

const started = Date.now();
const loadAtStart = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const log = (line) => console.error(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const fmt = (xs) => xs.map((x) => x.toFixed(0)).join(', ');
const nodeName = (i) => `${SET}-n${i}`;
const socketOf = (i) => `unix:///run/berth-nodes/${nodeName(i)}.sock`;
const onNode = (i, ...args) => sh('docker', ['-H', socketOf(i), ...args], { timeout: 60_000 });

// --- The two installations ------------------------------------------------------------------
// Port blocks below Linux's ephemeral ports (32768) and apart from the other benchmarks' and the tests'.
const dockerDb = await createDatabase('swarm_docker');
const dockerEnv = installationEnv(dockerDb, { apps: '32610-32639', ssh: '32640-32654' });
const swarmDb = await createDatabase('swarm_swarm');
// Who makes each node's quota'd /srv images: `local`, the worker, in VOLUMES_DIR/<node name>/ (the nodes
// share this machine's filesystem), or `agent`, Berth's `node` role run for each node (as on separate machines).
const SWARM_VOLUMES = process.env.BENCH_SWARM_VOLUMES || 'local';
if (!['local', 'agent'].includes(SWARM_VOLUMES)) throw new Error('BENCH_SWARM_VOLUMES must be local or agent');
const swarmEnv = {
  ...installationEnv(swarmDb, { apps: '32660-32689', ssh: '32690-32699' }),
  CONTAINER_DRIVER: 'swarm',
  SWARM_MANAGER: socketOf(1),
  SWARM_VOLUMES,
};
const P_DOCKER = dockerEnv.DOCKER_NAME_PREFIX;
const P_SWARM = swarmEnv.DOCKER_NAME_PREFIX;


// --- The Swarm -----------------------------------------------------------------------------
// Registered before `up` and before Berth starts: it runs after Berth has stopped (cleanups run
// last registered first), and also when `up` itself fails half-way.
onCleanup(async () => {
  const quietly = (p) => p.catch(() => '');
  const labelled = `label=berth.installation=${P_SWARM}`;
  if (fs.existsSync(`/run/berth-nodes/${nodeName(1)}.sock`)) {
    const services = (await quietly(onNode(1, 'service', 'ls', '-q', '--filter', labelled))).split('\n').filter(Boolean);
    if (services.length) await quietly(onNode(1, 'service', 'rm', ...services));
    await quietly(onNode(1, 'network', 'rm', `${P_SWARM}-apps`));
  }
  for (let i = 1; i <= NODES; i++) {
    if (!fs.existsSync(`/run/berth-nodes/${nodeName(i)}.sock`)) continue;
    const containers = (await quietly(onNode(i, 'ps', '-aq', '--filter', labelled))).split('\n').filter(Boolean);
    if (containers.length) await quietly(onNode(i, 'rm', '-f', ...containers));
    const volumes = (await quietly(onNode(i, 'volume', 'ls', '-q', '--filter', labelled))).split('\n').filter(Boolean);
    if (volumes.length) await quietly(onNode(i, 'volume', 'rm', '-f', ...volumes));
    const networks = (await quietly(onNode(i, 'network', 'ls', '-q', '--filter', labelled))).split('\n').filter(Boolean);
    if (networks.length) await quietly(onNode(i, 'network', 'rm', ...networks));
  }
  await sh('bash', [SCRIPT, 'down', SET], { timeout: 90_000 }).catch((err) => console.error(`bench: swarm-nodes.sh down ${SET}: ${err.stderr || err.message}`));
  for (let i = 1; i <= NODES; i++) await removeVolumeImages(P_SWARM, path.join(VOLUMES_DIR, nodeName(i)));
});

/** Unmounts and deletes the /srv images (DISK_QUOTA=loop) of installation `prefix` in `dir` (as test/support/docker.ts does). */
async function removeVolumeImages(prefix, dir) {
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]);
  for (const point of mounts.filter((m) => m?.startsWith(`${dir}/${prefix}-`))) await sh('umount', ['-l', point]).catch(() => undefined);
  const entries = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  for (const entry of entries.filter((e) => e.startsWith(`${prefix}-`))) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  // The node's directory itself, once no installation keeps anything there.
  if (fs.existsSync(dir) && fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
}

log(`bringing up Swarm set ${SET} of ${NODES} nodes (images are loaded into a node only once)`);
const up = await sh('bash', [SCRIPT, 'up', SET, String(NODES), IMAGE], { timeout: 8 * 60_000 });
const nodes = up
  .split('\n')
  .map((line) => /^node (\d+) (\S+) (unix:\/\/\S+) (\S+)$/.exec(line.trim()))
  .filter(Boolean)
  .map(([, i, address, engine, id]) => ({ index: Number(i), name: nodeName(Number(i)), address, engine, id }));
if (nodes.length !== NODES) throw new Error(`swarm-nodes.sh up printed ${nodes.length} nodes:\n${up}`);
for (const node of nodes) {
  // The manager only manages; Berth reaches each node's engine at its berth.engine label.
  await onNode(1, 'node', 'update', '--label-add', `berth.engine=${node.engine}`, '--label-add', `berth.apps=${node.index === 1 ? 'false' : 'true'}`, node.id);
  const addr = await onNode(1, 'node', 'inspect', '--format', '{{.Status.Addr}}', node.id);
  if (addr !== node.address) throw new Error(`node ${node.name}: the script says ${node.address}, the Swarm ${addr}`);
}
const node = (i) => nodes.find((n) => n.index === i);
// Part 1 is the Swarm of two: node 3 takes nothing until the drain.
await onNode(1, 'node', 'update', '--availability', 'pause', node(3).id);
log(`Swarm up: ${nodes.map((n) => `${n.name} ${n.address}`).join(', ')}; ${nodeName(1)} manages only, ${nodeName(3)} paused`);

// Docker's events on every engine involved, and the nodes' own logs: where the time goes.
const hostEvents = watchEvents(null);
const nodeEvents = Object.fromEntries(nodes.map((n) => [n.index, watchEvents(n.engine)]));
await new Promise((r) => setTimeout(r, 500));

// With SWARM_VOLUMES=agent every node the worker may ask (each with a berth.engine label: the manager too) runs its agent.
const agents = [];
if (SWARM_VOLUMES === 'agent') {
  for (const n of nodes) agents.push({ node: n.name, ...(await startBerth({ ...swarmEnv, NODE_NAME: n.name, VOLUMES_DIR: path.join(VOLUMES_DIR, n.name) }, 'node', `node-${n.name}`)) });
}
const berths = {
  docker: { env: dockerEnv, db: dockerDb, api: await startBerth(dockerEnv, 'api', 'api'), worker: await startBerth(dockerEnv, 'worker', 'worker') },
  swarm: { env: swarmEnv, db: swarmDb, api: await startBerth(swarmEnv, 'api', 'api'), worker: await startBerth(swarmEnv, 'worker', 'worker') },
};
// At the end, every Berth process is asked to stop at once (each then gets the library's grace period, in parallel).
onCleanup(async () => {
  const procs = [...agents, ...Object.values(berths).flatMap((b) => [b.api, b.worker])].map((p) => p.proc).filter((p) => p.exitCode === null && p.signalCode === null);
  await Promise.all(
    procs.map(async (p) => {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      let timer;
      if (!(await Promise.race([exited.then(() => true), new Promise((r) => (timer = setTimeout(() => r(false), 20_000)))]))) {
        console.error(`bench: Berth process ${p.pid} still running 20 s after SIGTERM: SIGKILL`);
        p.kill('SIGKILL');
        await exited;
      }
      clearTimeout(timer);
    }),
  );
});
for (const b of Object.values(berths)) {
  b.base = b.api.url;
  b.account = await registerAccount(b.base);
  b.mini = (await api(b.base, 'GET', `/${b.account.companyId}/plans/`, b.account.token)).find((p) => p.name === 'Mini');
}
log(`Berth up: single engine (api ${berths.docker.api.pid}, worker ${berths.docker.worker.pid}, prefix ${P_DOCKER}), Swarm (api ${berths.swarm.api.pid}, worker ${berths.swarm.worker.pid}, prefix ${P_SWARM}, SWARM_VOLUMES=${SWARM_VOLUMES}${agents.length ? `, agents ${agents.map((a) => a.pid).join(' ')}` : ''}); plan Mini: ${berths.docker.mini.ram} MB, ${berths.docker.mini.cpu_quota} % CPU`);

function watchEvents(engine) {
  const seen = [];
  const args = [...(engine ? ['-H', engine] : []), 'events', '--format', '{{json .}}', '--filter', 'type=container', '--filter', 'type=volume', '--filter', 'type=service'];
  const proc = spawn('docker', args, { stdio: ['ignore', 'pipe', 'ignore'] });
  onCleanup(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill();
  });
  let buffer = '';
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop();
    for (const line of lines) {
      try {
        const e = JSON.parse(line);
        seen.push({ ms: e.timeNano / 1e6, type: e.Type, action: e.Action, id: e.Actor?.ID ?? '', attrs: e.Actor?.Attributes ?? {} });
      } catch {
        // not an event line
      }
    }
  });
  return {
    /** Time (epoch ms) of the first event of `type`/`action` after `since` that `match` takes, or null. */
    at: (since, type, action, match) => seen.find((e) => e.ms >= since - 5 && e.type === type && e.action === action && match(e))?.ms ?? null,
    find: (since, type, action, match) => seen.find((e) => e.ms >= since - 5 && e.type === type && e.action === action && match(e)) ?? null,
  };
}

/**
 * Node i's engine tries to pull a task's image before it starts a task whose image is a tag (the
 * nodes here have no registry: the lookup fails at once). From the node's own log: when the task's
 * pull gave up, and when that pull had first tried (the same lookup's local address), epoch ms.
 */
function pullOf(i, taskId) {
  const file = path.join(NODE_LOGS, `${nodeName(i)}.log`);
  if (!taskId || !fs.existsSync(file)) return { started: null, failed: null };
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const at = (line) => {
    const time = line && /^time="([^"]+)"/.exec(line)?.[1];
    return time ? Date.parse(time) : null;
  };
  const failed = lines.find((l) => l.includes('msg="pulling image failed"') && l.includes(`task.id=${taskId}`));
  const lookup = failed && /write udp (\S+)->/.exec(failed)?.[1];
  const first = lookup && lines.find((l) => l.includes('msg="Attempting next endpoint for pull') && l.includes(`write udp ${lookup}->`));
  return { started: at(first), failed: at(failed) };
}

// --- 1. Time to the first 200 of a new app ---------------------------------------------------
/** POST /apps/ to the first 200 on the app's published port; the app deleted after. Returns ms and where the time went. */
async function create(kind, name) {
  const b = berths[kind];
  const t0wall = Date.now();
  const t0 = performance.now();
  const app = await api(b.base, 'POST', `/${b.account.companyId}/apps/`, b.account.token, { name, image: IMAGE, plan: b.mini.id });
  const answered = performance.now() - t0;
  const [row] = await query(b.db, 'SELECT host_port, node FROM apps WHERE id = $1', [app.id]);
  let host = '127.0.0.1';
  if (kind === 'swarm') {
    const placed = nodes.find((n) => n.name === row.node);
    if (!placed || placed.index !== 2) throw new Error(`app ${app.id} was placed on ${row.node}, not ${nodeName(2)}`);
    host = placed.address;
  }
  const t1 = await firstOk(`http://${host}:${row.host_port}/`);
  const op = await waitForOperation(b.base, b.account, app.operation_id);
  const gone = await api(b.base, 'DELETE', `/${b.account.companyId}/apps/${app.id}/`, b.account.token);
  await waitForOperation(b.base, b.account, gone.operation_id);

  // Where the time went, ms after the POST (wall clock: Docker, PostgreSQL and this process share it).
  const rel = (ms) => (ms === null || ms === undefined ? null : ms - t0wall);
  const service = `${b.env.DOCKER_NAME_PREFIX}-app-${app.id}`;
  const volume = `${service}-srv`;
  const phases = { answered, jobStarted: rel(Date.parse(op.started_at)) };
  if (kind === 'docker') {
    const isApp = (e) => e.attrs.name === service;
    phases.volume = rel(hostEvents.at(t0wall, 'volume', 'create', (e) => e.id === volume));
    phases.containerCreated = rel(hostEvents.at(t0wall, 'container', 'create', isApp));
    phases.containerStarted = rel(hostEvents.at(t0wall, 'container', 'start', isApp));
  } else {
    const isTask = (e) => e.attrs['com.docker.swarm.service.name'] === service;
    phases.volume = rel(nodeEvents[2].at(t0wall, 'volume', 'create', (e) => e.id === volume));
    phases.serviceCreated = rel(nodeEvents[1].at(t0wall, 'service', 'create', (e) => e.attrs.name === service));
    const created = nodeEvents[2].find(t0wall, 'container', 'create', isTask);
    const pull = pullOf(2, created?.attrs['com.docker.swarm.task.id']);
    phases.pullStarted = rel(pull.started);
    phases.pullFailed = rel(pull.failed);
    phases.containerCreated = rel(created?.ms);
    phases.containerStarted = rel(nodeEvents[2].at(t0wall, 'container', 'start', isTask));
  }
  phases.firstOk = t1 - t0;
  phases.opFinished = rel(Date.parse(op.finished_at));
  return { ms: t1 - t0, phases };
}

log('warming up (one of each, not counted)');
await create('docker', 'warmup');
await create('swarm', 'warmup');
const runs = { docker: [], swarm: [] };
for (let i = 0; i < RUNS; i++) {
  runs.docker.push(await create('docker', `app${i}`));
  runs.swarm.push(await create('swarm', `app${i}`));
  log(`run ${i + 1}: single engine ${runs.docker.at(-1).ms.toFixed(0)} ms, Swarm ${runs.swarm.at(-1).ms.toFixed(0)} ms`);
}
const aDocker = median(runs.docker.map((r) => r.ms));
const aSwarm = median(runs.swarm.map((r) => r.ms));
const ratio = aSwarm / aDocker;
const phaseMedian = (kind, phase) => {
  const values = runs[kind].map((r) => r.phases[phase]).filter((v) => v !== null && v !== undefined && !Number.isNaN(v));
  return values.length ? median(values) : null;
};

// --- 2. Draining a node holding 10 apps with 100 MB each ---------------------------------------
const s = berths.swarm;
log(`creating ${DRAIN_APPS} apps on ${nodeName(2)} (${nodeName(3)} still paused)`);
const apps = [];
for (let i = 0; i < DRAIN_APPS; i++) apps.push(await api(s.base, 'POST', `/${s.account.companyId}/apps/`, s.account.token, { name: `drain${i}`, image: IMAGE, plan: s.mini.id }));
for (const app of apps) await waitForOperation(s.base, s.account, app.operation_id, 300_000);
const placedRows = await query(s.db, 'SELECT id, node FROM apps WHERE id = ANY($1)', [apps.map((a) => a.id)]);
if (placedRows.some((r) => r.node !== nodeName(2))) throw new Error(`not every app is on ${nodeName(2)}: ${JSON.stringify(placedRows)}`);

/** The running container of app `id` of the Swarm installation on node i. */
async function containerOn(i, id) {
  const found = (await onNode(i, 'ps', '-q', '--filter', `label=com.docker.swarm.service.name=${P_SWARM}-app-${id}`)).split('\n').filter(Boolean);
  if (found.length !== 1) throw new Error(`app ${id}: ${found.length} running containers on ${nodeName(i)}`);
  return found[0];
}
const FILE = '/srv/var/fill.bin';
log(`writing ${FILL_MB} MB of random data into each app's /srv`);
const fillStarted = performance.now();
const sums = new Map();
await Promise.all(
  apps.map(async (app) => {
    const container = await containerOn(2, app.id);
    await sh('docker', ['-H', socketOf(2), 'exec', container, 'dd', 'if=/dev/urandom', `of=${FILE}`, 'bs=1M', `count=${FILL_MB}`, 'status=none'], { timeout: 300_000 });
    sums.set(app.id, (await sh('docker', ['-H', socketOf(2), 'exec', container, 'sha256sum', FILE], { timeout: 120_000 })).split(/\s+/)[0]);
  }),
);
log(`written in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s; ${nodeName(3)} active again`);
await onNode(1, 'node', 'update', '--availability', 'active', node(3).id);

log(`node:drain ${nodeName(2)}`);
const tasks = watchTasks(`/run/berth-nodes/${nodeName(1)}.sock`);
const drain = await timed(process.execPath, ['dist/src/cli/berth.js', 'node:drain', nodeName(2), '--timeout', '300'], { ...swarmEnv });
tasks.stop();
if (drain.code !== 0) throw new Error(`node:drain exited with ${drain.code}:\n${drain.out}`);
const perApp = [...drain.out.matchAll(/: moved to (\S+) in ([\d.]+) s/g)].map((m) => ({ to: m[1], s: Number(m[2]) }));
if (perApp.length !== DRAIN_APPS) throw new Error(`node:drain reported ${perApp.length} moves:\n${drain.out}`);

const after = await query(s.db, 'SELECT id, node, data_node FROM apps WHERE id = ANY($1) ORDER BY id', [apps.map((a) => a.id)]);
const misplaced = after.filter((r) => r.node !== nodeName(3) || r.data_node !== nodeName(3));
if (misplaced.length) throw new Error(`apps not on ${nodeName(3)} after the drain: ${JSON.stringify(misplaced)}`);
let matching = 0;
for (const app of apps) {
  const sum = (await sh('docker', ['-H', socketOf(3), 'exec', await containerOn(3, app.id), 'sha256sum', FILE], { timeout: 120_000 })).split(/\s+/)[0];
  if (sum === sums.get(app.id)) matching += 1;
  else log(`app ${app.id}: checksum ${sum} after the move, ${sums.get(app.id)} before`);
}
const leftOnN2 = (await onNode(2, 'ps', '-aq', '--filter', `label=berth.installation=${P_SWARM}`)).split('\n').filter(Boolean).length;
// Where each move's time went, ms after its operation started (Docker's events on the manager and both
// nodes): the copy of /srv is what the helper containers span (made on the source first, removed there last).
const moveOps = await query(s.db, `SELECT target_id, created_at, started_at, finished_at FROM operations WHERE kind = 'app.move' AND target_id = ANY($1) ORDER BY id`, [apps.map((a) => a.id)]);
const moves = moveOps.map((op) => {
  const t0 = op.started_at.getTime();
  const service = `${P_SWARM}-app-${op.target_id}`;
  const volume = `${service}-srv`;
  const helper = (e) => e.attrs.name === `${service}-move`;
  const isTask = (e) => e.attrs['com.docker.swarm.service.name'] === service;
  const rel = (ms) => (ms === null ? null : ms - t0);
  const removed = nodeEvents[1].find(t0, 'service', 'remove', (e) => e.attrs.name === service);
  return {
    app: op.target_id,
    queued: t0 - op.created_at.getTime(),
    serviceRemoved: rel(removed?.ms ?? null),
    containerGone: rel(nodeEvents[2].at(t0, 'container', 'destroy', isTask)),
    tasksGone: rel(removed ? tasks.goneAt(removed.id) : null),
    targetVolume: rel(nodeEvents[3].at(t0, 'volume', 'create', (e) => e.id === volume)),
    copyStarted: rel(nodeEvents[2].at(t0, 'container', 'create', helper)),
    copyDone: rel(nodeEvents[2].at(t0, 'container', 'destroy', helper)),
    sourceVolumeGone: rel(nodeEvents[2].at(t0, 'volume', 'destroy', (e) => e.id === volume)),
    serviceCreated: rel(nodeEvents[1].at(t0, 'service', 'create', (e) => e.attrs.name === service)),
    containerStarted: rel(nodeEvents[3].at(t0, 'container', 'start', isTask)),
    finished: op.finished_at.getTime() - t0,
  };
});
const copies = moves.filter((m) => m.copyStarted !== null && m.copyDone !== null).map((m) => m.copyDone - m.copyStarted);
const moveMedian = (key) => {
  const values = moves.map((m) => m[key]).filter((x) => x !== null);
  return values.length ? median(values) : null;
};

/**
 * Asks the manager for its tasks every 200 ms (as the driver waits for them, after removing a
 * service, before it goes on): when each service's last task was gone from the list, epoch ms.
 */
function watchTasks(socketPath) {
  const goneAt = new Map();
  let present = new Set();
  let stopped = false;
  const list = () =>
    new Promise((resolve) => {
      const req = http.get({ socketPath, path: '/tasks', timeout: 5000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => {
          try {
            resolve(new Set(JSON.parse(body).map((t) => t.ServiceID)));
          } catch {
            resolve(null);
          }
        });
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(null));
    });
  (async () => {
    while (!stopped) {
      const now = await list();
      if (now) {
        for (const id of present) if (!now.has(id)) goneAt.set(id, Date.now());
        present = now;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return { stop: () => (stopped = true), goneAt: (serviceId) => goneAt.get(serviceId) ?? null };
}

/** Runs a command with `env` (and PATH), in the repository; resolves with its exit code, output and duration. */
function timed(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const proc = spawn(cmd, args, { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    onCleanup(() => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill();
    });
    let out = '';
    const take = (chunk) => {
      out += chunk;
      for (const line of String(chunk).split('\n').filter(Boolean)) log(`  drain: ${line}`);
    };
    proc.stdout.on('data', take);
    proc.stderr.on('data', take);
    proc.once('error', reject);
    proc.once('exit', (code) => resolve({ code, out, ms: performance.now() - t0 }));
  });
}

// --- 3. Memory --------------------------------------------------------------------------------
const rss = Object.fromEntries(Object.entries(berths).map(([kind, b]) => [kind, { api: rssMb(b.api.pid), worker: rssMb(b.worker.pid) }]));
const agentRss = Object.fromEntries(agents.map((a) => [a.node, rssMb(a.pid)]));
// Berth's worker sets the Swarm's heartbeat (SWARM_HEARTBEAT_SECONDS); the manager's dispatcher uses it.
const heartbeat = await onNode(1, 'info', '--format', '{{.Swarm.Cluster.Spec.Dispatcher.HeartbeatPeriod}}').catch(() => '?');

// --- Report -------------------------------------------------------------------------------------
const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const v = (x) => (x === null ? '     -' : x.toFixed(0).padStart(6));
console.log('');
// This machine's engine serves other runs too (the nodes' engines only this one): its load shows in A_docker.
const hostContainers = (await docker('ps', '-q')).split('\n').filter(Boolean).length;
console.log(`Time to the first HTTP 200 of a new app, plan Mini (median of ${RUNS}, alternated, same run)`);
console.log(`  load average at start ${loadAtStart}, at the end ${load}; containers running on this machine's engine now (other runs' too): ${hostContainers}`);
console.log(`  Swarm: SWARM_VOLUMES=${SWARM_VOLUMES}${SWARM_VOLUMES === 'local' ? '' : ' (NON-STANDARD)'}, dispatcher heartbeat ${heartbeat}`);
console.log(`  A_docker  one engine: POST /apps/ -> first 200 on 127.0.0.1      ${v(aDocker)} ms   (${fmt(runs.docker.map((r) => r.ms))})`);
console.log(`  A_swarm   Swarm: POST /apps/ -> first 200 on ${node(2).address.padEnd(13)} ${v(aSwarm)} ms   (${fmt(runs.swarm.map((r) => r.ms))})`);
console.log(`  A_swarm / A_docker ${ratio.toFixed(2)}   target <= ${TARGET}   ${ratio <= TARGET ? 'MET' : 'NOT MET'}`);
console.log('');
console.log('  Where the time went (median ms after the POST)            one engine   Swarm');
const rows = [
  ['answered', 'POST answered'],
  ['jobStarted', 'the worker took the job (operation started_at)'],
  ['volume', '/srv volume created (loop image made, mounted)'],
  ['serviceCreated', 'service created on the manager'],
  ['pullStarted', "node's image pull began (its log: a tag, so it tries)"],
  ['pullFailed', 'that pull gave up (no registry reachable)'],
  ['containerCreated', 'container created (on the node)'],
  ['containerStarted', 'container started'],
  ['firstOk', 'first 200'],
  ['opFinished', 'operation finished'],
];
for (const [key, label] of rows) console.log(`    ${label.padEnd(54)} ${v(phaseMedian('docker', key))}   ${v(phaseMedian('swarm', key))}`);
console.log('');
const totalS = drain.ms / 1000;
console.log(`Draining ${nodeName(2)}: ${DRAIN_APPS} apps with ${FILL_MB} MB each in /srv, moved to ${nodeName(3)}`);
console.log(`  node:drain, end to end                 ${totalS.toFixed(1).padStart(6)} s   ${((DRAIN_APPS * FILL_MB) / totalS).toFixed(1)} MB/s`);
console.log(`  per app, as node:drain reports it      ${median(perApp.map((m) => m.s)).toFixed(1).padStart(6)} s   (median; ${perApp.map((m) => m.s.toFixed(1)).join(', ')})`);
if (copies.length) console.log(`  of which the copy of /srv (helpers)    ${(median(copies) / 1000).toFixed(1).padStart(6)} s   (median; ${(FILL_MB / (median(copies) / 1000)).toFixed(1)} MB/s per app)`);
console.log('  One move (median ms after its operation started):');
const moveRows = [
  ['serviceRemoved', 'service removed on the manager'],
  ['containerGone', `its container gone from ${nodeName(2)}`],
  ['tasksGone', "the manager's task list without it (polled, 200 ms)"],
  ['targetVolume', `/srv volume made on ${nodeName(3)} (loop image, mounted)`],
  ['copyStarted', 'copy began (helper on the source made)'],
  ['copyDone', 'copy done (helpers removed)'],
  ['sourceVolumeGone', `/srv volume removed from ${nodeName(2)}`],
  ['serviceCreated', 'service created again, pinned to the new node'],
  ['containerStarted', `container started on ${nodeName(3)}`],
  ['finished', 'operation finished'],
];
for (const [key, label] of moveRows) console.log(`    ${label.padEnd(54)} ${v(moveMedian(key))}`);
console.log(`    (each operation waited ${v(moveMedian('queued')).trim()} ms in the queue: the drain moves one app at a time)`);
console.log(`  every app on ${nodeName(3)} (apps.node, data_node): yes; checksums matching: ${matching} of ${DRAIN_APPS}; containers left on ${nodeName(2)}: ${leftOnN2}`);
console.log('');
console.log('Resident memory at the end (MB)      API   worker');
for (const [kind, r] of Object.entries(rss)) console.log(`  ${(kind === 'docker' ? 'one engine' : 'Swarm').padEnd(30)} ${r.api.toFixed(1).padStart(6)}   ${r.worker.toFixed(1).padStart(6)}`);
for (const [name, mb] of Object.entries(agentRss)) console.log(`  node agent ${name.padEnd(19)} ${mb.toFixed(1).padStart(6)}`);
console.log('');
console.log(
  JSON.stringify({
    createMs: { docker: runs.docker.map((r) => r.ms), swarm: runs.swarm.map((r) => r.ms) },
    medianMs: { docker: aDocker, swarm: aSwarm },
    ratio,
    target: TARGET,
    met: ratio <= TARGET,
    phasesMs: { docker: runs.docker.map((r) => r.phases), swarm: runs.swarm.map((r) => r.phases) },
    drain: { apps: DRAIN_APPS, mbEach: FILL_MB, totalMs: drain.ms, perAppS: perApp.map((m) => m.s), copyMs: copies, movesMs: moves, checksumsMatching: matching },
    rssMb: { ...rss, agents: agentRss },
    swarmVolumes: SWARM_VOLUMES,
    heartbeat,
    loadAverage: { start: loadAtStart, end: load },
    hostContainers,
  }),
);
if (matching !== DRAIN_APPS) throw new Error(`${DRAIN_APPS - matching} checksums differ after the drain`);

runSucceeded();
log('cleaning up');
await cleanup();
process.exit(0);
