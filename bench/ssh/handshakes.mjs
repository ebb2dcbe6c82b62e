// Does the SSH gateway's pre-authentication work stall the API it shares an event loop
// with? `npm run bench:ssh-handshakes` (after `npx nest build`).
//
// One Berth process with roles api,worker,ssh and one app. The API's latency on a trivial
// route (GET /api/v1/version) at a fixed, modest rate, in windows with no SSH load and
// windows under a flood of parallel SSH handshakes and `none` authentication requests from
// loopback (bench/ssh/handshake-flood.mjs, its own process), three of each, alternated.
// Prints the median p99 of each kind and their ratio. Bounded: each flood lasts one window (about
// 12 s), everything stops by itself, and the run is capped at 5 minutes.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import autocannon from 'autocannon';
import { api, cleanup, createDatabase, installationEnv, installCleanup, onCleanup, registerAccount, runSucceeded, startBerth, waitForOperation } from '../lib/berth.mjs';

const WINDOW_S = Number(process.env.BENCH_DURATION ?? 10);
// A rate the API meets with room to spare: latency, not throughput, is what is compared.
const RATE = Number(process.env.BENCH_RATE ?? 200);
const CONCURRENCY = Number(process.env.BENCH_SSH_CONCURRENCY ?? 64);
// e.g. diffie-hellman-group18-sha512: what the flood's clients offer; default ssh2's own list.
const KEX = process.env.BENCH_SSH_KEX ?? '';
const ROUNDS = 3;
const CLK_TCK = 100;

installCleanup(5 * 60_000);
const started = Date.now();
const log = (line) => console.error(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

const cpuSeconds = (pid) => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
};

/** One window of requests to `url` at RATE per second; the latency figures and Berth's CPU in it. */
async function window(url, pid) {
  const cpu = cpuSeconds(pid);
  const result = await new Promise((resolve, reject) =>
    autocannon({ url, connections: 8, overallRate: RATE, duration: WINDOW_S, timeout: 10 }, (err, r) => (err ? reject(err) : resolve(r))),
  );
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${bad} of ${result.requests.total} requests failed (non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts})`);
  return { requests: result.requests.total, p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max, berthCpuPct: Math.round(((cpuSeconds(pid) - cpu) / WINDOW_S) * 100) };
}

function listening(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** The flood, started a second before the window and ending a second after it; resolves with its summary. */
function flood(port) {
  const child = fork(new URL('./handshake-flood.mjs', import.meta.url), [], {
    env: { ...process.env, PORT: String(port), DURATION_MS: String((WINDOW_S + 2) * 1000), CONCURRENCY: String(CONCURRENCY), KEX },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  onCleanup(() => child.exitCode === null && child.kill());
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  return new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`the flood exited with ${code}`)))));
}

const db = await createDatabase('sshhs');
const env = installationEnv(db, { apps: '38200-38299', ssh: '39200-39299' });
const berth = await startBerth({ ...env, SSH_SYNC_INTERVAL_MS: '200' }, 'api,worker,ssh', 'berth');
const account = await registerAccount(berth.url);
const plans = await api(berth.url, 'GET', `/${account.companyId}/plans/`, account.token);
const app = await api(berth.url, 'POST', `/${account.companyId}/apps/`, account.token, { name: 'bench', image: 'berth/runtime:2026.11-1', plan: plans[0].id });
await waitForOperation(berth.url, account, app.operation_id);
const port = app.ssh_access[0].port;
// The endpoint opens at the gateway's next sync.
for (let i = 0; !(await listening(port)); i++) {
  if (i === 100) throw new Error(`the SSH endpoint on ${port} did not open`);
  await new Promise((r) => setTimeout(r, 100));
}
log(`Berth up (pid ${berth.pid}), SSH endpoint on ${port}; ${WINDOW_S} s windows at ${RATE} req/s, flood of ${CONCURRENCY} parallel connections`);

const url = `${berth.url}/version`;
await window(url, berth.pid); // warm-up
// Quiet and flooded windows alternate, three of each: the machine's own noise shows as a
// difference between windows of one kind, and one noisy window does not move the median.
const quiet = [];
const loaded = [];
const floods = [];
for (let round = 1; round <= ROUNDS; round++) {
  quiet.push(await window(url, berth.pid));
  log(`no SSH load:  p99 ${quiet.at(-1).p99} ms (p50 ${quiet.at(-1).p50}, max ${quiet.at(-1).max}), Berth CPU ${quiet.at(-1).berthCpuPct} %`);
  const flooding = flood(port);
  await new Promise((r) => setTimeout(r, 1000));
  loaded.push(await window(url, berth.pid));
  floods.push(await flooding);
  const f = floods.at(-1);
  log(`under flood:  p99 ${loaded.at(-1).p99} ms (p50 ${loaded.at(-1).p50}, max ${loaded.at(-1).max}), Berth CPU ${loaded.at(-1).berthCpuPct} %; ` +
    `${f.connections} connections, ${f.handshakes} handshakes (${f.handshakesPerSecond}/s), ${f.authRequests} auth requests, ${f.refused} closed before their key exchange completed`);
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p99 = { quiet: median(quiet.map((w) => w.p99)), loaded: median(loaded.map((w) => w.p99)) };
const ratio = p99.loaded / p99.quiet;
// Berth's CPU beyond the quiet windows', per connection the flood made in a window: the gateway's cost of one.
const connectionsPerWindow = mean(floods.map((f) => (f.connections * WINDOW_S) / f.seconds));
const perConnectionMs = (((mean(loaded.map((w) => w.berthCpuPct)) - mean(quiet.map((w) => w.berthCpuPct))) / 100) * WINDOW_S * 1000) / Math.max(1, connectionsPerWindow);
console.log(`API p99 (GET /api/v1/version, ${RATE} req/s, median of ${ROUNDS} windows each): no SSH load ${p99.quiet.toFixed(1)} ms, ` +
  `under SSH flood ${p99.loaded.toFixed(1)} ms, ratio ${ratio.toFixed(2)}; Berth ≈ ${perConnectionMs.toFixed(1)} ms CPU per flood connection`);
console.log(JSON.stringify({ kex: KEX || 'ssh2 default', concurrency: CONCURRENCY, p99, ratio: Number(ratio.toFixed(2)), berthCpuMsPerConnection: Number(perConnectionMs.toFixed(1)), quiet, loaded, floods }));
runSucceeded();
await cleanup();
process.exit(0);
