// ad hoc: CPU per request at a fixed rate. node cpu-per-req.tmp.mjs PID URL TOKEN RATE SECONDS
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
const [pid, url, token, rate = '2500', secs = '10'] = process.argv.slice(2);
const ticks = () => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return [Number(f[11]), Number(f[12])]; };
const opts = { url, connections: 32, duration: Number(secs), overallRate: Number(rate), headers: { authorization: `Token ${token}` } };
await autocannon({ ...opts, duration: 2 });
const [u0, s0] = ticks();
const r = await autocannon(opts);
const [u1, s1] = ticks();
const n = r.requests.total;
console.log(`${n} reqs non2xx ${r.non2xx} p99 ${r.latency.p99}ms user ${((u1 - u0) * 1e4 / n).toFixed(1)}us/req sys ${((s1 - s0) * 1e4 / n).toFixed(1)}us/req`);
