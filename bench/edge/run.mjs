// Edge throughput: `npm run bench:edge` (after `npm run build`).
//
// A: requests/s and p99 of an app's default page through the edge (Caddy, driven by Berth),
//    by the app's default domain on the edge's HTTP port.
// B: the same load straight to the app's published port.
// 64 connections, 3 s warm-up, 10 s measured each, loopback only, alternated twice, for an
// app on plan Mini and one on Normal+; prints both and A/B of throughput (target >= 0.8).
import autocannon from 'autocannon';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { api, cleanup, createDatabase, edgeEnv, installationEnv, installCleanup, median, onCleanup, query, registerAccount, sh, runSucceeded, startBerth, waitForOperation } from '../lib/berth.mjs';

const TARGET = 0.8;
const CONNECTIONS = 64;
const WARMUP_S = 3;
const DURATION_S = 10;
const ROUNDS = 2;
const EDGE = { http: 38880, https: 38881, admin: 38882 };

installCleanup(10 * 60_000);
const started = Date.now();
const log = (line) => console.error(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

let current = null;
onCleanup(() => current?.stop());
function load(url, headers, duration) {
  return new Promise((resolve, reject) => {
    current = autocannon({ url, headers, connections: CONNECTIONS, pipelining: 1, duration, timeout: 10 }, (err, result) => {
      current = null;
      if (err) reject(err);
      else resolve(result);
    });
  });
}

/** CPU time (user, system) a process has used so far, in µs: /proc/<pid>/stat counts clock ticks of 10 ms. */
function cpuUs(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { user: Number(fields[11]) * 10_000, system: Number(fields[12]) * 10_000 };
}

async function figure(label, url, headers, watch) {
  // node:http, not fetch: fetch will not send a Host header of the caller's choosing.
  const status = await new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => (res.resume(), resolve(res.statusCode))).on('error', reject);
  });
  if (status !== 200) throw new Error(`${label}: ${url} answered ${status}`);
  await load(url, headers, WARMUP_S);
  const before = watch && cpuUs(watch);
  const r = await load(url, headers, DURATION_S);
  const bad = r.non2xx + r.errors + r.timeouts;
  if (bad > 0) throw new Error(`${label}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts: the run is invalid`);
  // What one proxied request costs Caddy, and how much of that is the kernel's.
  let caddy;
  if (watch) {
    const after = cpuUs(watch);
    const used = after.user - before.user + (after.system - before.system);
    caddy = { cpuUsPerRequest: used / r.requests.total, systemShare: (after.system - before.system) / used };
  }
  const cost = caddy ? `; Caddy ${caddy.cpuUsPerRequest.toFixed(0)} µs CPU per request, ${(caddy.systemShare * 100).toFixed(0)} % of it in the kernel` : '';
  log(`${label}: ${r.requests.average.toFixed(0)} req/s, p99 ${r.latency.p99} ms${cost}`);
  return { rps: r.requests.average, p99: r.latency.p99, caddy };
}

const db = await createDatabase('edge');
const env = { ...installationEnv(db, { apps: '38000-38099', ssh: '39000-39099' }), ...edgeEnv(EDGE) };
const berth = await startBerth(env, 'api,worker,edge', 'berth');
// The Caddy Berth's edge role started (its config file lives in our data directory).
const caddyPid = Number((await sh('pgrep', ['-f', `caddy run --config ${path.join(env.CADDY_DATA_DIR, 'initial.json')}`])).split('\n')[0]);
if (!caddyPid) throw new Error('the edge role started no Caddy');
const account = await registerAccount(berth.url);
const plans = await api(berth.url, 'GET', `/${account.companyId}/plans/`, account.token);

/** One app on `planName`: its default page through the edge and straight to its port, alternated. */
async function measurePlan(planName) {
  const plan = plans.find((p) => p.name === planName);
  const app = await api(berth.url, 'POST', `/${account.companyId}/apps/`, account.token, { name: `bench-${plan.id}`, image: 'berth/runtime:2026.11-1', plan: plan.id });
  await waitForOperation(berth.url, account, app.operation_id);
  const [{ host_port: port }] = await query(db, 'SELECT host_port FROM apps WHERE id = $1', [app.id]);
  const domain = app.domains[0];
  log(`app ${domain} on plan ${plan.name} (${plan.cpu_quota} % CPU); published on 127.0.0.1:${port}; edge on 127.0.0.1:${EDGE.http}`);
  // Until the default app's server is up.
  for (let i = 0; i < 100 && (await fetch(`http://127.0.0.1:${port}/`).then((r) => r.status, () => 0)) !== 200; i++) await new Promise((r) => setTimeout(r, 100));
  const edge = [];
  const direct = [];
  for (let round = 0; round < ROUNDS; round++) {
    direct.push(await figure(`${plan.name} direct, round ${round + 1}`, `http://127.0.0.1:${port}/`, {}));
    edge.push(await figure(`${plan.name} edge,   round ${round + 1}`, `http://127.0.0.1:${EDGE.http}/`, { host: domain }, caddyPid));
  }
  const gone = await api(berth.url, 'DELETE', `/${account.companyId}/apps/${app.id}/`, account.token);
  await waitForOperation(berth.url, account, gone.operation_id);
  const a = median(edge.map((f) => f.rps));
  const b = median(direct.map((f) => f.rps));
  const caddyUs = median(edge.map((f) => f.caddy.cpuUsPerRequest));
  return { plan: plan.name, cpu: plan.cpu_quota, domain, edge, direct, a, b, ratio: a / b, caddyUs, p99: { edge: median(edge.map((f) => f.p99)), direct: median(direct.map((f) => f.p99)) } };
}

// Mini is the headline: an app held to its plan, as apps are. Normal+ gives the trivial
// default page two cores, enough to outrun the edge on this machine: it shows the edge's own ceiling.
const results = [];
for (const name of ['Mini', 'Normal+']) results.push(await measurePlan(name));

console.log('');
console.log(`An app's default page, ${CONNECTIONS} connections, ${DURATION_S} s each (median of ${ROUNDS}, same run)`);
for (const r of results) {
  console.log(`  plan ${r.plan} (${r.cpu} % CPU)`);
  console.log(`    A  through the edge (Host: ${r.domain})`.padEnd(64) + `${r.a.toFixed(0).padStart(7)} req/s   p99 ${String(r.p99.edge).padStart(4)} ms`);
  console.log(`    B  straight to the published port`.padEnd(64) + `${r.b.toFixed(0).padStart(7)} req/s   p99 ${String(r.p99.direct).padStart(4)} ms`);
  console.log(`    A/B ${r.ratio.toFixed(2)}   target >= ${TARGET}   ${r.ratio >= TARGET ? 'MET' : 'NOT MET'}   (Caddy: ${r.caddyUs.toFixed(0)} µs CPU per request)`);
}
console.log('');
console.log(JSON.stringify({ target: TARGET, results: results.map(({ plan, a, b, ratio, caddyUs, p99, edge, direct }) => ({ plan, medianRps: { edge: a, direct: b }, ratio, met: ratio >= TARGET, caddyCpuUsPerRequest: caddyUs, p99, edge, direct })) }));

runSucceeded();
log('cleaning up');
await cleanup();
process.exit(0);
