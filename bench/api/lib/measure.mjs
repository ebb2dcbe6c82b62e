// One figure of the benchmark: autocannon against one URL (a sanity request, a warm-up,
// then the measured run), with the CPU accounting of the measured window.

import autocannon from 'autocannon';
import { cpuDelta, cpuSnapshot, NOISY_PCT } from './cpu.mjs';
import { fmt } from './report.mjs';

let currentCannon = null;

/** Stops the autocannon run in progress, if any (for cleanup). */
export function stopLoad() {
  currentCannon?.stop();
}

/** Runs autocannon; `latencies`, when given, gets every response's time (ms). */
function cannon(opts, latencies) {
  return new Promise((resolve, reject) => {
    currentCannon = autocannon(opts, (err, result) => {
      currentCannon = null;
      if (err) reject(err);
      else resolve(result);
    });
    if (latencies) currentCannon.on('response', (_client, _status, _bytes, time) => latencies.push(time));
  });
}

function summarize(r) {
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    total: r.requests.total,
    ok2xx: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats).map(([code, s]) => [code, s.count])),
  };
}

/** autocannon's options for a figure's load (the same for its warm-up, its rounds and its settling). */
function loadOptions(fig, server, settings) {
  return { url: server.base + fig.path, headers: fig.headers ?? {}, connections: settings.connections, pipelining: 1, timeout: 10 };
}

/** Answers that make a run invalid: anything but 2xx, socket errors, time-outs. */
const failures = (r) => r.non2xx + r.errors + r.timeouts;
const failureText = (what, r) => `${what}: ${r.non2xx} non-2xx (${JSON.stringify(r.statusCodes)}), ${r.errors} errors, ${r.timeouts} timeouts`;

/**
 * One figure: a sanity request, a warm-up, then the measured run.
 * run: { settings, problems, backendPids }; anything that makes the run invalid
 * (non-2xx, errors, timeouts, a server that died) is added to run.problems.
 */
export async function measure(fig, server, run) {
  const { settings, problems, backendPids } = run;
  const common = loadOptions(fig, server, settings);
  const probe = await fetch(common.url, { headers: common.headers });
  const probeBody = await probe.text();
  if (probe.status !== 200) throw new Error(`${fig.key}: sanity request answered ${probe.status}: ${probeBody.slice(0, 300)}`);

  process.stdout.write(`  ${fig.label.padEnd(38)} `);
  let warm = null;
  if (settings.warmup > 0) warm = summarize(await cannon({ ...common, duration: settings.warmup }));
  const before = await cpuSnapshot(server, backendPids);
  const latencies = [];
  const s = summarize(await cannon({ ...common, duration: settings.duration }, latencies));
  s.latencies = latencies;
  s.cpu = cpuDelta(before, await cpuSnapshot(server, backendPids), server, s.total);
  s.noisy = s.cpu ? s.cpu.other_pct > NOISY_PCT : false;
  const warmBad = warm ? failures(warm) : 0;
  const cpuText = s.cpu
    ? `  cpu %: server ${s.cpu.server_pct}, pg ${s.cpu.pg_backends_pct}, loadgen ${s.cpu.loadgen_pct}, other ${s.cpu.other_pct}${s.noisy ? ' NOISY' : ''}` +
      `; server ${s.cpu.server_cpu_us_per_req} us/req (${s.cpu.server_sys_us_per_req} in kernel)`
    : '';
  console.log(`${fmt(s.rps, 0).padStart(8)} req/s  p99 ${fmt(s.p99, 1).padStart(6)} ms  non-2xx ${s.non2xx}  errors ${s.errors}  timeouts ${s.timeouts}${cpuText}` +
    (warmBad ? `  (warm-up: non-2xx ${warm.non2xx}, errors ${warm.errors}, timeouts ${warm.timeouts})` : ''));
  if (failures(s) > 0) problems.push(failureText(fig.key, s));
  if (warmBad > 0) problems.push(failureText(`${fig.key} warm-up`, warm));
  if (server.child && (server.child.proc.exitCode !== null || server.child.proc.signalCode !== null)) {
    problems.push(`${fig.key}: the server (${server.child.name}) died during the run`);
  }
  return { ...fig, url: fig.path, ...s, warmup: warm };
}

/**
 * Settles a server before its figure's rounds: `seconds` of the same load, not measured. A
 * long-running server is measured, not one in its first seconds: V8 keeps compiling Berth's
 * request path for about 20 s of load (its CPU per request falls by a third or more over that time, and
 * the compiler threads take CPU from everyone else meanwhile), while a bare baseline settles in
 * a few seconds. Answers other than 2xx still make the run invalid.
 */
export async function settle(fig, server, run, seconds) {
  process.stdout.write(`  ${`${fig.label} (settling)`.padEnd(38)} `);
  const r = summarize(await cannon({ ...loadOptions(fig, server, run.settings), duration: seconds }));
  console.log(`${fmt(r.rps, 0).padStart(8)} req/s over ${seconds} s, not measured`);
  if (failures(r) > 0) run.problems.push(failureText(`${fig.key} settling`, r));
  return { seconds, rps: r.rps };
}

/**
 * One figure from its rounds (which last the same): the mean of their requests per second, p50
 * and p99 of every response of every round, counts summed, CPU shares averaged.
 */
export function combine(parts) {
  const first = parts[0];
  const sum = (f) => parts.reduce((n, p) => n + (p[f] ?? 0), 0);
  const mean = (get) => {
    const values = parts.map(get).filter((v) => typeof v === 'number');
    return values.length ? Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 10) / 10 : null;
  };
  const all = parts.flatMap((p) => p.latencies).sort((a, b) => a - b);
  const cpu = first.cpu ? Object.fromEntries(Object.keys(first.cpu).map((k) => [k, mean((p) => p.cpu?.[k])])) : null;
  return {
    ...first,
    label: first.label.replace(/ \(1\/\d+\)$/, ''),
    rps: sum('rps') / parts.length,
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    max: Math.max(...parts.map((p) => p.max)),
    total: sum('total'),
    ok2xx: sum('ok2xx'),
    non2xx: sum('non2xx'),
    errors: sum('errors'),
    timeouts: sum('timeouts'),
    cpu,
    noisy: parts.some((p) => p.noisy),
    rounds: parts.map((p) => ({ rps: p.rps, p99: p.p99 })),
    latencies: undefined,
  };
}

function percentile(sorted, p) {
  return sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 10) / 10 : null;
}
