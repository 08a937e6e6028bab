// exdns benchmark: dnsperf on loopback against exdns and, in the same run, against the raw Node
// ceiling (bench/ceiling.mjs). Paths:
//   whoami       exdns answering every query with the whoami plugin (no data).
//   k8s_gateway  exdns serving 10,000 Ingresses + 10,000 LoadBalancer Services from manifests,
//                queried with 90% A for existing names, 5% AAAA, 5% nonexistent names.
//   cache        exdns answering from a warmed `cache` in front of k8s_gateway (every measured
//                query a hit, checked with the cache metrics), against the ceiling.
//   forward      exdns `forward . NSD` in front of a real NSD, against that NSD queried directly
//                (no ceiling); QPS and latency at saturation and at the fixed rate.
// (cache and forward are in bench/chain.mjs.)
// For each path: QPS at saturation (median of alternating rounds, ratio to the ceiling) and
// latency percentiles at a fixed rate; for k8s_gateway also time from spawn to /ready and RSS.
//
// usage: npm run bench [-- --path whoami|k8s_gateway|cache|forward|all --seconds 10 --rate 10000
//                          --rounds 3 --record --cpu-prof]
//   --record    append a dated section to bench/RESULTS.md
//   --cpu-prof  run exdns under `node --cpu-prof` (k8s_gateway, cache and forward paths; the
//               profile goes to bench/out/prof/, summarised by bench/profile-summary.mjs)
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, appendFileSync, readdirSync, rmSync } from 'node:fs';
import dgram from 'node:dgram';
import os from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as data from './k8s-data.mjs';
import { decode, encodeQuery } from './dnsclient.mjs';
import {
  checkK8sAnswers,
  cpuSeconds,
  dnsperf as runDnsperf,
  fmt,
  freeTcpPort,
  freeUdpPort,
  httpStatus,
  median,
  memOf,
  percentiles,
  rcodeText,
  startProcess,
  statsOf,
  stopProcess,
} from './common.mjs';
import { benchCache, benchForward } from './chain.mjs';

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
if (!['whoami', 'k8s_gateway', 'cache', 'forward', 'all'].includes(path)) {
  console.error(`--path must be whoami, k8s_gateway, cache, forward or all (got ${path})`);
  process.exit(2);
}

const needNsd = path === 'forward' || path === 'all';
const tools = needNsd ? 'command -v dnsperf && { command -v nsd || test -x /usr/sbin/nsd; }' : 'command -v dnsperf';
if (spawnSync('sh', ['-c', tools], { stdio: 'ignore' }).status !== 0) {
  spawnSync(process.execPath, [join(root, 'scripts/setup-test-tools.mjs')], { stdio: 'inherit' });
}

const node = process.execPath;
const tmp = mkdtempSync(join(os.tmpdir(), 'exdns-bench-'));
const outDir = join(root, 'bench/out'); // gitignored
const log = (msg) => console.error(`bench: ${msg}`);

// ---------------------------------------------------------------- helpers

const dnsperf = (port, queryFile, extra) => runDnsperf(port, queryFile, extra, seconds);

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
const checkAnswers = (port) => checkK8sAnswers(port, NI, NS);

async function benchK8s() {
  const dataDir = join(outDir, 'k8s_gateway');
  let t = performance.now();
  const { manifests, queryFile, zoneFile } = data.generate(dataDir, { ingresses: NI, services: NS, queries: 100_000 });
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
  const ceiling = await startProcess(node, [join(root, 'bench/ceiling.mjs'), String(ceilPort), zoneFile], 'listening');
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
  const ctx = { root, node, tmp, outDir, seconds, rate, rounds, cpuProf, log };
  if (path === 'cache' || path === 'all') sections.push(await benchCache(ctx));
  if (path === 'forward' || path === 'all') sections.push(await benchForward(ctx));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const dnsperfVersion = /Version (\S+)/.exec((({ stdout, stderr }) => stdout + stderr)(spawnSync('dnsperf', ['-h'], { encoding: 'utf8' })))?.[1] ?? '?';
const cmd = `npm run bench -- ${args.length ? args.join(' ') : ''}`.trim().replace(/ --$/, '');
const title = {
  all: 'whoami, k8s_gateway and cache paths vs raw Node ceiling, forward path vs NSD',
  forward: 'forward path vs NSD queried directly',
}[path] ?? `${path} path vs raw Node ceiling`;
const report = [
  `## ${title} (${new Date().toISOString().slice(0, 10)}, node ${process.version})`,
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
