// The rest of the plugin chain for `npm run bench` (bench/run.mjs):
//   cache    exdns answering from its cache: `cache` in front of k8s_gateway (1,000 Ingresses +
//            1,000 LoadBalancer Services), the cache warmed with every name of the query file, so
//            every measured query is a hit (checked with coredns_cache_hits_total, scraped from
//            a prometheus plugin in a side server block); against the raw Node ceiling.
//   forward  exdns `forward . NSD` in front of a real NSD (test/upstream/authoritative.ts),
//            against querying that NSD directly.
// Both alternate their two servers round by round with dnsperf, like the other paths.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import { join } from 'node:path';
import * as data from './k8s-data.mjs';
import { queryAll } from './dnsclient.mjs';
import {
  checkK8sAnswers,
  cpuSeconds,
  dnsperf,
  fmt,
  freeTcpPort,
  freeUdpPort,
  httpStatus,
  httpText,
  median,
  percentiles,
  rcodeText,
  startProcess,
  statsOf,
  stopProcess,
  treeCpuSeconds,
} from './common.mjs';
import { findNsd, startAuthoritative } from '../test/upstream/authoritative.ts';

const pf = (ok) => (ok ? 'pass' : '**FAIL**');
const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(' / ');

/** As shipped (the exdns shebang and npm start), plus --cpu-prof when asked for. */
function nodeFlags(ctx) {
  const profDir = join(ctx.outDir, 'prof');
  if (ctx.cpuProf) mkdirSync(profDir, { recursive: true });
  return ['--max-semi-space-size=4', '--heap-growing-percent=20', ...(ctx.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [])];
}

async function waitReady(url, proc, what) {
  const t0 = Date.now();
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${what} exited before ready`);
    if ((await httpStatus(url)) === 200) return Date.now() - t0;
    if (Date.now() - t0 > 60_000) throw new Error(`${what} not ready after 60 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * One dnsperf run against `server` ({ port, cpu: { name: () => seconds }, before?, after? }):
 * its stats, CPU µs per answered query for each of server.cpu, latency percentiles when `extra`
 * has -v, and what server.after(server.before()) makes of the run (cache metrics).
 */
async function runOnce(ctx, server, queryFile, extra) {
  const mark = server.before ? await server.before() : undefined;
  const c0 = Object.fromEntries(Object.entries(server.cpu).map(([k, f]) => [k, f()]));
  const out = dnsperf(server.port, queryFile, extra, ctx.seconds);
  const c1 = Object.fromEntries(Object.entries(server.cpu).map(([k, f]) => [k, f()]));
  const st = statsOf(out);
  const answered = st.qps * ctx.seconds;
  const us = Object.fromEntries(Object.keys(c0).map((k) => [k, ((c1[k] - c0[k]) / answered) * 1e6]));
  const lat = extra.includes('-v') ? percentiles(out) : undefined;
  const after = server.after ? await server.after(mark, st) : undefined;
  return { ...st, us, lat, after };
}

/**
 * Alternating rounds over `servers` (in the given order each round), so drift hits all alike.
 * Returns per server: the runs, QPS samples and their median.
 */
async function alternate(ctx, what, servers, queryFile, extra) {
  const runs = servers.map(() => []);
  for (let i = 0; i < ctx.rounds; i++) {
    for (const [k, s] of servers.entries()) runs[k].push(await runOnce(ctx, s, queryFile, extra));
    const qs = runs.map((r) => r[i].qps);
    ctx.log(
      `${what}: round ${i + 1}/${ctx.rounds}: ` +
        servers.map((s, k) => `${s.label} ${qs[k].toFixed(0)} QPS`).join(', ') +
        ` (${(qs[qs.length - 1] / qs[0]).toFixed(2)})`,
    );
  }
  return runs.map((r) => ({ runs: r, qps: r.map((x) => x.qps), qpsMedian: median(r.map((x) => x.qps)) }));
}

const sumRcodes = (runs) => {
  const out = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.rcodes)) out[k] = (out[k] ?? 0) + v;
  return out;
};

