// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per file, and
// inclusive time of the heaviest functions, optionally within a time window of the profile.
// usage: node bench/profile-summary.mjs FILE.cpuprofile [--top 30] [--from SEC] [--to SEC]
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const file = args[0];
const opt = (n, d) => {
  const i = args.indexOf(`--${n}`);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const top = opt('top', 30);
const from = opt('from', 0) * 1e6;
const to = opt('to', Infinity) * 1e6;
if (!file) {
  console.error('usage: node bench/profile-summary.mjs FILE.cpuprofile [--top 30] [--from SEC] [--to SEC]');
  process.exit(2);
}
const prof = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const short = (url) => url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/').replace(/^node:/, 'node:');
const label = (n) => {
  const cf = n.callFrame;
  const where = cf.url ? `${short(cf.url)}:${cf.lineNumber + 1}` : '';
  return `${cf.functionName || '(anonymous)'} ${where}`.trim();
};

// Sample weights: timeDeltas[i] is the time before sample i.
const self = new Map();
const incl = new Map();
const byFile = new Map();
let total = 0;
let t = prof.startTime;
for (let i = 0; i < prof.samples.length; i++) {
  t += prof.timeDeltas[i] ?? 0;
  const rel = t - prof.startTime;
  if (rel < from || rel > to) continue;
  const dt = prof.timeDeltas[i + 1] ?? 0;
  const id = prof.samples[i];
  const n = nodes.get(id);
  total += dt;
  const l = label(n);
  self.set(l, (self.get(l) ?? 0) + dt);
  const f = n.callFrame.url ? short(n.callFrame.url) : `(${n.callFrame.functionName || 'native'})`;
  byFile.set(f, (byFile.get(f) ?? 0) + dt);
  const seen = new Set();
  for (let p = id; p !== undefined; p = parent.get(p)) {
    const pl = label(nodes.get(p));
    if (seen.has(pl)) continue;
    seen.add(pl);
    incl.set(pl, (incl.get(pl) ?? 0) + dt);
  }
}
const pct = (v) => `${((100 * v) / total).toFixed(1).padStart(5)}%`;
const show = (title, m) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)}  ${(v / 1000).toFixed(0).padStart(7)} ms  ${k}`);
};
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled${from || to < Infinity ? ` (window ${from / 1e6}-${to / 1e6} s)` : ''}`);
show('self time by function', self);
show('self time by file', byFile);
show('inclusive time by function', incl);
