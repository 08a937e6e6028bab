// exdns benchmark: dnsperf on loopback against exdns and, in the same run, against the raw Node
// ceiling (bench/ceiling.mjs). Paths:
//   whoami       exdns answering every query with the whoami plugin (no data).
//   k8s_gateway  exdns serving 10,000 Ingresses + 10,000 LoadBalancer Services from manifests,
//                queried with 90% A for existing names, 5% AAAA, 5% nonexistent names.
// For each path: QPS at saturation (median of alternating rounds, ratio to the ceiling) and
// latency percentiles at a fixed rate; for k8s_gateway also time from spawn to /ready and RSS.
//
// usage: npm run bench [-- --path whoami|k8s_gateway|all --seconds 10 --rate 10000 --rounds 3
//                          --record --cpu-prof]
//   --record    append a dated section to bench/RESULTS.md
//   --cpu-prof  run exdns under `node --cpu-prof` (k8s_gateway path; the profile goes to
//               bench/out/prof/, summarised by bench/profile-summary.mjs)
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, appendFileSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import dgram from 'node:dgram';
import http from 'node:http';
import os from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as data from './k8s-data.mjs';
import { decode, encodeQuery, queryAll } from './dnsclient.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const seconds = Number(opt('seconds', '10'));
const rate = Number(opt('rate', '10000'));
const rounds = Number(opt('rounds', '3'));
const path = opt('path', 'all');
const record = args.includes('--record');
const cpuProf = args.includes('--cpu-prof');
if (!['whoami', 'k8s_gateway', 'all'].includes(path)) {
  console.error(`--path must be whoami, k8s_gateway or all (got ${path})`);
  process.exit(2);
}

if (spawnSync('sh', ['-c', 'command -v dnsperf'], { stdio: 'ignore' }).status !== 0) {
  spawnSync(process.execPath, [join(root, 'scripts/setup-test-tools.mjs')], { stdio: 'inherit' });
}

const node = process.execPath;
const tmp = mkdtempSync(join(os.tmpdir(), 'exdns-bench-'));
const outDir = join(root, 'bench/out'); // gitignored
const log = (msg) => console.error(`bench: ${msg}`);

// ---------------------------------------------------------------- helpers

