// Helpers shared by the paths of `npm run bench` (bench/run.mjs, bench/chain.mjs): ports,
// processes, dnsperf and its output, CPU time of the servers.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import dgram from 'node:dgram';
import http from 'node:http';
import * as data from './k8s-data.mjs';
import { queryAll } from './dnsclient.mjs';

export function freeUdpPort() {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export function freeTcpPort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Spawns a process and resolves once its stdout shows readyText. */
export function startProcess(cmd, argv, readyText) {
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

export function stopProcess(p) {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => p.kill('SIGKILL'), 10000);
    p.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    p.kill('SIGTERM');
  });
}

export function httpStatus(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/**
 * The body of a GET, or a rejection when the status is not 200. A fresh connection each time:
 * between two scrapes dnsperf runs synchronously, longer than the server keeps an idle
 * keep-alive connection open, and a reused one would then hang up.
 */
export function httpText(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 5000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${url}: ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on('error', reject);
  });
}

/** VmRSS / VmHWM of a process, in MB. */
export function memOf(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

export function dnsperf(port, queryFile, extra, seconds) {
  const argv = ['-s', '127.0.0.1', '-p', String(port), '-d', queryFile, '-l', String(seconds), '-c', '4', ...extra];
  const r = spawnSync('dnsperf', argv, { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`dnsperf failed: ${r.stderr}`);
  return r.stdout;
}

export function statsOf(out) {
  const num = (re) => Number(re.exec(out)?.[1] ?? NaN);
  const rcodes = {};
  const rc = /Response codes:\s+(.*)/.exec(out);
  if (rc) for (const m of rc[1].matchAll(/([A-Z]+) (\d+)/g)) rcodes[m[1]] = Number(m[2]);
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    sent: num(/Queries sent:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    rcodes,
  };
}

export const rcodeText = (rcodes) => {
  const total = Object.values(rcodes).reduce((a, b) => a + b, 0);
  return Object.entries(rcodes)
    .map(([k, v]) => `${k} ${((100 * v) / total).toFixed(2)}%`)
    .join(', ');
};

/**
 * Latency percentiles from dnsperf -v, one line per response: "> NOERROR name A 0.000123".
 * Lost queries count as infinitely slow, so a percentile that falls on them shows as "lost".
 */
export function percentiles(out) {
  const lat = [];
  for (const line of out.split('\n')) {
    const m = /^> \S+ .* ([\d.]+)$/.exec(line);
    if (m) lat.push(Number(m[1]) * 1000);
  }
  const { lost, rcodes, qps } = statsOf(out);
  for (let i = 0; i < (lost || 0); i++) lat.push(Infinity);
  lat.sort((a, b) => a - b);
  const p = (x) => {
    if (!lat.length) return 'n/a';
    const v = lat[Math.min(lat.length - 1, Math.ceil((x / 100) * lat.length) - 1)];
    return Number.isFinite(v) ? v.toFixed(3) : 'lost';
  };
  return { n: lat.length, lost, rcodes, qps, p50: p(50), p90: p(90), p99: p(99), p999: p(99.9), max: p(100) };
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const fmt = (xs) => xs.map((x) => x.toFixed(0)).join(', ');

/** CPU seconds (user + system) a process has used so far, from /proc/PID/stat. */
export function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/**
 * CPU seconds of a process and all its live descendants (NSD serves from forked children, whose
 * time reaches the parent's stat only when they exit).
 */
export function treeCpuSeconds(pid) {
  const parent = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const f = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ');
      parent.set(Number(d), Number(f[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  let sum = 0;
  for (const p of parent.keys()) {
    for (let a = p, hops = 0; a > 1 && hops < 64; a = parent.get(a) ?? 0, hops++) {
      if (a === pid) {
        try {
          sum += cpuSeconds(p);
        } catch {
          // Gone meanwhile.
        }
        break;
      }
    }
  }
  return sum;
}

/** Spot checks, so the load run never measures error replies. Throws on any wrong answer. */
export async function checkK8sAnswers(port, NI, NS) {
  const rnd = data.prng(7);
  const pick = (n) => Math.floor(rnd() * n);
  const cases = [];
  for (let k = 0; k < 200; k++) {
    const i = pick(NI);
    cases.push({ name: data.ingressHost(i), type: 'A', rcode: 'NOERROR', want: [data.ingressV4(i)] });
    const j = pick(NS);
    cases.push({ name: data.serviceHost(j), type: 'A', rcode: 'NOERROR', want: [data.serviceV4(j)] });
  }
  for (let k = 0; k < 50; k++) {
    const i = pick(NI / 10) * 10;
    cases.push({ name: data.ingressHost(i), type: 'AAAA', rcode: 'NOERROR', want: [data.ingressV6(i)] });
    cases.push({ name: data.serviceHost(pick(NS)), type: 'AAAA', rcode: 'NOERROR', want: [] }); // NODATA
    cases.push({ name: `app-${NI + pick(1e6)}.${data.ZONE}`, type: 'A', rcode: 'NXDOMAIN', want: [] });
    cases.push({ name: `svc-${pick(NS)}.ns-${100 + pick(100)}.${data.ZONE}`, type: 'A', rcode: 'NXDOMAIN', want: [] });
  }
  // The edges of the generated ranges.
  cases.push({ name: data.ingressHost(NI - 1), type: 'A', rcode: 'NOERROR', want: [data.ingressV4(NI - 1)] });
  cases.push({ name: data.serviceHost(NS - 1), type: 'A', rcode: 'NOERROR', want: [data.serviceV4(NS - 1)] });
  const replies = await queryAll(port, cases);
  const bad = [];
  cases.forEach((c, k) => {
    const r = replies[k];
    const got = r.answers.filter((a) => a.type === c.type).map((a) => a.data).sort();
    const ok = r.rcode === c.rcode && r.aa && got.join(',') === [...c.want].sort().join(',') && (c.want.length > 0 || r.authority === 1);
    if (!ok) bad.push(`${c.name} ${c.type}: want ${c.rcode} [${c.want}], got ${r.rcode} aa=${r.aa} [${got}] ns=${r.authority}`);
  });
  if (bad.length) throw new Error(`k8s_gateway answers are wrong (${bad.length}/${cases.length}):\n  ${bad.slice(0, 10).join('\n  ')}`);
  return cases.length;
}
