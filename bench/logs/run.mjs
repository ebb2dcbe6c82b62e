// Following apps' logs: `npm run bench:logs` (after `npx nest build`), as root.
//
// One app (plan Mini) runs a program printing RATE lines a second for SECONDS seconds, each line
// `seq <run>-<n> <printed at, ms>`. The API and the worker run as processes of their own.
// Baseline: the program prints with no follower. Then: FOLLOWERS followers of the app's log
// (SSE, spread over a few threads of this process) while it prints again. Prints the delivery
// latency p50/p99 (target p99 < 1 s), lines lost (target 0), and the API's and the worker's CPU
// and resident memory with followers beside the baseline's, as ratios.
// Then the metrics sampler: SAMPLER_APPS more apps are made, and the worker's and the Docker
// engine's CPU over a window of ticks (METRICS_INTERVAL_MS=1000 for the whole run) is set beside
// the same window with one app; the difference is scaled to CPU per tick per 100 apps.
import os from 'node:os';
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { api, cleanup, createDatabase, docker, installationEnv, sh, installCleanup, registerAccount, runSucceeded, startBerth, waitForOperation } from '../lib/berth.mjs';

const FOLLOWERS = Number(process.env.BENCH_FOLLOWERS || 100);
const RATE = 1000;
const SECONDS = 20;
const LINES = RATE * SECONDS;
const THREADS = 4;
const IMAGE = 'berth/runtime-python:2026.11-1';
const PORTS = { apps: '32700-32799', ssh: '32800-32899' };
const TARGET_P99_MS = 1000;
const SAMPLER_APPS = Number(process.env.BENCH_SAMPLER_APPS || 20);
const INTERVAL_MS = 1000;
const WINDOW_S = 20;