function freeUdpPort() {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function freeTcpPort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Spawns a process and resolves once its stdout shows readyText. */
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

function stopProcess(p) {
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

function httpStatus(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** VmRSS / VmHWM of a process, in MB. */
function memOf(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

function dnsperf(port, queryFile, extra) {
  const argv = ['-s', '127.0.0.1', '-p', String(port), '-d', queryFile, '-l', String(seconds), '-c', '4', ...extra];
  const r = spawnSync('dnsperf', argv, { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`dnsperf failed: ${r.stderr}`);
  return r.stdout;
}

function statsOf(out) {
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

const rcodeText = (rcodes) => {
  const total = Object.values(rcodes).reduce((a, b) => a + b, 0);
  return Object.entries(rcodes)
    .map(([k, v]) => `${k} ${((100 * v) / total).toFixed(2)}%`)
    .join(', ');
};

/**
 * Latency percentiles from dnsperf -v, one line per response: "> NOERROR name A 0.000123".
 * Lost queries count as infinitely slow, so a percentile that falls on them shows as "lost".
 */
function percentiles(out) {
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

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs) => xs.map((x) => x.toFixed(0)).join(', ');

/** CPU seconds (user + system) a process has used so far, from /proc/PID/stat. */
function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/**
 * Alternating rounds, ceiling first, so drift (thermal, noisy neighbours) hits both alike. Also
 * the servers' CPU time per answered query, which dnsperf's scheduling disturbs less than QPS.
 */
function saturate(ceiling, exdns, queryFile) {
  const c = [];
  const e = [];
  const cpuC = [];
  const cpuE = [];
  let rcodes = {};
  let lost = 0;
  const run = (proc) => {
    const c0 = cpuSeconds(proc.pid);
    const st = statsOf(dnsperf(proc.port, queryFile, []));
    return { ...st, usPerQuery: ((cpuSeconds(proc.pid) - c0) / (st.qps * seconds)) * 1e6 };
  };
  for (let i = 0; i < rounds; i++) {
    const rc = run(ceiling);
    c.push(rc.qps);
    cpuC.push(rc.usPerQuery);
    const s = run(exdns);
    e.push(s.qps);
    cpuE.push(s.usPerQuery);
    lost += s.lost;
    for (const [k, v] of Object.entries(s.rcodes)) rcodes[k] = (rcodes[k] ?? 0) + v;
    log(`round ${i + 1}/${rounds}: ceiling ${rc.qps.toFixed(0)} QPS, exdns ${s.qps.toFixed(0)} QPS (${(s.qps / rc.qps).toFixed(2)})`);
  }
  const paired = e.map((x, i) => x / c[i]);
  return { c, e, cm: median(c), em: median(e), cpuC: median(cpuC), cpuE: median(cpuE), paired, rcodes, lost };
}

// ---------------------------------------------------------------- whoami path

async function benchWhoami() {
  const queries = join(tmp, 'whoami-queries.txt');
  writeFileSync(queries, Array.from({ length: 1000 }, (_, i) => `host${i}.example.org A`).join('\n') + '\n');
  const ceilPort = await freeUdpPort();
  const exPort = await freeUdpPort();
  const corefile = join(tmp, 'Corefile.whoami');
  writeFileSync(corefile, `.:${exPort} {\n    whoami\n}\n`);
  const ceiling = await startProcess(node, [join(root, 'bench/ceiling.mjs'), String(ceilPort)], 'listening');
  const exdns = await startProcess(node, [join(root, 'dist/src/cli.js'), '-conf', corefile], 'exdns-').catch(async (e) => {
    await stopProcess(ceiling);
    throw e;
  });
  try {
    log('whoami: saturation rounds');
    const s = saturate({ pid: ceiling.pid, port: ceilPort }, { pid: exdns.pid, port: exPort }, queries);
    log(`whoami: fixed rate ${rate} QPS`);
    const latC = percentiles(dnsperf(ceilPort, queries, ['-Q', String(rate), '-v']));
    const latE = percentiles(dnsperf(exPort, queries, ['-Q', String(rate), '-v']));
    const ratio = s.em / s.cm;
    return [
      `### whoami path`,
      '',
      `dnsperf -c 4 -l ${seconds}, ${rounds} alternating rounds, medians; 1,000 distinct A queries.`,
      '',
      `| server | QPS (median) | QPS samples | server CPU µs/query | p50 / p90 / p99 ms at ${rate} QPS |`,
      '|---|---|---|---|---|',
      `| raw Node ceiling | ${s.cm.toFixed(0)} | ${fmt(s.c)} | ${s.cpuC.toFixed(1)} | ${latC.p50} / ${latC.p90} / ${latC.p99} |`,
      `| exdns whoami | ${s.em.toFixed(0)} | ${fmt(s.e)} | ${s.cpuE.toFixed(1)} | ${latE.p50} / ${latE.p90} / ${latE.p99} |`,
      '',
      `exdns / ceiling = **${ratio.toFixed(2)}** (goal ≥ 0.7: ${ratio >= 0.7 ? 'pass' : 'FAIL'}; per-round ratios ${s.paired.map((x) => x.toFixed(2)).join(', ')})`,
      '',
    ].join('\n');
  } finally {
    await stopProcess(ceiling);
    await stopProcess(exdns);
  }
}

// ---------------------------------------------------------------- k8s_gateway path

const NI = 10_000;
const NS = 10_000;

/** Spot checks, so the load run never measures error replies. Throws on any wrong answer. */
async function checkAnswers(port) {
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

async function benchK8s() {
  const dataDir = join(outDir, 'k8s_gateway');
  let t = performance.now();
  const { manifests, queryFile } = data.generate(dataDir, { ingresses: NI, services: NS, queries: 100_000 });
  log(`k8s_gateway: generated ${NI} Ingresses + ${NS} Services in ${dataDir} (${(performance.now() - t).toFixed(0)} ms)`);

  const exPort = await freeUdpPort();
  const readyPort = await freeTcpPort();
  const ceilPort = await freeUdpPort();
  const corefile = join(tmp, 'Corefile.k8s');
  writeFileSync(
    corefile,
    `.:${exPort} {\n    k8s_gateway ${data.ZONE} {\n        manifests ${manifests}\n        resources Ingress Service\n    }\n    ready 127.0.0.1:${readyPort}\n}\n`,
  );

  const profDir = join(outDir, 'prof');
  // As shipped (the exdns shebang and npm start): a small young generation and a slowly growing
  // old one keep RSS down (see the k8s_gateway reading in RESULTS.md).
  const nodeFlags = ['--max-semi-space-size=4', '--heap-growing-percent=20', ...(cpuProf ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [])];
  if (cpuProf) mkdirSync(profDir, { recursive: true });

  // The ceiling starts first, so it does not compete with exdns's loading; it idles meanwhile.
  const ceiling = await startProcess(node, [join(root, 'bench/ceiling.mjs'), String(ceilPort)], 'listening');
  // Time to ready: from spawn until /ready answers 200, polled every 20 ms. Polled alongside: a
  // DNS query for an existing name, until it gets its right answer. The two should coincide; if
  // /ready says 200 while queries still fail, that is a readiness bug and the later time counts.
  t = performance.now();
  const exdns = spawn(node, [...nodeFlags, join(root, 'dist/src/cli.js'), '-conf', corefile], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  let bannerMs;
  exdns.stdout.on('data', (d) => {
    stdout += d;
    if (bannerMs === undefined && stdout.includes('exdns-')) bannerMs = performance.now() - t;
  });
  let exited = false;
  exdns.on('exit', () => (exited = true));
  let readyHttpMs;
  let answerMs;
  let readyMs;
  // Each 20 ms tick fires one /ready GET and one DNS query without waiting for the previous ones
  // (the server's event loop is busy while it loads); the first good reply's arrival counts.
  const probeSock = dgram.createSocket('udp4');
  await new Promise((r) => probeSock.bind(0, '127.0.0.1', r));
  probeSock.on('message', (msg) => {
    const r = decode(msg);
    if (answerMs === undefined && r.rcode === 'NOERROR' && r.answers[0]?.data === data.ingressV4(NI - 1)) answerMs = performance.now() - t;
  });
  const probe = encodeQuery(1, data.ingressHost(NI - 1), 'A');
  try {
    for (;;) {
      if (exited) throw new Error(`exdns exited before ready: ${stdout}`);
      if (performance.now() - t > 120_000) throw new Error('exdns not ready after 120 s');
      if (readyHttpMs !== undefined && answerMs !== undefined) {
        readyMs = Math.max(readyHttpMs, answerMs);
        break;
      }
      if (readyHttpMs === undefined) {
        httpStatus(`http://127.0.0.1:${readyPort}/ready`).then((st) => {
          if (st === 200 && readyHttpMs === undefined) readyHttpMs = performance.now() - t;
        });
      }
      if (answerMs === undefined) probeSock.send(probe, exPort, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 20));
    }
    probeSock.close();
    const memReady = memOf(exdns.pid);
    const early = readyHttpMs + 20 < answerMs;
    if (early) log(`k8s_gateway: WARNING /ready answered 200 at ${readyHttpMs.toFixed(0)} ms, before queries were answered (${answerMs.toFixed(0)} ms)`);
    log(
      `k8s_gateway: ready after ${readyMs.toFixed(0)} ms (/ready 200 at ${readyHttpMs.toFixed(0)} ms, first right answer at ${answerMs.toFixed(0)} ms, ` +
        `banner at ${bannerMs?.toFixed(0)} ms), RSS ${memReady.rss.toFixed(1)} MB`,
    );

    const checked = await checkAnswers(exPort);
    log(`k8s_gateway: ${checked} spot-check answers correct`);

    log('k8s_gateway: saturation rounds');
    const s = saturate({ pid: ceiling.pid, port: ceilPort }, { pid: exdns.pid, port: exPort }, queryFile);
    log(`k8s_gateway: fixed rate ${rate} QPS`);
    const latC = percentiles(dnsperf(ceilPort, queryFile, ['-Q', String(rate), '-v']));
    const latE = percentiles(dnsperf(exPort, queryFile, ['-Q', String(rate), '-v']));
    const memAfter = memOf(exdns.pid);
    // Check again after the load: still the same answers.
    await checkAnswers(exPort);

    const ratio = s.em / s.cm;
    const rssMax = Math.max(memReady.rss, memAfter.rss);
    const pf = (ok) => (ok ? 'pass' : '**FAIL**');
    const badRcodes = Object.keys(s.rcodes).filter((k) => k !== 'NOERROR' && k !== 'NXDOMAIN');
    return [
      `### k8s_gateway path`,
      '',
      `${NI.toLocaleString('en')} Ingresses + ${NS.toLocaleString('en')} LoadBalancer Services from ${Math.ceil(NI / 1000) + Math.ceil(NS / 1000)} multi-document YAML files ` +
        `(bench/k8s-data.mjs); 100,000-line query file, shuffled (seed 42): 90% A for existing names (half Ingress hosts, half ` +
        `\`svc-N.ns-M\` names), 5% AAAA (4/5 with an IPv6 answer, 1/5 NODATA), 5% nonexistent names. ` +
        `dnsperf -c 4 -l ${seconds}, ${rounds} alternating rounds with the ceiling (same query file), medians. ` +
        `${checked} spot-check answers verified before and after the load.`,
      '',
      `| server | QPS (median) | QPS samples | server CPU µs/query | p50 / p90 / p99 / p99.9 ms at ${rate} QPS | lost at ${rate} QPS |`,
      '|---|---|---|---|---|---|',
      `| raw Node ceiling | ${s.cm.toFixed(0)} | ${fmt(s.c)} | ${s.cpuC.toFixed(1)} | ${latC.p50} / ${latC.p90} / ${latC.p99} / ${latC.p999} | ${latC.lost} |`,
      `| exdns k8s_gateway | ${s.em.toFixed(0)} | ${fmt(s.e)} | ${s.cpuE.toFixed(1)} | ${latE.p50} / ${latE.p90} / ${latE.p99} / ${latE.p999} | ${latE.lost} |`,
      '',
      `Response codes (exdns, saturation rounds): ${rcodeText(s.rcodes)}; queries lost: ${s.lost}. ` +
        `At ${rate} QPS: ${rcodeText(latE.rcodes)}, achieved ${latE.qps.toFixed(0)} QPS.`,
      '',
      '| goal | target | measured | result |',
      '|---|---|---|---|',
      `| QPS vs raw Node ceiling (same run) | ≥ 0.85× | ${ratio.toFixed(2)}× (${s.em.toFixed(0)} / ${s.cm.toFixed(0)}; per-round ${s.paired.map((x) => x.toFixed(2)).join(', ')}; CPU per query ${(s.cpuC / s.cpuE).toFixed(2)}×) | ${pf(ratio >= 0.85)} |`,
      `| p99 latency at ${rate} QPS | reported | ${latE.p99} ms (ceiling ${latC.p99} ms) | ${latE.lost === 0 ? 'reported' : `**${latE.lost} lost**`} |`,
      `| RSS with 20,000 objects loaded | ≤ 150 MB | ${memReady.rss.toFixed(1)} MB at ready, ${memAfter.rss.toFixed(1)} MB after load (peak VmHWM ${memAfter.hwm.toFixed(1)} MB) | ${pf(rssMax <= 150)} |`,
      `| time from start to ready | reported | ${readyMs.toFixed(0)} ms (spawn → /ready 200 at ${readyHttpMs.toFixed(0)} ms and first right answer at ${answerMs.toFixed(0)} ms; startup banner at ${bannerMs?.toFixed(0) ?? '?'} ms) | ${early ? '**/ready 200 came before the data was served**' : 'reported'} |`,
      `| answers correct, no error rcodes | — | ${checked} spot checks ×2; rcodes ${badRcodes.length ? badRcodes.join(', ') : 'NOERROR/NXDOMAIN only'} | ${pf(badRcodes.length === 0)} |`,
      '',
    ].join('\n');
  } finally {
    await stopProcess(ceiling);
    await stopProcess(exdns);
    if (cpuProf) {
      const profs = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
      log(`k8s_gateway: CPU profiles in ${profDir}: ${profs.join(', ')} (node bench/profile-summary.mjs FILE)`);
    }
  }
}

// ---------------------------------------------------------------- main

const sections = [];
try {
  if (path === 'whoami' || path === 'all') sections.push(await benchWhoami());
  if (path === 'k8s_gateway' || path === 'all') sections.push(await benchK8s());
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const dnsperfVersion = /Version (\S+)/.exec((({ stdout, stderr }) => stdout + stderr)(spawnSync('dnsperf', ['-h'], { encoding: 'utf8' })))?.[1] ?? '?';
const cmd = `npm run bench -- ${args.length ? args.join(' ') : ''}`.trim().replace(/ --$/, '');
const report = [
  `## ${path === 'all' ? 'whoami and k8s_gateway paths' : `${path} path`} vs raw Node ceiling (${new Date().toISOString().slice(0, 10)}, node ${process.version})`,
  '',
  `Command: \`${cmd}\` (effective: --path ${path} --seconds ${seconds} --rate ${rate} --rounds ${rounds}${cpuProf ? ' --cpu-prof' : ''})`,
  '',
  `Machine: ${os.availableParallelism()} vCPUs (nproc), ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
    `${os.type()} ${os.release()}, node ${process.version}, dnsperf ${dnsperfVersion}; dnsperf and servers share the loopback machine.` +
    (cpuProf ? ' **exdns ran under --cpu-prof: numbers are not comparable.**' : ''),
  '',
  ...sections,
].join('\n');
console.log(report);
if (record) appendFileSync(join(root, 'bench/RESULTS.md'), '\n' + report);
