// SSH gateway throughput and latency: `npm run bench:ssh` (after `npm run build`), as root.
//
// A: `rsync -az` of a 100 MB tree of mixed file sizes into an app through Berth's gateway.
// B: the same rsync, same client, same tree, to a local OpenSSH sshd on loopback.
// Three of each, alternated, into an empty target each time; prints MB/s (median) for
// both and A/B (target >= 0.7), and the median time of `ssh ... true` (20 of each).
import { execFileSync } from 'node:child_process';
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
  registerAccount,
  sh,
  startBerth,
  waitForOperation,
  runSucceeded,
} from '../lib/berth.mjs';
import { clientKey, gatewayKnownHost, sshOptions, waitForSsh } from '../lib/ssh.mjs';
import { makeTree, MB } from '../lib/tree.mjs';
import { startSshd } from './sshd.mjs';

const TARGET = 0.7;
const RUNS = 3;
const LATENCY_RUNS = 20;
const SSHD_PORT = 38422;
// 100 MB: a few big files, some medium, many small.
const TREE = [[2, 20 * MB, 'big'], [10, 3 * MB, 'medium'], [200, 100 * 1024, 'small'], [2048, 5 * 1024, 'tiny']];

installCleanup(20 * 60_000);
const started = Date.now();
const log = (line) => console.error(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-ssh-'));
onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));

const { path: key, publicKey } = clientKey(dir);
const tree = path.join(dir, 'tree');
const bytes = makeTree(tree, TREE);
log(`tree: ${(bytes / MB).toFixed(0)} MB in ${execFileSync('find', [tree, '-type', 'f']).toString().trim().split('\n').length} files`);

const sshd = await startSshd(dir, SSHD_PORT, publicKey);
const db = await createDatabase('ssh');
const env = installationEnv(db, { apps: '38000-38099', ssh: '39000-39099' });
const berth = await startBerth({ ...env, SSH_SYNC_INTERVAL_MS: '200' }, 'api,worker,ssh', 'berth');
const account = await registerAccount(berth.url);
const plans = await api(berth.url, 'GET', `/${account.companyId}/plans/`, account.token);
const plan = plans.find((p) => p.name === 'Normal+');
const app = await api(berth.url, 'POST', `/${account.companyId}/apps/`, account.token, { name: 'bench', image: 'berth/runtime:2026.11-1', plan: plan.id, ssh_keys: [publicKey] });
await waitForOperation(berth.url, account, app.operation_id);
const gatewayPort = app.ssh_access[0].port;
const knownHosts = path.join(dir, 'known_hosts');
fs.writeFileSync(knownHosts, `${await gatewayKnownHost(berth.url, account.token, gatewayPort)}\n[127.0.0.1]:${SSHD_PORT} ${sshd.hostKey}\n`);
log(`Berth up; app on plan ${plan.name} (${plan.cpu_quota} % CPU), gateway port ${gatewayPort}; sshd on ${SSHD_PORT}`);

const sshArgs = (port) => sshOptions(key, knownHosts, port);
const targets = {
  gateway: { login: 'app@127.0.0.1', port: gatewayPort, path: '/srv/var/bench/' },
  sshd: { login: 'root@127.0.0.1', port: SSHD_PORT, path: path.join(dir, 'sshd-target') + '/' },
};
const ssh = (t, command) => sh('ssh', [...sshArgs(t.port), t.login, command]);
await waitForSsh(sshArgs(gatewayPort), targets.gateway.login, 50);
// The cipher each side negotiated with the same client, as `ssh -v` reports it.
for (const [name, t] of Object.entries(targets)) {
  const verbose = execFileSync('sh', ['-c', `ssh -v ${sshArgs(t.port).join(' ')} ${t.login} true 2>&1 | grep -m1 'cipher:' || true`]).toString();
  t.cipher = /cipher: (\S+)/.exec(verbose)?.[1] ?? '?';
  log(`${name}: ${t.cipher}`);
}

async function rsyncOnce(t) {
  await ssh(t, `rm -rf '${t.path}'`);
  const t0 = performance.now();
  await sh('rsync', ['-az', '-e', `ssh ${sshArgs(t.port).join(' ')}`, `${tree}/`, `${t.login}:${t.path}`], { timeout: 600_000 });
  const seconds = (performance.now() - t0) / 1000;
  const count = await ssh(t, `find '${t.path}' -type f | wc -l`);
  return { seconds, mbps: bytes / MB / seconds, files: Number(count) };
}

async function latency(t) {
  const times = [];
  for (let i = 0; i < LATENCY_RUNS; i++) {
    const t0 = performance.now();
    await ssh(t, 'true');
    times.push(performance.now() - t0);
  }
  return median(times);
}

log('warming up (one rsync each, not counted)');
await rsyncOnce(targets.gateway);
await rsyncOnce(targets.sshd);
const results = { gateway: [], sshd: [] };
for (let i = 0; i < RUNS; i++) {
  for (const name of ['sshd', 'gateway']) {
    const r = await rsyncOnce(targets[name]);
    results[name].push(r);
    log(`run ${i + 1} ${name}: ${r.seconds.toFixed(2)} s, ${r.mbps.toFixed(1)} MB/s, ${r.files} files`);
  }
}
const lat = { gateway: await latency(targets.gateway), sshd: await latency(targets.sshd) };

const a = median(results.gateway.map((r) => r.mbps));
const b = median(results.sshd.map((r) => r.mbps));
const ratio = a / b;
console.log('');
console.log(`rsync -az of a ${(bytes / MB).toFixed(0)} MB tree of mixed file sizes (median of ${RUNS}, same run)`);
console.log(`  A  through Berth's gateway into an app   ${a.toFixed(1).padStart(7)} MB/s   (${targets.gateway.cipher})`);
console.log(`  B  to a local OpenSSH sshd on loopback    ${b.toFixed(1).padStart(7)} MB/s   (${targets.sshd.cipher})`);
console.log(`  A/B ${ratio.toFixed(2)}   target >= ${TARGET}   ${ratio >= TARGET ? 'MET' : 'NOT MET'}`);
console.log('');
console.log(`ssh ... true, median of ${LATENCY_RUNS}:  gateway ${lat.gateway.toFixed(0)} ms   sshd ${lat.sshd.toFixed(0)} ms`);
console.log('');
console.log(JSON.stringify({ bytes, runs: results, medianMBps: { gateway: a, sshd: b }, ratio, target: TARGET, met: ratio >= TARGET, sshTrueMs: lat }));

runSucceeded();
log('cleaning up');
await cleanup();
process.exit(0);