installCleanup(8 * 60_000);
const started = Date.now();
const log = (line) => console.error(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const loadAtStart = os.loadavg();

// Waits for /srv/var/go (its content: the run's name), prints LINES lines at RATE a second, paced
// by the clock (a late line is printed at once, never skipped), then waits for the next run.
const PRINTER = `import os, sys, time
while True:
    while not os.path.exists('/srv/var/go'):
        time.sleep(0.005)
    run = open('/srv/var/go').read().strip()
    os.remove('/srv/var/go')
    start = time.time()
    n = 0
    while n < ${LINES}:
        due = min(${LINES}, int((time.time() - start) * ${RATE}) + 1)
        while n < due:
            sys.stdout.write(f"seq {run}-{n} {time.time() * 1000:.1f}\\n")
            n += 1
        sys.stdout.flush()
        time.sleep(max(0, start + n / ${RATE} - time.time()))
    open('/srv/var/done', 'w').write(run)`;

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
const rssMb = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

/** Runs the printer once, measuring both processes' CPU and their largest RSS meanwhile. */
async function printRun(container, run, processes) {
  const before = processes.map((p) => cpuSeconds(p.pid));
  const peak = processes.map((p) => rssMb(p.pid));
  const t0 = performance.now();
  await docker('exec', container, 'sh', '-c', `rm -f /srv/var/done; echo ${run} > /srv/var/go`);
  for (;;) {
    processes.forEach((p, i) => (peak[i] = Math.max(peak[i], rssMb(p.pid))));
    const done = await docker('exec', container, 'cat', '/srv/var/done').catch(() => '');
    if (done === run) break;
    await sleep(500);
  }
  // Lines printed last are still on their way: a second for them.
  await sleep(1000);
  const seconds = (performance.now() - t0) / 1000;
  return processes.map((p, i) => ({ cpu: ((cpuSeconds(p.pid) - before[i]) / seconds) * 100, rss: peak[i] }));
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const env = {
    ...installationEnv(await createDatabase('logs'), PORTS),
    EDGE_ROUTER: 'off',
    LIVE_STREAMS_PER_COMPANY: String(FOLLOWERS + 10),
    LOGS_RETENTION_BYTES: '64mb',
    LOGS_LINES_MAX: String(LINES),
    METRICS_INTERVAL_MS: String(INTERVAL_MS),
    APPS_PER_ACCOUNT: '1000',
  };
  const worker = await startBerth(env, 'worker', 'worker');
  const server = await startBerth(env, 'api', 'api');
  const base = server.url;
  const account = await registerAccount(base);
  const plans = await api(base, 'GET', `/${account.companyId}/plans/`, account.token);
  const plan = plans.find((p) => p.name === 'Mini') ?? plans[0];
  const app = await api(base, 'POST', `/${account.companyId}/apps/`, account.token, { name: 'logbench', image: IMAGE, plan: plan.id });
  await waitForOperation(base, account, app.operation_id);
  const container = `${env.DOCKER_NAME_PREFIX}-app-${app.id}`;
  const conf = `[program:printer]\ncommand=/usr/bin/python3 -u /srv/app/printer.py\nautorestart=true\nstdout_logfile=/srv/log/printer.log\n`;
  await docker('exec', container, 'sh', '-c', `cat > /srv/app/printer.py <<'EOF'\n${PRINTER}\nEOF\ncat > /srv/conf/supervisor.d/printer.conf <<'EOF'\n${conf}EOF\nsupervisorctl reread >/dev/null && supervisorctl update`);
  await sleep(3000);
  const processes = [server.proc, worker.proc];
  log(`app ${app.id} on plan ${plan.name}; ${FOLLOWERS} followers, ${RATE} lines/s for ${SECONDS} s`);

  // Baseline: nobody follows.
  const [apiBase, workerBase] = await printRun(container, 'base', processes);
  const stored = await api(base, 'GET', `/${account.companyId}/apps/${app.id}/logs/?process=printer&lines=${LINES}`, account.token);
  const storedBase = new Set(stored.filter((l) => l.message.startsWith('seq base-')).map((l) => l.message.split(' ')[1])).size;
  log(`baseline: ${storedBase} of ${LINES} lines stored`);

  // Followers: spread over threads, each opened before the run starts (since: now, no backlog).
  const since = new Date().toISOString();
  const url = `${base}/${account.companyId}/apps/${app.id}/logs/?process=printer&since=${encodeURIComponent(since)}`;
  const threads = [];
  for (let t = 0; t < THREADS; t++) {
    const count = Math.floor(FOLLOWERS / THREADS) + (t < FOLLOWERS % THREADS ? 1 : 0);
    const thread = new Worker(new URL('./follower.mjs', import.meta.url), { workerData: { url, token: account.token, count, run: 'follow', lines: LINES } });
    thread.on('message', (m) => m.type === 'error' && log(`follower: ${m.message}`));
    threads.push(thread);
  }
  await Promise.all(threads.map((t) => new Promise((resolve) => t.on('message', (m) => m.type === 'open' && resolve()))));
  log(`${FOLLOWERS} followers open`);
  const [apiFollow, workerFollow] = await printRun(container, 'follow', processes);
  const results = await Promise.all(threads.map((t) => new Promise((resolve) => {
    t.on('message', (m) => m.type === 'result' && resolve(m));
    t.postMessage('stop');
  })));
  await Promise.all(threads.map((t) => t.terminate()));

  const all = new Float64Array(results.reduce((n, r) => n + r.latencies.length, 0));
  let offset = 0;
  for (const r of results) {
    all.set(r.latencies, offset);
    offset += r.latencies.length;
  }
  all.sort();
  const received = results.flatMap((r) => r.received);
  const lost = FOLLOWERS * LINES - received.reduce((a, b) => a + b, 0);
  const dropped = results.reduce((n, r) => n + r.dropped, 0);
  const p50 = percentile(all, 50);
  const p99 = percentile(all, 99);
  const ratio = (a, b) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
  const row = (name, base, follow) =>
    `| ${name} | ${base.cpu.toFixed(1)} % | ${follow.cpu.toFixed(1)} % | ${ratio(follow.cpu, base.cpu)} | ${base.rss.toFixed(0)} MB | ${follow.rss.toFixed(0)} MB | ${ratio(follow.rss, base.rss)} |`;
  console.log(`\nbench/logs: ${FOLLOWERS} followers of one app printing ${RATE} lines/s for ${SECONDS} s (load at start ${loadAtStart.map((l) => l.toFixed(2)).join(' ')})\n`);
  console.log(`| figure | value | target |\n|---|---|---|`);
  console.log(`| delivery latency p50 | ${p50.toFixed(0)} ms | |`);
  console.log(`| delivery latency p99 | ${p99.toFixed(0)} ms | < ${TARGET_P99_MS} ms: ${p99 < TARGET_P99_MS ? 'PASS' : 'FAIL'} |`);
  console.log(`| lines lost (of ${FOLLOWERS} × ${LINES}) | ${lost} (fewest received by one follower: ${Math.min(...received)}; dropped as slow: ${dropped}) | 0: ${lost === 0 ? 'PASS' : 'FAIL'} |`);
  console.log(`| lines stored, no followers | ${storedBase} of ${LINES} | ${LINES}: ${storedBase === LINES ? 'PASS' : 'FAIL'} |`);
  console.log(`\n| process | CPU, no followers | CPU, ${FOLLOWERS} followers | ratio | RSS, no followers | RSS, ${FOLLOWERS} followers | ratio |\n|---|---|---|---|---|---|---|`);
  console.log(row('API', apiBase, apiFollow));
  console.log(row('worker', workerBase, workerFollow));
  console.log('\n(CPU: percent of one core over the printing run; RSS: largest during it.)');

  await samplerCost(base, account, plan, worker.proc, container);
}

/** The worker's and the engine's CPU over a window of sampler ticks with one app, then with SAMPLER_APPS more. */
async function samplerCost(base, account, plan, workerProc, container) {
  const dockerd = Number((await sh('pidof', ['dockerd'])).split(' ')[0]);
  const window = async () => {
    const before = [cpuSeconds(workerProc.pid), cpuSeconds(dockerd)];
    await sleep(WINDOW_S * 1000);
    return [cpuSeconds(workerProc.pid) - before[0], cpuSeconds(dockerd) - before[1]];
  };
  await docker('exec', container, 'supervisorctl', 'stop', 'printer').catch(() => undefined);
  const [workerOne, engineOne] = await window();
  log(`sampler: making ${SAMPLER_APPS} more apps`);
  for (let i = 0; i < SAMPLER_APPS; i++) {
    const app = await api(base, 'POST', `/${account.companyId}/apps/`, account.token, { name: `sampled${i}`, image: IMAGE, plan: plan.id });
    await waitForOperation(base, account, app.operation_id);
  }
  await sleep(3 * INTERVAL_MS);
  const [workerMany, engineMany] = await window();
  const ticks = (WINDOW_S * 1000) / INTERVAL_MS;
  const perTickPer100 = (seconds) => ((seconds * 1000) / ticks / SAMPLER_APPS) * 100;
  console.log(`\n| metrics sampler (${SAMPLER_APPS} apps more, ${ticks} ticks) | 1 app | ${SAMPLER_APPS + 1} apps | CPU per tick per 100 apps |\n|---|---|---|---|`);
  console.log(`| worker | ${(workerOne * 1000 / ticks).toFixed(1)} ms/tick | ${(workerMany * 1000 / ticks).toFixed(1)} ms/tick | ${perTickPer100(workerMany - workerOne).toFixed(0)} ms |`);
  console.log(`| Docker engine | ${(engineOne * 1000 / ticks).toFixed(1)} ms/tick | ${(engineMany * 1000 / ticks).toFixed(1)} ms/tick | ${perTickPer100(engineMany - engineOne).toFixed(0)} ms |`);
  console.log(`\n(At the default METRICS_INTERVAL_MS of 15 s, 100 apps cost the worker ${(perTickPer100(workerMany - workerOne) / 150).toFixed(2)} % of one core.)`);
}

main()
  .then(() => {
    runSucceeded();
    return cleanup();
  })
  .catch(async (err) => {
    console.error(`bench: ${err.stack ?? err}`);
    await cleanup();
    process.exitCode = 1;
  })
  .finally(() => setTimeout(() => process.exit(process.exitCode ?? 0), 100).unref());
