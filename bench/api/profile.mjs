#!/usr/bin/env node
// Summarises a V8 .cpuprofile (from BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR"):
// self time by function and by package, in % of the sampled time that was not idle.
// Usage: node bench/api/profile.mjs FILE.cpuprofile [top=25]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/api/profile.mjs FILE.cpuprofile [top]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const hits = new Map();
const dt = profile.timeDeltas;
// Each sample's time is the delta to the next sample.
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  hits.set(id, (hits.get(id) ?? 0) + (dt[i + 1] ?? 0));
}
const IDLE = new Set(['(idle)', '(program)', '(root)']);
let busy = 0;
const fn = new Map();
const pkg = new Map();
for (const [id, us] of hits) {
  const node = byId.get(id);
  const { functionName, url, lineNumber } = node.callFrame;
  if (IDLE.has(functionName) && !url) continue;
  busy += us;
  const where = url ? url.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, '') : '';
  const key = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const owner = !url ? (functionName === '(garbage collector)' ? 'gc' : 'native') : url.includes('/node_modules/')
    ? url.replace(/.*\/node_modules\/((@[^/]+\/)?[^/]+).*/, '$1')
    : url.startsWith('node:') ? 'node core' : 'berth';
  pkg.set(owner, (pkg.get(owner) ?? 0) + us);
}
const pct = (us) => ((100 * us) / busy).toFixed(1).padStart(5);
console.log(`busy ${(busy / 1e6).toFixed(2)} s sampled\n\nby package (self time):`);
for (const [k, us] of [...pkg].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${pct(us)} %  ${k}`);
console.log(`\ntop ${top} functions (self time):`);
for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)} %  ${k}`);
