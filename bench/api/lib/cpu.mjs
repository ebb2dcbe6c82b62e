// CPU accounting (Linux /proc): how much CPU did processes *outside* this benchmark
// use during a measured window? This machine has 2 cores; anything else busy (a build,
// npm install, tests) steals from the server and the load generator alike.

import fs from 'node:fs';

const CLK_TCK = 100; // USER_HZ on Linux
const hasProc = fs.existsSync('/proc/stat');

export const NOISY_PCT = 15; // other processes using more than this % of one core make a figure unreliable

function machineBusyTicks() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - f[4], steal: f[7] ?? 0 };
}

function pidTicks(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return 0;
  }
}

function pidSysTicks(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[12]); // stime
  } catch {
    return 0;
  }
}

/** This process (the load generator), the server under test and backendPids() (its PostgreSQL backends). */
async function ourPids(server, backendPids) {
  const pids = [process.pid];
  if (server.child) pids.push(server.child.proc.pid);
  pids.push(...(await backendPids()));
  return pids;
}

/** CPU counters at the start or the end of a window; null without /proc. */
export async function cpuSnapshot(server, backendPids) {
  if (!hasProc) return null;
  const pids = await ourPids(server, backendPids);
  const ours = Object.fromEntries(pids.map((pid) => [pid, pidTicks(pid)]));
  const serverSys = server.child ? pidSysTicks(server.child.proc.pid) : 0;
  return { at: performance.now(), ...machineBusyTicks(), ours, serverSys };
}

/**
 * CPU used during the window, in % of one core: the load generator (this process), the
 * server under test, its PostgreSQL backends, and everyone else ("other").
 */
export function cpuDelta(a, b, server, requests) {
  if (!a || !b) return null;
  const secs = (b.at - a.at) / 1000;
  const d = (pid) => (b.ours[pid] ?? 0) - (a.ours[pid] ?? b.ours[pid] ?? 0);
  const serverPid = server.child?.proc.pid;
  let ours = 0;
  let backends = 0;
  for (const pid of Object.keys(b.ours)) {
    ours += d(pid);
    if (Number(pid) !== process.pid && Number(pid) !== serverPid) backends += d(pid);
  }
  const busy = b.busy - a.busy;
  const pct = (ticks) => Math.round((ticks / CLK_TCK / secs) * 1000) / 10;
  const serverTicks = serverPid ? d(serverPid) : 0;
  return {
    ours_pct: pct(ours),
    loadgen_pct: pct(d(process.pid)),
    server_pct: pct(serverTicks),
    pg_backends_pct: pct(backends),
    other_pct: pct(Math.max(0, busy - ours)),
    steal_pct: pct(b.steal - a.steal),
    server_cpu_us_per_req: requests > 0 ? Math.round(((serverTicks / CLK_TCK) * 1e6) / requests) : null,
    server_sys_us_per_req: requests > 0 ? Math.round((((b.serverSys - a.serverSys) / CLK_TCK) * 1e6) / requests) : null,
    pg_cpu_us_per_req: requests > 0 ? Math.round(((backends / CLK_TCK) * 1e6) / requests) : null,
  };
}
