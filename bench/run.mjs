// exdns benchmark: dnsperf on loopback against exdns (whoami path) and, in the same run, against
// the raw Node ceiling. Prints QPS at saturation and latency percentiles at a fixed rate.
// usage: npm run bench [-- --seconds 10 --rate 10000 --record]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, appendFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const seconds = Number(opt('seconds', '10'));
const rate = Number(opt('rate', '10000'));
const record = args.includes('--record');
const rounds = Number(opt('rounds', '3'));

if (spawnSync('sh', ['-c', 'command -v dnsperf'], { stdio: 'ignore' }).status !== 0) {
  spawnSync(process.execPath, [join(root, 'scripts/setup-test-tools.mjs')], { stdio: 'inherit' });
}

const dir = mkdtempSync(join(tmpdir(), 'exdns-bench-'));
const queries = join(dir, 'queries.txt');
writeFileSync(queries, Array.from({ length: 1000 }, (_, i) => `host${i}.example.org A`).join('\n') + '\n');

function startProcess(cmd, argv, readyText) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const t = setTimeout(() => reject(new Error(`${cmd} did not start: ${out}`)), 15000);
    p.stdout.on('data', (d) => {
      out += d;
      if (out.includes(readyText)) {
        clearTimeout(t);
        resolve(p);
      }
    });
    p.on('exit', (c) => reject(new Error(`${cmd} exited ${c}: ${out}`)));
  });
}

function dnsperf(port, extra) {
  const r = spawnSync('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', queries, '-l', String(seconds), '-c', '4', ...extra], {
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`dnsperf failed: ${r.stderr}`);
  return r.stdout;
}

function qpsOf(out) {
  const m = /Queries per second:\s+([\d.]+)/.exec(out);
  const lost = /Queries lost:\s+(\d+)/.exec(out);
  return { qps: m ? Number(m[1]) : 0, lost: lost ? Number(lost[1]) : -1 };
}

function percentiles(out) {
  // dnsperf -v prints one line per response: "> NOERROR host1.example.org A 0.000123"
  const lat = [];
  for (const line of out.split('\n')) {
    const m = /^> \S+ .* ([\d.]+)$/.exec(line);
    if (m) lat.push(Number(m[1]) * 1000);
  }
  lat.sort((a, b) => a - b);
  const p = (x) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor((x / 100) * lat.length))].toFixed(3) : 'n/a');
  return { n: lat.length, p50: p(50), p90: p(90), p99: p(99) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const node = process.execPath;
const ceilPort = 5399;
const exPort = 5398;
const corefile = join(dir, 'Corefile');
writeFileSync(corefile, `.:${exPort} {\n    whoami\n}\n`);

const ceiling = await startProcess(node, [join(root, 'bench/ceiling.mjs'), String(ceilPort)], 'listening');
const exdns = await startProcess(node, [join(root, 'dist/src/cli.js'), '-conf', corefile], 'exdns-');
const results = { ceiling: [], exdns: [] };
try {
  for (let i = 0; i < rounds; i++) {
    results.ceiling.push(qpsOf(dnsperf(ceilPort, [])).qps);
    results.exdns.push(qpsOf(dnsperf(exPort, [])).qps);
  }
  const latC = percentiles(dnsperf(ceilPort, ['-Q', String(rate), '-v']));
  const latE = percentiles(dnsperf(exPort, ['-Q', String(rate), '-v']));
  const c = median(results.ceiling);
  const e = median(results.exdns);
  const ratio = (e / c).toFixed(2);
  const cmd = `npm run bench -- --seconds ${seconds} --rate ${rate} --rounds ${rounds}`;
  const report = [
    `## whoami path vs raw Node ceiling (${new Date().toISOString().slice(0, 10)}, node ${process.version})`,
    '',
    `Command: \`${cmd}\` (dnsperf -c 4 -l ${seconds}, loopback, ${rounds} alternating rounds, medians)`,
    '',
    '| server | QPS (median) | QPS samples | p50 / p90 / p99 ms at ' + rate + ' QPS |',
    '|---|---|---|---|',
    `| raw Node ceiling | ${c.toFixed(0)} | ${results.ceiling.map((x) => x.toFixed(0)).join(', ')} | ${latC.p50} / ${latC.p90} / ${latC.p99} |`,
    `| exdns whoami | ${e.toFixed(0)} | ${results.exdns.map((x) => x.toFixed(0)).join(', ')} | ${latE.p50} / ${latE.p90} / ${latE.p99} |`,
    '',
    `exdns / ceiling = **${ratio}** (goal ≥ 0.7)`,
    '',
  ].join('\n');
  console.log(report);
  if (record) appendFileSync(join(root, 'bench/RESULTS.md'), '\n' + report);
} finally {
  ceiling.kill('SIGTERM');
  exdns.kill('SIGTERM');
}
