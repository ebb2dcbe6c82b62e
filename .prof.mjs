import fs from 'node:fs';
const file = fs.readdirSync('/tmp/prof')[0];
const prof = JSON.parse(fs.readFileSync('/tmp/prof/' + file));
const self = new Map(); const byId = new Map(prof.nodes.map(n => [n.id, n]));
const dt = prof.timeDeltas; const counts = new Map();
prof.samples.forEach((id, i) => counts.set(id, (counts.get(id) || 0) + (dt[i] || 0)));
let total = 0;
for (const [id, t] of counts) { const n = byId.get(id); const cf = n.callFrame; const key = `${cf.functionName || '(anon)'} ${cf.url.replace(/.*node_modules\//, '').replace('file:///work/main/', '')}:${cf.lineNumber}`; self.set(key, (self.get(key) || 0) + t); total += t; }
// by package
const pkg = new Map();
for (const [k, t] of self) { const m = /\s(@?[^/ ]+(?:\/[^/ ]+)?)\//.exec(k); const p = k.includes('dist/src') ? 'berth' : k.includes('node:') ? 'node-internal' : (m ? m[1] : k.split(' ')[0]); pkg.set(p, (pkg.get(p) || 0) + t); }
console.log([...pkg].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, t]) => `${(100 * t / total).toFixed(1)}% ${k}`).join('\n'));
console.log('---');
console.log([...self].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, t]) => `${(100 * t / total).toFixed(1)}% ${k}`).join('\n'));