// ---------------------------------------------------------------- cache path

const CNI = 1_000;
const CNS = 1_000;

/** coredns_cache_* of one server label, from a /metrics text. */
function cacheCounters(text, server) {
  const sum = (name, type) => {
    let s = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`) || !line.includes(`server="${server}"`)) continue;
      if (type !== undefined && !line.includes(`type="${type}"`)) continue;
      s += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return s;
  };
  return {
    requests: sum('coredns_cache_requests_total'),
    hits: sum('coredns_cache_hits_total'),
    successHits: sum('coredns_cache_hits_total', 'success'),
    denialHits: sum('coredns_cache_hits_total', 'denial'),
    misses: sum('coredns_cache_misses_total'),
    stale: sum('coredns_cache_served_stale_total'),
    evictions: sum('coredns_cache_evictions_total'),
    successEntries: sum('coredns_cache_entries', 'success'),
    denialEntries: sum('coredns_cache_entries', 'denial'),
  };
}

export async function benchCache(ctx) {
  const dataDir = join(ctx.outDir, 'cache');
  const { manifests, queryFile, zoneFile } = data.generate(dataDir, { ingresses: CNI, services: CNS, queries: 10_000 });
  const lines = readFileSync(queryFile, 'utf8').split('\n').filter((l) => l !== '');
  const distinct = [...new Set(lines)].map((l) => {
    const [name, type] = l.split(' ');
    return { name, type };
  });

  const exPort = await freeUdpPort();
  const sidePort = await freeUdpPort();
  const metricsPort = await freeTcpPort();
  const readyPort = await freeTcpPort();
  const ceilPort = await freeUdpPort();
  const server = `dns://:${exPort}`;
  const corefile = join(ctx.tmp, 'Corefile.cache');
  // MINTTL 3600: k8s_gateway's records and its SOA (the negative TTL) say 60 s; raised to an
  // hour, no entry expires during the run. The measured block has nothing but cache and its
  // backend; prometheus sits in a side block (the cache counters are process-wide).
  const conf = [
    `${data.ZONE}:${exPort} {`,
    '    cache 3600 {',
    '        success 10000 3600 3600',
    '        denial 10000 3600 3600',
    '    }',
    `    k8s_gateway ${data.ZONE} {`,
    `        manifests ${manifests}`,
    '        resources Ingress Service',
    '    }',
    `    ready 127.0.0.1:${readyPort}`,
    '}',
    `.:${sidePort} {`,
    `    prometheus 127.0.0.1:${metricsPort}`,
    '    whoami',
    '}',
    '',
  ].join('\n');
  writeFileSync(corefile, conf);
  const load = loadavg();

  const ceiling = await startProcess(ctx.node, [join(ctx.root, 'bench/ceiling.mjs'), String(ceilPort), zoneFile], 'listening');
  const exdns = await startProcess(ctx.node, [...nodeFlags(ctx), join(ctx.root, 'dist/src/cli.js'), '-conf', corefile], 'exdns-').catch(async (e) => {
    await stopProcess(ceiling);
    throw e;
  });
  const metrics = async () => cacheCounters(await httpText(`http://127.0.0.1:${metricsPort}/metrics`), server);
  try {
    await waitReady(`http://127.0.0.1:${readyPort}/ready`, exdns, 'exdns');

    // Warm-up: every distinct question of the query file once (all misses), then once more (all
    // hits): every reply must come back, and the second pass must not reach k8s_gateway.
    const m0 = await metrics();
    const warm1 = await queryAll(exPort, distinct);
    const m1 = await metrics();
    const warm2 = await queryAll(exPort, distinct);
    const m2 = await metrics();
    const timeouts = [...warm1, ...warm2].filter((r) => r.rcode === 'TIMEOUT').length;
    const differ = warm1.filter((r, i) => JSON.stringify(r.answers) !== JSON.stringify(warm2[i].answers) || r.rcode !== warm2[i].rcode).length;
    if (timeouts || differ) throw new Error(`cache warm-up: ${timeouts} timeouts, ${differ} replies differ between miss and hit`);
    const warmMisses = m1.misses - m0.misses;
    const warmHits2 = m2.hits - m1.hits;
    ctx.log(
      `cache: warmed ${distinct.length} distinct questions (${warmMisses} misses; second pass ${warmHits2} hits), ` +
        `entries ${m2.successEntries} success + ${m2.denialEntries} denial`,
    );
    if (warmHits2 !== distinct.length) throw new Error(`cache: second warm-up pass had ${warmHits2} hits, want ${distinct.length}`);

    const checked = await checkK8sAnswers(exPort, CNI, CNS);
    ctx.log(`cache: ${checked} spot-check answers correct`);

    const cei = { label: 'ceiling', port: ceilPort, cpu: { server: () => cpuSeconds(ceiling.pid) } };
    const ex = {
      label: 'exdns cache',
      port: exPort,
      cpu: { server: () => cpuSeconds(exdns.pid) },
      before: metrics,
      after: async (before, st) => {
        const a = await metrics();
        const d = Object.fromEntries(Object.keys(a).map((k) => [k, a[k] - before[k]]));
        d.answered = st.sent - st.lost;
        return d;
      },
    };
    ctx.log('cache: saturation rounds');
    const [sc, se] = await alternate(ctx, 'cache', [cei, ex], queryFile, []);
    ctx.log(`cache: fixed rate ${ctx.rate} QPS`);
    const fc = await runOnce(ctx, cei, queryFile, ['-Q', String(ctx.rate), '-v']);
    const fe = await runOnce(ctx, ex, queryFile, ['-Q', String(ctx.rate), '-v']);
    await checkK8sAnswers(exPort, CNI, CNS);

    const measured = [...se.runs, fe].map((r) => r.after);
    const tot = (k) => measured.reduce((a, m) => a + m[k], 0);
    const hitShare = tot('hits') / tot('requests');
    const perRunHit = measured.map((m) => (100 * m.hits) / m.requests);
    const minHit = Math.min(...perRunHit);
    const ratio = se.qpsMedian / sc.qpsMedian;
    const paired = se.qps.map((x, i) => x / sc.qps[i]);
    const cpuC = median(sc.runs.map((r) => r.us.server));
    const cpuE = median(se.runs.map((r) => r.us.server));
    const rc = sumRcodes(se.runs);
    const lost = se.runs.reduce((a, r) => a + r.lost, 0);
    const badRcodes = Object.keys(rc).filter((k) => k !== 'NOERROR' && k !== 'NXDOMAIN');
    const latC = fc.lat;
    const latE = fe.lat;
    return [
      `### cache path`,
      '',
      `exdns \`cache\` in front of k8s_gateway, ${CNI.toLocaleString('en')} Ingresses + ${CNS.toLocaleString('en')} LoadBalancer Services from manifests ` +
        `(bench/k8s-data.mjs); 10,000-line query file, shuffled (seed 42), the k8s_gateway path's mix: 90% A for existing names, 5% AAAA ` +
        `(4/5 with an IPv6 answer, 1/5 NODATA), 5% nonexistent names; ${distinct.length.toLocaleString('en')} distinct questions. ` +
        `Corefile: \`${data.ZONE}:PORT { cache 3600 { success 10000 3600 3600; denial 10000 3600 3600 } k8s_gateway ${data.ZONE} { manifests DIR; resources Ingress Service } ready }\` ` +
        `(MINTTL 3600 so no entry expires during the run) and a side block \`.:PORT2 { prometheus; whoami }\` from which the cache counters are scraped ` +
        `before and after every measured run. Warm-up: every distinct question once (${warmMisses} misses) and once more (${warmHits2} hits). ` +
        `dnsperf -c 4 -l ${ctx.seconds}, ${ctx.rounds} alternating rounds with the ceiling (same query file), medians. ` +
        `${checked} spot-check answers verified before and after the load. Load average (1/5/15 min) at start: ${load}, at end: ${loadavg()}.`,
      '',
      `| server | QPS (median) | QPS samples | server CPU µs/query | p50 / p90 / p99 / p99.9 ms at ${ctx.rate} QPS | lost at ${ctx.rate} QPS |`,
      '|---|---|---|---|---|---|',
      `| raw Node ceiling | ${sc.qpsMedian.toFixed(0)} | ${fmt(sc.qps)} | ${cpuC.toFixed(1)} | ${latC.p50} / ${latC.p90} / ${latC.p99} / ${latC.p999} | ${latC.lost} |`,
      `| exdns cache (hits) | ${se.qpsMedian.toFixed(0)} | ${fmt(se.qps)} | ${cpuE.toFixed(1)} | ${latE.p50} / ${latE.p90} / ${latE.p99} / ${latE.p999} | ${latE.lost} |`,
      '',
      `Cache counters over the measured runs (${ctx.rounds} saturation + 1 fixed-rate): ${tot('requests')} cache requests, ${tot('hits')} hits ` +
        `(${tot('successHits')} success, ${tot('denialHits')} denial), ${tot('misses')} misses, ${tot('stale')} served stale, ${tot('evictions')} evictions; ` +
        `dnsperf counted ${tot('answered')} answers. Hit share per run: ${perRunHit.map((x) => x.toFixed(3)).join(', ')} %.`,
      '',
      `Response codes (exdns, saturation rounds): ${rcodeText(rc)}; queries lost: ${lost}. ` +
        `At ${ctx.rate} QPS: ${rcodeText(latE.rcodes)}, achieved ${latE.qps.toFixed(0)} QPS.`,
      '',
      '| goal | target | measured | result |',
      '|---|---|---|---|',
      `| QPS vs raw Node ceiling (same run) | ≥ 0.8× | ${ratio.toFixed(2)}× (${se.qpsMedian.toFixed(0)} / ${sc.qpsMedian.toFixed(0)}; per-round ${paired.map((x) => x.toFixed(2)).join(', ')}; CPU per query ${(cpuC / cpuE).toFixed(2)}×) | ${pf(ratio >= 0.8)} |`,
      `| measured queries answered from the cache | > 99% | ${(100 * hitShare).toFixed(3)}% overall, lowest run ${minHit.toFixed(3)}% | ${pf(minHit > 99)} |`,
      `| p99 latency at ${ctx.rate} QPS | reported | ${latE.p99} ms (ceiling ${latC.p99} ms) | ${latE.lost === 0 ? 'reported' : `**${latE.lost} lost**`} |`,
      `| answers correct, no error rcodes | — | ${checked} spot checks ×2; miss and hit replies identical for all ${distinct.length} questions; rcodes ${badRcodes.length ? badRcodes.join(', ') : 'NOERROR/NXDOMAIN only'} | ${pf(badRcodes.length === 0)} |`,
      '',
    ].join('\n');
  } finally {
    await stopProcess(ceiling);
    await stopProcess(exdns);
  }
}

// ---------------------------------------------------------------- forward path

const FZONE = 'fwd.example.net';
const FN = 1_000;
const fHost = (i) => `www-${i}.${FZONE}`;
const fV4 = (i) => `10.3.${i >> 8}.${i & 255}`;
const fHasV6 = (i) => i % 10 === 0;
const fV6 = (i) => `2001:db8:3::${i.toString(16)}`;

/** NSD's zone: FN names with an A record, every 10th also AAAA; TTL 300. */
function forwardRecords() {
  const r = [];
  for (let i = 0; i < FN; i++) {
    r.push(`www-${i} 300 IN A ${fV4(i)}`);
    if (fHasV6(i)) r.push(`www-${i} 300 IN AAAA ${fV6(i)}`);
  }
  return r;
}

/** Same mix as the k8s_gateway path: 90% A, 5% AAAA (4/5 answered, 1/5 NODATA), 5% NXDOMAIN. */
function forwardQueries(n, seed = 42) {
  const rnd = data.prng(seed);
  const pick = (k) => Math.floor(rnd() * k);
  const nA = Math.round(n * 0.9);
  const nAAAA = Math.round(n * 0.05);
  const lines = [];
  for (let k = 0; k < nA; k++) lines.push(`${fHost(pick(FN))} A`);
  for (let k = 0; k < nAAAA; k++) lines.push(k % 5 !== 4 ? `${fHost(pick(FN / 10) * 10)} AAAA` : `${fHost(pick(FN / 10) * 10 + 1 + pick(9))} AAAA`);
  while (lines.length < n) lines.push(`nx-${pick(1_000_000)}.${FZONE} A`);
  for (let k = lines.length - 1; k > 0; k--) {
    const j = pick(k + 1);
    [lines[k], lines[j]] = [lines[j], lines[k]];
  }
  return lines;
}

/**
 * NSD from test/upstream/authoritative.ts, with response rate limiting off. The helper leaves
 * NSD's default on (Debian builds NSD with RRL: about 200 responses/s per source /24 and name,
 * NXDOMAIN and NODATA counted per zone; past it NSD drops replies, about half of them sent as empty TC replies instead), which
 * turns a load test into a test of the limiter. So while the helper's nsd.conf sets no
 * rrl-ratelimit, the bench takes its configuration and zone files, adds `rrl-ratelimit: 0` and
 * `rrl-whitelist-ratelimit: 0`, stops the helper's NSD and starts NSD with that on the same port.
 */
async function startNsd(spec) {
  const ns = await startAuthoritative(spec);
  const conf = readFileSync(join(ns.dir, 'nsd.conf'), 'utf8');
  if (/^\s*rrl-ratelimit:/m.test(conf)) return { ...ns, rrlNote: "response rate limiting as test/upstream/authoritative.ts configures it" };
  const dir = mkdtempSync(join(os.tmpdir(), 'exdns-bench-nsd-'));
  for (const f of readdirSync(ns.dir)) if (f.endsWith('.zone')) copyFileSync(join(ns.dir, f), join(dir, f));
  writeFileSync(
    join(dir, 'nsd.conf'),
    conf
      .split(ns.dir)
      .join(dir)
      .replace(/^server:\n/m, 'server:\n    rrl-ratelimit: 0\n    rrl-whitelist-ratelimit: 0\n'),
  );
  await ns.stop();
  const child = spawn(findNsd(), ['-d', '-c', join(dir, 'nsd.conf')], { stdio: ['ignore', 'inherit', 'inherit'] });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const stop = async () => {
    process.off('exit', kill);
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise((resolve) => {
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const t0 = Date.now();
  for (;;) {
    const [r] = await queryAll(ns.port, [{ name: spec.zone, type: 'SOA' }], { timeoutMs: 200 });
    if (r.rcode === 'NOERROR' && r.aa) break;
    if (child.exitCode !== null || Date.now() - t0 > 10_000) {
      await stop();
      throw new Error(`nsd (rate limiting off) did not answer on ${ns.address}`);
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  return {
    port: ns.port,
    address: ns.address,
    pid: child.pid,
    dir,
    stop,
    rrlNote:
      'response rate limiting turned off (`rrl-ratelimit: 0`, `rrl-whitelist-ratelimit: 0`): test/upstream/authoritative.ts leaves NSD\'s default on, ' +
      '~200 replies/s per name (NXDOMAIN and NODATA per zone) and source /24, so the bench restarts NSD from the helper\'s files with it off',
  };
}

/** "ratelimit block" lines NSD logged (none expected with rate limiting off). */
function rrlBlocks(dir) {
  try {
    return readFileSync(join(dir, 'nsd.log'), 'utf8').split('\n').filter((l) => l.includes('ratelimit block')).length;
  } catch {
    return NaN;
  }
}

/** Spot checks against the expected data, and exdns's replies against NSD's own. */
async function checkForward(exPort, nsdPort) {
  const rnd = data.prng(7);
  const pick = (k) => Math.floor(rnd() * k);
  const cases = [];
  for (let k = 0; k < 200; k++) {
    const i = pick(FN);
    cases.push({ name: fHost(i), type: 'A', rcode: 'NOERROR', want: [fV4(i)] });
  }
  for (let k = 0; k < 50; k++) {
    const i = pick(FN / 10) * 10;
    cases.push({ name: fHost(i), type: 'AAAA', rcode: 'NOERROR', want: [fV6(i)] });
    cases.push({ name: fHost(i + 1 + pick(9)), type: 'AAAA', rcode: 'NOERROR', want: [] });
    cases.push({ name: `nx-${pick(1e6)}.${FZONE}`, type: 'A', rcode: 'NXDOMAIN', want: [] });
  }
  cases.push({ name: fHost(FN - 1), type: 'A', rcode: 'NOERROR', want: [fV4(FN - 1)] });
  const viaEx = await queryAll(exPort, cases);
  const direct = await queryAll(nsdPort, cases);
  const bad = [];
  cases.forEach((c, k) => {
    for (const [who, r] of [
      ['exdns', viaEx[k]],
      ['nsd', direct[k]],
    ]) {
      const got = r.answers.filter((a) => a.type === c.type).map((a) => a.data).sort();
      const ok = r.rcode === c.rcode && r.aa && got.join(',') === [...c.want].sort().join(',') && (c.want.length > 0 || r.authority === 1);
      if (!ok) bad.push(`${who}: ${c.name} ${c.type}: want ${c.rcode} [${c.want}], got ${r.rcode} aa=${r.aa} [${got}] ns=${r.authority}`);
    }
    if (JSON.stringify(viaEx[k]) !== JSON.stringify({ ...direct[k], id: viaEx[k].id })) bad.push(`${c.name} ${c.type}: exdns's reply differs from NSD's`);
  });
  if (bad.length) throw new Error(`forward answers are wrong (${bad.length}/${cases.length}):\n  ${bad.slice(0, 10).join('\n  ')}`);
  return cases.length;
}

export async function benchForward(ctx) {
  const dataDir = join(ctx.outDir, 'forward');
  mkdirSync(dataDir, { recursive: true });
  const queryFile = join(dataDir, 'queries.txt');
  writeFileSync(queryFile, forwardQueries(10_000).join('\n') + '\n');
  const nsdVersion = /NSD version (\S+)/.exec(spawnSync('nsd', ['-v'], { encoding: 'utf8' }).stderr ?? '')?.[1] ?? '?';
  const load = loadavg();

  const ns = await startNsd({ zone: FZONE, records: forwardRecords() });
  let exdns;
  try {
    const exPort = await freeUdpPort();
    const corefile = join(ctx.tmp, 'Corefile.forward');
    writeFileSync(corefile, `.:${exPort} {\n    forward . ${ns.address}\n}\n`);
    exdns = await startProcess(ctx.node, [...nodeFlags(ctx), join(ctx.root, 'dist/src/cli.js'), '-conf', corefile], 'exdns-');
    const checked = await checkForward(exPort, ns.port);
    ctx.log(`forward: ${checked} spot-check answers correct, exdns's replies identical to NSD's`);

    const nsdCpu = () => treeCpuSeconds(ns.pid);
    const exPid = exdns.pid;
    const direct = { label: 'NSD', port: ns.port, cpu: { nsd: nsdCpu } };
    const via = { label: 'exdns forward', port: exPort, cpu: { nsd: nsdCpu, exdns: () => cpuSeconds(exPid) } };
    ctx.log('forward: saturation rounds (dnsperf -v, for the latencies at saturation)');
    const [sd, sv] = await alternate(ctx, 'forward', [direct, via], queryFile, ['-v']);
    ctx.log(`forward: fixed rate ${ctx.rate} QPS`);
    const fd = await runOnce(ctx, direct, queryFile, ['-Q', String(ctx.rate), '-v']);
    const fv = await runOnce(ctx, via, queryFile, ['-Q', String(ctx.rate), '-v']);
    await checkForward(exPort, ns.port);
    const blocks = rrlBlocks(ns.dir);

    const ratio = sv.qpsMedian / sd.qpsMedian;
    const paired = sv.qps.map((x, i) => x / sd.qps[i]);
    const satLat = (s, p) => {
      const xs = s.runs.map((r) => r.lat[p]);
      const finite = xs.filter((x) => x !== 'lost' && x !== 'n/a').map(Number);
      return finite.length === xs.length ? median(finite).toFixed(3) : `${xs.join(', ')}`;
    };
    const lostOf = (s) => s.runs.map((r) => r.lost).join(', ');
    const cpu = (s, k) => median(s.runs.map((r) => r.us[k])).toFixed(1);
    const rcD = sumRcodes(sd.runs);
    const rcV = sumRcodes(sv.runs);
    const badRcodes = Object.keys(rcV).filter((k) => k !== 'NOERROR' && k !== 'NXDOMAIN');
    return [
      `### forward path`,
      '',
      `exdns \`.:PORT { forward . 127.0.0.1:NSD_PORT }\` in front of NSD ${nsdVersion} (test/upstream/authoritative.ts, server-count 1) serving ` +
        `\`${FZONE}\`: ${FN.toLocaleString('en')} names with an A record, every 10th also AAAA, TTL 300; ${ns.rrlNote} (NSD logged ${blocks} \"ratelimit block\" lines). 10,000-line query file, shuffled (seed 42): ` +
        `90% A, 5% AAAA (4/5 answered, 1/5 NODATA), 5% nonexistent names (NXDOMAIN). Against the same NSD queried directly. ` +
        `dnsperf -c 4 -l ${ctx.seconds}, ${ctx.rounds} alternating rounds (NSD first), medians; the saturation rounds run with -v, for their latencies ` +
        `(at saturation latency mostly measures dnsperf's queue: 100 queries outstanding by default). CPU µs/query is per answered query, ` +
        `NSD's summed over its processes. ${checked} spot-check answers verified (and exdns's replies identical to NSD's, bar the ID) before and after the load. ` +
        `Load average (1/5/15 min) at start: ${load}, at end: ${loadavg()}.`,
      '',
      `| path | QPS at saturation (median) | QPS samples | p50 / p99 ms at saturation | lost at saturation | exdns CPU µs/query | NSD CPU µs/query | p50 / p90 / p99 / p99.9 ms at ${ctx.rate} QPS | lost at ${ctx.rate} QPS |`,
      '|---|---|---|---|---|---|---|---|---|',
      `| dnsperf → NSD | ${sd.qpsMedian.toFixed(0)} | ${fmt(sd.qps)} | ${satLat(sd, 'p50')} / ${satLat(sd, 'p99')} | ${lostOf(sd)} | — | ${cpu(sd, 'nsd')} | ` +
        `${fd.lat.p50} / ${fd.lat.p90} / ${fd.lat.p99} / ${fd.lat.p999} | ${fd.lost} |`,
      `| dnsperf → exdns forward → NSD | ${sv.qpsMedian.toFixed(0)} | ${fmt(sv.qps)} | ${satLat(sv, 'p50')} / ${satLat(sv, 'p99')} | ${lostOf(sv)} | ${cpu(sv, 'exdns')} | ${cpu(sv, 'nsd')} | ` +
        `${fv.lat.p50} / ${fv.lat.p90} / ${fv.lat.p99} / ${fv.lat.p999} | ${fv.lost} |`,
      '',
      `exdns forward / NSD direct QPS = **${ratio.toFixed(2)}** (per round ${paired.map((x) => x.toFixed(2)).join(', ')}; no goal). ` +
        `Response codes at saturation: NSD ${rcodeText(rcD)}; via exdns ${rcodeText(rcV)}${badRcodes.length ? ` (**${badRcodes.join(', ')}**)` : ''}. ` +
        `At ${ctx.rate} QPS: NSD ${rcodeText(fd.lat.rcodes)}, achieved ${fd.lat.qps.toFixed(0)} QPS; via exdns ${rcodeText(fv.lat.rcodes)}, achieved ${fv.lat.qps.toFixed(0)} QPS.`,
      '',
    ].join('\n');
  } finally {
    if (exdns) await stopProcess(exdns);
    await ns.stop();
  }
}
