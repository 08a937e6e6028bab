// exdns Kubernetes-source benchmark: exdns's k8s_gateway watching a real kube-apiserver (the
// testbed of scripts/testbed.mjs: kube-apiserver + etcd on loopback) that holds 10,000
// LoadBalancer Services and 10,000 Ingresses. Measures:
//   loading      creating the objects (POST + merge patch of the status subresource, since no
//                controller sets load-balancer addresses), bounded concurrency over keep-alive
//                HTTPS; skipped when a list finds them all there already (re-runs are quick).
//   plain list   the API server's own time to list every Service and Ingress the way exdns's
//                reflectors do (both kinds in parallel, pages of 500, JSON parsed, exdns's
//                ServiceAccount), median of 3.
//   ready        exdns (as shipped: node --max-semi-space-size=4 --heap-growing-percent=20) from spawn until /ready answers
//                200 and a Service and an Ingress name get their right answers; then a few hundred
//                answers checked against what the API holds, and RSS after settling.
//   propagation  --changes status patches (a new load-balancer IP) at --rate per second, each
//                timed until the first UDP answer from exdns showing the new address (polled every
//                ~2 ms per pending change), from the PATCH response and from the PATCH request's
//                start. Then every changed name is checked once more, and one with the real dig.
//
// usage: npm run bench:k8s [-- --record --reset --cleanup --changes 200 --rate 20 --settle 5
//                             --services 10000 --ingresses 10000 --concurrency 32]
//   --record   append a dated section to bench/RESULTS.md (otherwise it only prints)
//   --reset    delete the bench objects and create them again (timing the load)
//   --cleanup  delete the bench objects at the end (a testbed the bench started is taken down
//              anyway; one that was already running keeps them for the next run otherwise)
//
// The testbed is brought up with scripts/testbed.mjs's up() and taken down at the end only if
// this run started it. Objects live in namespaces bench-0..bench-19, labelled
// app.kubernetes.io/part-of=exdns-bench; exdns's log goes to bench/out/k8s/exdns.log.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import dgram from 'node:dgram';
import http from 'node:http';
import os from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { ZONE, prng } from './k8s-data.mjs';
import { decode, encodeQuery, queryAll } from './dnsclient.mjs';
import { kubeClient, pool } from './k8s-kube.mjs';
import * as testbed from '../scripts/testbed.mjs';

const wallStart = performance.now();
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const NS_COUNT = 20;
const N_SVC = Number(opt('services', '10000'));
const N_ING = Number(opt('ingresses', '10000'));
const CHANGES = Number(opt('changes', '200'));
const RATE = Number(opt('rate', '20'));
const SETTLE_S = Number(opt('settle', '5'));
const CONCURRENCY = Number(opt('concurrency', '32'));
const LIST_ROUNDS = 3;
const POLL_MS = 2;
const CHANGE_TIMEOUT_MS = 10_000;
const record = args.includes('--record');
const reset = args.includes('--reset');
const cleanup = args.includes('--cleanup');

const PART_OF = 'app.kubernetes.io/part-of';
const BENCH = 'exdns-bench';
const SELECTOR = `${PART_OF}=${BENCH}`;
const SVC_PATH = '/api/v1/services';
const ING_PATH = '/apis/networking.k8s.io/v1/ingresses';

const node = process.execPath;
const outDir = join(root, 'bench/out/k8s'); // gitignored
const tmp = mkdtempSync(join(os.tmpdir(), 'exdns-bench-k8s-'));
const log = (msg) => console.error(`bench: ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------- the objects

const nsOf = (i) => `bench-${i % NS_COUNT}`;
const svcName = (i) => `svc-${i}`;
const ingName = (i) => `app-${i}`;
/** Services answer as NAME.NAMESPACE.ZONE; Ingresses at their rule host (an absolute name in the zone). */
const svcHost = (name, ns) => `${name}.${ns}.${ZONE}`;
const ingHost = (i) => `app-${i}.${ZONE}`;
const svcV4 = (i) => `10.2.${i >> 8}.${i & 255}`;
const ingV4 = (i) => `10.1.${i >> 8}.${i & 255}`;

// Shaped like bench/k8s-data.mjs's manifests (what `kubectl get -o yaml` shows of real objects).
function serviceObject(i) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: svcName(i),
      namespace: nsOf(i),
      labels: { 'app.kubernetes.io/name': svcName(i), [PART_OF]: BENCH },
    },
    spec: {
      type: 'LoadBalancer',
      // 10,000 LoadBalancer Services would exhaust the 2,768 node ports of 30000-32767.
      allocateLoadBalancerNodePorts: false,
      selector: { 'app.kubernetes.io/name': svcName(i) },
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }],
      externalTrafficPolicy: 'Cluster',
      sessionAffinity: 'None',
    },
  };
}

function ingressObject(i) {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: ingName(i),
      namespace: nsOf(i),
      labels: { 'app.kubernetes.io/name': ingName(i), [PART_OF]: BENCH },
      annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '8m' },
    },
    spec: {
      ingressClassName: 'nginx',
      tls: [{ hosts: [ingHost(i)], secretName: `${ingName(i)}-tls` }],
      rules: [
        {
          host: ingHost(i),
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: ingName(i), port: { number: 80 } } } }] },
        },
      ],
    },
  };
}

const lbStatus = (ip) => ({ status: { loadBalancer: { ingress: [{ ip }] } } });
const statusPath = (kind, ns, name) =>
  kind === 'Service' ? `/api/v1/namespaces/${ns}/services/${name}/status` : `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/${name}/status`;
const lbIp = (obj) => obj.status?.loadBalancer?.ingress?.[0]?.ip;

/**
 * What DNS should answer, from listed objects: name -> { kind, ns, name, ip }. Only the bench's
 * own objects (other tests share the testbed).
 */
function truthOf(services, ingresses) {
  const truth = new Map();
  for (const s of services) {
    if (s.metadata.labels?.[PART_OF] !== BENCH || !lbIp(s)) continue;
    truth.set(svcHost(s.metadata.name, s.metadata.namespace), { kind: 'Service', ns: s.metadata.namespace, name: s.metadata.name, ip: lbIp(s) });
  }
  for (const g of ingresses) {
    if (g.metadata.labels?.[PART_OF] !== BENCH || !lbIp(g)) continue;
    truth.set(g.spec.rules[0].host, { kind: 'Ingress', ns: g.metadata.namespace, name: g.metadata.name, ip: lbIp(g) });
  }
  return truth;
}

// ---------------------------------------------------------------- testbed and loading

async function bringUpTestbed() {
  let before = await testbed.status();
  if (!before.running && before.etcd.healthy) {
    // Someone's resilience test may have stopped kube-apiserver on purpose; give it back a minute.
    log('etcd runs but kube-apiserver does not: waiting up to 60 s for it to come back');
    for (let k = 0; k < 30 && !before.running; k++) {
      await sleep(2000);
      before = await testbed.status();
    }
  }
  const t = performance.now();
  const info = await testbed.up({ crds: 'none' });
  const started = !before.running && !before.etcd.healthy;
  log(`testbed ${started ? 'started' : 'reused'} at ${info.server} (${secs(performance.now() - t)})`);
  return { info, started };
}

const objectPath = (kind, ns, name) =>
  kind === 'Service' ? `/api/v1/namespaces/${ns}/services/${name}` : `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/${name}`;

/**
 * Deletes every bench object, one DELETE each with CONCURRENCY in flight (deletecollection is
 * sequential in kube-apiserver, --delete-collection-workers=1: 5+ minutes for 20,000 objects).
 */
async function deleteBenchObjects(admin) {
  const t = performance.now();
  const [svcs, ings] = await Promise.all([admin.listAll(SVC_PATH, { labelSelector: SELECTOR }), admin.listAll(ING_PATH, { labelSelector: SELECTOR })]);
  const victims = [...svcs.items.map((o) => ['Service', o]), ...ings.items.map((o) => ['Ingress', o])];
  log(`deleting ${svcs.items.length} Services and ${ings.items.length} Ingresses, ${CONCURRENCY} in flight`);
  await pool(victims, CONCURRENCY, ([kind, o]) => admin.call('DELETE', objectPath(kind, o.metadata.namespace, o.metadata.name), undefined, undefined, [200, 202, 404]));
  for (let k = 0; ; k++) {
    const [s, g] = await Promise.all([admin.listAll(SVC_PATH, { labelSelector: SELECTOR }), admin.listAll(ING_PATH, { labelSelector: SELECTOR })]);
    if (s.items.length + g.items.length === 0) break;
    if (k > 240) throw new Error(`bench objects still there after deletecollection: ${s.items.length} Services, ${g.items.length} Ingresses`);
    await sleep(500);
  }
  log(`deleted the bench objects (${secs(performance.now() - t)})`);
}

/**
 * Makes the testbed hold exactly services 0..N_SVC-1 and ingresses 0..N_ING-1 with a
 * load-balancer IP each. What is there already (found by one labelled list) is kept; a complete
 * set is reused without any write.
 */
async function ensureObjects(admin) {
  await pool([...Array(NS_COUNT).keys()], 8, (n) =>
    admin.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `bench-${n}`, labels: { [PART_OF]: BENCH } } }, undefined, [201, 409]),
  );
  if (reset) await deleteBenchObjects(admin);
  let t = performance.now();
  const [svcs, ings] = await Promise.all([admin.listAll(SVC_PATH, { labelSelector: SELECTOR }), admin.listAll(ING_PATH, { labelSelector: SELECTOR })]);
  const checkMs = performance.now() - t;
  const tasks = [];
  const plan = (kind, count, nameOf, items, make, ipOf) => {
    const have = new Map(items.map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]));
    for (let i = 0; i < count; i++) {
      const key = `${nsOf(i)}/${nameOf(i)}`;
      const o = have.get(key);
      have.delete(key);
      if (!o) tasks.push({ op: 'create', kind, i, obj: make(i), ip: ipOf(i) });
      else if (!lbIp(o)) tasks.push({ op: 'patch', kind, i, ns: nsOf(i), name: nameOf(i), ip: ipOf(i) });
    }
    for (const o of have.values()) tasks.push({ op: 'delete', kind, ns: o.metadata.namespace, name: o.metadata.name });
  };
  plan('Service', N_SVC, svcName, svcs.items, serviceObject, svcV4);
  plan('Ingress', N_ING, ingName, ings.items, ingressObject, ingV4);
  const counts = { services: svcs.items.length, ingresses: ings.items.length };
  if (tasks.length === 0) {
    log(`objects already there (${counts.services} Services, ${counts.ingresses} Ingresses, all with an IP; checked in ${checkMs.toFixed(0)} ms): not loading`);
    return { reused: true, checkMs, counts };
  }
  // Interleave the kinds so both grow together.
  tasks.sort((a, b) => (a.i ?? 0) - (b.i ?? 0) || a.kind.localeCompare(b.kind));
  const n = { create: 0, patch: 0, delete: 0 };
  for (const task of tasks) n[task.op]++;
  log(`loading: ${n.create} to create, ${n.patch} to patch, ${n.delete} to delete (found ${counts.services} Services, ${counts.ingresses} Ingresses); ${CONCURRENCY} in flight`);
  t = performance.now();
  let requests = 0;
  const createMs = { Service: [], Ingress: [] };
  const step = Math.max(1000, Math.round(tasks.length / 10 / 1000) * 1000);
  await pool(
    tasks,
    CONCURRENCY,
    async (task) => {
      if (task.op === 'delete') {
        await admin.call('DELETE', objectPath(task.kind, task.ns, task.name), undefined, undefined, [200, 202, 404]);
        requests++;
        return;
      }
      const { kind, i } = task;
      if (task.op === 'create') {
        const p = kind === 'Service' ? `/api/v1/namespaces/${nsOf(i)}/services` : `/apis/networking.k8s.io/v1/namespaces/${nsOf(i)}/ingresses`;
        const r = await admin.call('POST', p, task.obj, 'application/json', [201, 409]);
        createMs[kind].push(r.tEnd - r.tStart);
        requests++;
      }
      await admin.call('PATCH', statusPath(kind, nsOf(i), kind === 'Service' ? svcName(i) : ingName(i)), lbStatus(task.ip), 'application/merge-patch+json', [200]);
      requests++;
    },
    (done) => {
      if (done % step === 0) log(`loading: ${done}/${tasks.length} objects (${((done / (performance.now() - t)) * 1000).toFixed(0)}/s)`);
    },
  );
  const loadMs = performance.now() - t;
  // Creating a Service allocates a ClusterIP: measured ~30x slower than an Ingress at 32 in flight.
  const p50 = (a) => (a.length ? `${pct(a.sort((x, y) => x - y), 50).toFixed(0)} ms` : 'n/a');
  const createP50 = { Service: p50(createMs.Service), Ingress: p50(createMs.Ingress) };
  log(`loaded in ${secs(loadMs)}: ${requests} requests, ${((requests / loadMs) * 1000).toFixed(0)} requests/s; create p50: Service ${createP50.Service}, Ingress ${createP50.Ingress}`);
  return { reused: false, checkMs, counts, loadMs, requests, ops: n, createP50 };
}

/**
 * The API server's own list time, as exdns's reflectors do it at start: every Service and every
 * Ingress of the cluster, both kinds in parallel, pages of 500, as exdns's ServiceAccount, each
 * page's JSON parsed. A new client (new TLS connections) per round, like a starting exdns.
 */
async function plainList() {
  const c = kubeClient(testbed.paths.exdnsKubeconfig);
  const t0 = performance.now();
  try {
    const per = await Promise.all(
      [
        ['Service', SVC_PATH],
        ['Ingress', ING_PATH],
      ].map(async ([kind, path]) => {
        const r = await c.listAll(path, { limit: 500 });
        return { kind, n: r.items.length, pages: r.pages, bytes: r.bytes, ms: performance.now() - t0, items: r.items };
      }),
    );
    return { ms: performance.now() - t0, per };
  } finally {
    c.close();
  }
}

// ---------------------------------------------------------------- processes and probes

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

function httpGet(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, body: '' }));
  });
}

/** VmRSS / VmHWM of a process, in MB. */
function memOf(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** The sum over all series of a metric in a Prometheus text exposition, by label filter. */
function metricSum(text, name, labelFilter = '') {
  let sum;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith('{') || rest.startsWith(' '))) continue;
    if (labelFilter && !rest.includes(labelFilter)) continue;
    sum = (sum ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

function stopProcess(p) {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve({ code: p.exitCode, signal: p.signalCode });
  return new Promise((resolve) => {
    const t = setTimeout(() => p.kill('SIGKILL'), 10000);
    p.once('exit', (code, signal) => {
      clearTimeout(t);
      resolve({ code, signal });
    });
    p.kill('SIGTERM');
  });
}

/** Nearest-rank percentile of sorted values (Infinity = never seen). */
function pct(sorted, x) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((x / 100) * sorted.length) - 1))];
}
const ms1 = (v) => (Number.isFinite(v) ? v.toFixed(1) : 'never');

/** A few hundred answers against what the API holds: right address, NXDOMAIN and NODATA. */
async function checkAnswers(port, truth, n = 400) {
  const rnd = prng(7);
  const svcs = [];
  const ings = [];
  for (const [host, t] of truth) (t.kind === 'Service' ? svcs : ings).push(host);
  const pick = (a) => a[Math.floor(rnd() * a.length)];
  const cases = [];
  for (let k = 0; k < n / 2; k++) {
    const s = pick(svcs);
    cases.push({ name: s, type: 'A', rcode: 'NOERROR', want: [truth.get(s).ip] });
    const g = pick(ings);
    cases.push({ name: g, type: 'A', rcode: 'NOERROR', want: [truth.get(g).ip] });
  }
  for (let k = 0; k < 25; k++) {
    cases.push({ name: pick(svcs), type: 'AAAA', rcode: 'NOERROR', want: [] }); // NODATA
    cases.push({ name: `app-${N_ING + Math.floor(rnd() * 1e6)}.${ZONE}`, type: 'A', rcode: 'NXDOMAIN', want: [] });
    // A Service name in a namespace it is not in.
    const i = Math.floor(rnd() * N_SVC);
    cases.push({ name: svcHost(svcName(i), `bench-${(i + 1) % NS_COUNT}`), type: 'A', rcode: 'NXDOMAIN', want: [] });
  }
  return verify(port, cases);
}

async function verify(port, cases) {
  const replies = await queryAll(port, cases);
  const bad = [];
  cases.forEach((c, k) => {
    const r = replies[k];
    const got = r.answers.filter((a) => a.type === c.type).map((a) => a.data).sort();
    const ok = r.rcode === c.rcode && r.aa && got.join(',') === [...c.want].sort().join(',') && (c.want.length > 0 || r.authority === 1);
    if (!ok) bad.push(`${c.name} ${c.type}: want ${c.rcode} [${c.want}], got ${r.rcode} aa=${r.aa} [${got}] ns=${r.authority}`);
  });
  return { n: cases.length, bad };
}

// ---------------------------------------------------------------- exdns

async function startExdns(corefile, probes) {
  const exLog = [];
  const t = performance.now();
  const exdns = spawn(node, ['--max-semi-space-size=4', '--heap-growing-percent=20', join(root, 'dist/src/cli.js'), '-conf', corefile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let bannerMs;
  const onOut = (d) => {
    const s = d.toString();
    exLog.push(s);
    if (bannerMs === undefined && s.includes('exdns-')) bannerMs = performance.now() - t;
  };
  exdns.stdout.on('data', onOut);
  exdns.stderr.on('data', onOut);
  let exited = false;
  exdns.on('exit', () => (exited = true));
  return { exdns, exLog, t, bannerMs: () => bannerMs, exited: () => exited, probes };
}

/**
 * Spawn → ready: each 20 ms tick fires one /ready GET and the probe queries (a Service and an
 * Ingress name) without waiting for earlier ones; ready is the later of /ready 200 and both
 * probes answered right. If /ready says 200 while queries still fail, that is a readiness bug.
 */
async function waitReady(ex, port, readyPort) {
  let readyHttpMs;
  const answered = new Map();
  const sock = dgram.createSocket('udp4');
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  sock.on('message', (msg) => {
    const r = decode(msg);
    const p = ex.probes[r.id - 1];
    if (p && !answered.has(r.id) && r.rcode === 'NOERROR' && r.answers.some((a) => a.type === 'A' && a.data === p.ip)) answered.set(r.id, performance.now() - ex.t);
  });
  const queries = ex.probes.map((p, k) => encodeQuery(k + 1, p.name, 'A'));
  try {
    for (;;) {
      if (ex.exited()) throw new Error(`exdns exited before ready:\n${ex.exLog.join('').slice(-4000)}`);
      if (performance.now() - ex.t > 120_000) throw new Error(`exdns not ready after 120 s:\n${ex.exLog.join('').slice(-4000)}`);
      if (readyHttpMs !== undefined && answered.size === queries.length) break;
      if (readyHttpMs === undefined) {
        httpGet(`http://127.0.0.1:${readyPort}/ready`).then(({ status }) => {
          if (status === 200 && readyHttpMs === undefined) readyHttpMs = performance.now() - ex.t;
        });
      }
      queries.forEach((q, k) => answered.has(k + 1) || sock.send(q, port, '127.0.0.1'));
      await sleep(20);
    }
  } finally {
    sock.close();
  }
  const answerMs = Math.max(...answered.values());
  return { readyHttpMs, answerMs, readyMs: Math.max(readyHttpMs, answerMs), early: readyHttpMs + 20 < answerMs };
}

// ---------------------------------------------------------------- propagation

/**
 * CHANGES status patches at RATE per second, alternating Services and Ingresses, each a fresh
 * address in 100.64.0.0/10. From the PATCH request's start, a UDP query for the name goes out
 * every POLL_MS until an answer shows the new address (several changes may be pending at once).
 */
async function propagation(admin, port, truth) {
  const rnd = prng(Date.now() >>> 0);
  const base = Math.floor(rnd() * 2 ** 21);
  const byKind = { Service: [], Ingress: [] };
  for (const [host, t] of truth) byKind[t.kind].push(host);
  const sock = dgram.createSocket('udp4');
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  const pending = new Map(); // query id -> change
  let staleReplies = 0;
  let queriesSent = 0;
  sock.on('message', (msg) => {
    const now = performance.now();
    const c = pending.get(msg.readUInt16BE(0));
    if (!c) return;
    const r = decode(msg);
    if (r.rcode === 'NOERROR' && r.answers.some((a) => a.type === 'A' && a.data === c.ip)) {
      c.seen = now;
      c.seenRcode = r.answers.map((a) => a.data).join(',');
      pending.delete(c.id);
      c.done();
    } else {
      staleReplies++;
      c.lastOther = `${r.rcode} [${r.answers.map((a) => a.data).join(',')}]`;
    }
  });
  const poller = setInterval(() => {
    const now = performance.now();
    for (const c of pending.values()) {
      if (now - c.lastSent >= POLL_MS) {
        sock.send(c.query, port, '127.0.0.1');
        c.lastSent = now;
        queriesSent++;
      }
      if (now - c.tStart > CHANGE_TIMEOUT_MS) {
        pending.delete(c.id);
        c.done();
      }
    }
  }, 1);
  const changes = [];
  const busy = new Set();
  const t0 = performance.now();
  const all = [];
  for (let k = 0; k < CHANGES; k++) {
    const due = t0 + (k * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const hosts = byKind[k % 2 === 0 ? 'Service' : 'Ingress'];
    let host;
    do host = hosts[Math.floor(rnd() * hosts.length)];
    while (busy.has(host));
    const t = truth.get(host);
    const v = (base + k) % 2 ** 22;
    let ip = `100.${64 + (v >> 16)}.${(v >> 8) & 255}.${v & 255}`;
    if (ip === t.ip) ip = `100.127.255.${k & 255}`;
    const c = { id: k + 1, k, host, kind: t.kind, ip, oldIp: t.ip, query: encodeQuery(k + 1, host, 'A'), lastSent: -Infinity };
    busy.add(host);
    changes.push(c);
    const finished = new Promise((r) => (c.done = r));
    c.tStart = performance.now();
    pending.set(c.id, c);
    all.push(
      admin
        .request('PATCH', statusPath(t.kind, t.ns, t.name), lbStatus(ip), 'application/merge-patch+json')
        .then(
          (r) => {
            c.tResp = r.tEnd;
            c.status = r.status;
            if (r.status === 200) t.ip = ip;
            else c.error = `HTTP ${r.status}: ${r.body?.message ?? ''}`;
          },
          (e) => (c.error = e.message),
        )
        .then(() => finished)
        .then(() => busy.delete(host)),
    );
  }
  const sentMs = performance.now() - t0;
  await Promise.all(all);
  clearInterval(poller);
  sock.close();
  const fromResp = [];
  const fromReq = [];
  const patchMs = [];
  let early = 0;
  const failed = [];
  for (const c of changes) {
    if (c.error) {
      failed.push(`${c.kind} ${c.host} -> ${c.ip}: PATCH failed: ${c.error}`);
      continue;
    }
    patchMs.push(c.tResp - c.tStart);
    if (c.seen === undefined) {
      failed.push(`${c.kind} ${c.host} -> ${c.ip}: not answered within ${CHANGE_TIMEOUT_MS} ms (last answer ${c.lastOther ?? 'none'})`);
      fromResp.push(Infinity);
      fromReq.push(Infinity);
      continue;
    }
    if (c.seen < c.tResp) early++;
    fromResp.push(c.seen - c.tResp);
    fromReq.push(c.seen - c.tStart);
  }
  const sort = (a) => a.sort((x, y) => x - y);
  sort(fromResp);
  sort(fromReq);
  sort(patchMs);
  const stats = (a) => ({ p50: pct(a, 50), p90: pct(a, 90), p99: pct(a, 99), max: a[a.length - 1] });
  return {
    n: changes.length,
    ratePerS: (changes.length / sentMs) * 1000,
    fromResp: stats(fromResp),
    fromReq: stats(fromReq),
    patch: stats(patchMs),
    early,
    failed,
    staleReplies,
    queriesSent,
    changed: changes.filter((c) => !c.error),
    last: changes.filter((c) => !c.error).at(-1),
  };
}

/** The real dig, once: the name's A answer must be exactly `ip`. */
function digCheck(port, name, ip) {
  const r = spawnSync('/usr/bin/dig', ['@127.0.0.1', '-p', String(port), '+norecurse', '+tries=1', '+time=2', '+noall', '+answer', '+comments', name, 'A'], { encoding: 'utf8' });
  const status = /status: (\w+)/.exec(r.stdout)?.[1] ?? `no reply (exit ${r.status})`;
  const aa = /flags:[^;]*\baa\b/.test(r.stdout);
  const answers = r.stdout
    .split('\n')
    .filter((l) => l && !l.startsWith(';'))
    .map((l) => l.split(/\s+/))
    .filter((f) => f[3] === 'A')
    .map((f) => f[4]);
  const line = r.stdout.split('\n').find((l) => l && !l.startsWith(';') && l.includes('\tA\t')) ?? '';
  return { ok: status === 'NOERROR' && aa && answers.length === 1 && answers[0] === ip, status, aa, answers, line: line.replace(/\s+/g, ' ').trim() };
}

// ---------------------------------------------------------------- main

let tb;
let exdns;
let ex;
const loadavgStart = os.loadavg();
let report;
try {
  tb = await bringUpTestbed();
  const admin = kubeClient(testbed.paths.kubeconfig, { maxSockets: CONCURRENCY });
  const load = await ensureObjects(admin);

  log(`plain list: ${LIST_ROUNDS} rounds of listing every Service and Ingress (pages of 500, both kinds in parallel)`);
  const lists = [];
  for (let r = 0; r < LIST_ROUNDS; r++) {
    const l = await plainList();
    lists.push(l);
    log(`plain list ${r + 1}/${LIST_ROUNDS}: ${l.ms.toFixed(0)} ms (${l.per.map((p) => `${p.kind} ${p.n} in ${p.pages} pages, ${(p.bytes / 2 ** 20).toFixed(1)} MiB, ${p.ms.toFixed(0)} ms`).join('; ')})`);
  }
  const lastList = lists.at(-1);
  const truth = truthOf(lastList.per[0].items, lastList.per[1].items);
  for (const l of lists) for (const p of l.per) p.items = undefined;
  const listSorted = lists.map((l) => l.ms).sort((a, b) => a - b);
  const listMs = listSorted[Math.floor(listSorted.length / 2)];
  const totals = { services: lastList.per[0].n, ingresses: lastList.per[1].n };
  const benchCount = { services: 0, ingresses: 0 };
  for (const t of truth.values()) benchCount[t.kind === 'Service' ? 'services' : 'ingresses']++;
  if (benchCount.services !== N_SVC || benchCount.ingresses !== N_ING) {
    throw new Error(`the API lists ${benchCount.services} bench Services and ${benchCount.ingresses} bench Ingresses with an IP, want ${N_SVC} and ${N_ING}`);
  }

  // exdns
  const port = await freeUdpPort();
  const readyPort = await freeTcpPort();
  const metricsPort = await freeTcpPort();
  const corefile = join(tmp, 'Corefile');
  writeFileSync(
    corefile,
    `.:${port} {\n    k8s_gateway ${ZONE} {\n        resources Ingress Service\n        kubeconfig ${testbed.paths.exdnsKubeconfig}\n    }\n` +
      `    ready 127.0.0.1:${readyPort}\n    prometheus 127.0.0.1:${metricsPort}\n}\n`,
  );
  const probes = [svcHost(svcName(N_SVC - 1), nsOf(N_SVC - 1)), ingHost(N_ING - 1)].map((name) => ({ name, ip: truth.get(name).ip }));
  await sleep(1000); // let the API server finish with the lists
  log('starting exdns');
  ex = await startExdns(corefile, probes);
  exdns = ex.exdns;
  const ready = await waitReady(ex, port, readyPort);
  const memReady = memOf(exdns.pid);
  if (ready.early) log(`WARNING /ready answered 200 at ${ready.readyHttpMs.toFixed(0)} ms, before queries were answered (${ready.answerMs.toFixed(0)} ms)`);
  log(
    `exdns ready after ${ready.readyMs.toFixed(0)} ms (/ready 200 at ${ready.readyHttpMs.toFixed(0)} ms, right answers at ${ready.answerMs.toFixed(0)} ms, ` +
      `banner at ${ex.bannerMs()?.toFixed(0)} ms); plain list ${listMs.toFixed(0)} ms; RSS ${memReady.rss.toFixed(1)} MB`,
  );

  // SERVFAIL before ready is what exdns answers while it loads; only later ones count.
  const servfailAtReady = metricSum((await httpGet(`http://127.0.0.1:${metricsPort}/metrics`)).body, 'coredns_dns_responses_total', 'rcode="SERVFAIL"') ?? 0;
  const check1 = await checkAnswers(port, truth);
  log(`spot checks: ${check1.n - check1.bad.length}/${check1.n} right`);
  for (const b of check1.bad.slice(0, 10)) log(`  wrong: ${b}`);
  log(`settling ${SETTLE_S} s`);
  await sleep(SETTLE_S * 1000);
  const memSettled = memOf(exdns.pid);
  log(`RSS after settling: ${memSettled.rss.toFixed(1)} MB (VmHWM ${memSettled.hwm.toFixed(1)} MB)`);

  log(`propagation: ${CHANGES} status patches at ${RATE}/s`);
  const prop = await propagation(admin, port, truth);
  log(
    `propagation: from PATCH response p50 ${ms1(prop.fromResp.p50)} / p90 ${ms1(prop.fromResp.p90)} / p99 ${ms1(prop.fromResp.p99)} / max ${ms1(prop.fromResp.max)} ms; ` +
      `from request start p50 ${ms1(prop.fromReq.p50)} / p99 ${ms1(prop.fromReq.p99)} ms; ${prop.failed.length} failed`,
  );
  for (const f of prop.failed.slice(0, 10)) log(`  ${f}`);
  const memAfter = memOf(exdns.pid);

  // Every changed name once more (no update lost or overtaken), the spot checks again, and dig.
  const finalCases = [...new Set(prop.changed.map((c) => c.host))].map((h) => ({ name: h, type: 'A', rcode: 'NOERROR', want: [truth.get(h).ip] }));
  const check2 = await verify(port, finalCases);
  const check3 = await checkAnswers(port, truth);
  for (const b of [...check2.bad, ...check3.bad].slice(0, 10)) log(`  wrong after the changes: ${b}`);
  const dig = digCheck(port, prop.last.host, truth.get(prop.last.host).ip);
  log(`dig ${prop.last.host}: ${dig.status} aa=${dig.aa} [${dig.answers}] (want ${truth.get(prop.last.host).ip}): ${dig.ok ? 'ok' : 'WRONG'}`);

  const metrics = (await httpGet(`http://127.0.0.1:${metricsPort}/metrics`)).body;
  const m = {
    restarts: metricSum(metrics, 'exdns_watch_restarts_total'),
    relists: metricSum(metrics, 'exdns_watch_relists_total'),
    invalid: metricSum(metrics, 'exdns_invalid_objects_total') ?? 0,
    objSvc: metricSum(metrics, 'exdns_index_objects', 'kind="Service"'),
    objIng: metricSum(metrics, 'exdns_index_objects', 'kind="Ingress"'),
    servfail: (metricSum(metrics, 'coredns_dns_responses_total', 'rcode="SERVFAIL"') ?? 0) - servfailAtReady,
  };
  const stopped = await stopProcess(exdns);
  const exText = ex.exLog.join('');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'exdns.log'), exText);
  const noisy = exText.split('\n').filter((l) => /\b(warn|warning|error|fatal)\b/i.test(l) || /\[(WARNING|ERROR|FATAL)\]/.test(l));
  if (noisy.length) {
    log(`exdns logged ${noisy.length} warning/error lines (all in ${join(outDir, 'exdns.log')}):`);
    for (const l of noisy.slice(0, 10)) log(`  ${l}`);
  }
  log(`exdns stopped (${stopped.signal ?? `exit ${stopped.code}`}); metrics: watch restarts ${m.restarts}, relists ${m.relists}, invalid objects ${m.invalid}, index objects Service ${m.objSvc} / Ingress ${m.objIng}, SERVFAIL replies after ready ${m.servfail} (${servfailAtReady} while loading)`);

  if (cleanup && !tb.started) await deleteBenchObjects(admin);
  admin.close();

  // ---------------------------------------------------------------- report
  const pf = (ok) => (ok ? 'pass' : '**FAIL**');
  const readyOverList = ready.readyMs - listMs;
  const goalReady = readyOverList <= 5000;
  const goalProp = prop.fromResp.p99 <= 100 && prop.failed.length === 0;
  const rssMb = memSettled.rss;
  const goalRss = rssMb <= 150;
  const wrong = check1.bad.length + check2.bad.length + check3.bad.length + (dig.ok ? 0 : 1);
  const checked = check1.n + check2.n + check3.n + 1;
  const wallMs = performance.now() - wallStart;
  const loadText = load.reused
    ? `reused: ${load.counts.services.toLocaleString('en')} Services and ${load.counts.ingresses.toLocaleString('en')} Ingresses already there with an IP (found by one labelled list, ${load.checkMs.toFixed(0)} ms)`
    : `loaded in ${secs(load.loadMs)} (${load.ops.create} created, ${load.ops.patch + load.ops.create} status patches${load.ops.delete ? `, ${load.ops.delete} deleted` : ''}: ${load.requests} requests, ` +
      `${((load.requests / load.loadMs) * 1000).toFixed(0)}/s, ${CONCURRENCY} in flight over keep-alive HTTPS${reset ? '; after --reset' : ''}; ` +
      `a create took ${load.createP50.Service} (median) for a Service, which gets a ClusterIP allocated, and ${load.createP50.Ingress} for an Ingress)`;
  const listText = lists.map((l) => l.ms.toFixed(0)).join(', ');
  const reading =
    `**Reading.** exdns served the full ${(N_SVC + N_ING).toLocaleString('en')} objects ${ready.readyMs.toFixed(0)} ms after spawn, ` +
    `${Math.abs(readyOverList).toFixed(0)} ms ${readyOverList >= 0 ? 'more' : 'less'} than a plain client needed just to list them (${listMs.toFixed(0)} ms, median of ${LIST_ROUNDS}), ` +
    `changes reached its answers in ${ms1(prop.fromResp.p50)} ms (p50) / ${ms1(prop.fromResp.p99)} ms (p99) after the API server acknowledged them, ` +
    `and it held ${rssMb.toFixed(0)} MB of RSS after settling, ${goalRss ? 'within' : `${(rssMb - 150).toFixed(0)} MB over`} the 150 MB goal` +
    `${wrong ? `; **${wrong} of ${checked} answers were wrong**` : `; all ${checked} checked answers were right`}.`;
  const cmd = `npm run bench:k8s -- ${args.join(' ')}`.trim().replace(/ --$/, '');
  report = [
    `## Kubernetes source: ${N_SVC.toLocaleString('en')} LoadBalancer Services + ${N_ING.toLocaleString('en')} Ingresses from kube-apiserver (${new Date().toISOString().slice(0, 10)}, node ${process.version})`,
    '',
    `Command: \`${cmd}\` (effective: --changes ${CHANGES} --rate ${RATE} --settle ${SETTLE_S} --concurrency ${CONCURRENCY}; wall time ${secs(wallMs)})`,
    '',
    `Machine: ${os.availableParallelism()} vCPUs (nproc), ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
      `${os.type()} ${os.release()}, node ${process.version}, kube-apiserver ${testbed.KUBE_VERSION} + etcd ${testbed.ETCD_VERSION} (scripts/testbed.mjs, ${tb.started ? 'started by this run' : 'already running'}); ` +
      `the API server, etcd, exdns and the bench share the loopback machine (load average at start ${loadavgStart.map((x) => x.toFixed(2)).join(' ')}).`,
    '',
    `Objects: ${N_SVC.toLocaleString('en')} Services (type LoadBalancer, \`svc-N\` answered as \`svc-N.bench-M.${ZONE}\`) and ${N_ING.toLocaleString('en')} Ingresses (host \`app-N.${ZONE}\`) in ${NS_COUNT} namespaces \`bench-M\`, ` +
      `each with a load-balancer IP set by a merge patch of its status; ${loadText}. The cluster lists ${totals.services.toLocaleString('en')} Services and ${totals.ingresses.toLocaleString('en')} Ingresses in all.`,
    '',
    `exdns: \`node --max-semi-space-size=4 --heap-growing-percent=20 dist/src/cli.js\` with \`k8s_gateway ${ZONE} { resources Ingress Service; kubeconfig .testbed/exdns.kubeconfig }\` (the read-only ServiceAccount), \`ready\`, \`prometheus\`.`,
    '',
    '| measure | value |',
    '|---|---|',
    `| plain list of all Services + Ingresses (exdns's ServiceAccount, both kinds in parallel, pages of 500, JSON parsed) | ${listMs.toFixed(0)} ms (median; rounds ${listText}; ${lastList.per.map((p) => `${p.kind} ${p.pages} pages ${(p.bytes / 2 ** 20).toFixed(1)} MiB`).join(', ')}) |`,
    `| exdns spawn → ready | ${ready.readyMs.toFixed(0)} ms (/ready 200 at ${ready.readyHttpMs.toFixed(0)} ms, right answers for a Service and an Ingress at ${ready.answerMs.toFixed(0)} ms, banner at ${ex.bannerMs()?.toFixed(0) ?? '?'} ms)${ready.early ? ' **/ready 200 came before the data was served**' : ''} |`,
    `| RSS | ${memReady.rss.toFixed(1)} MB at ready, ${memSettled.rss.toFixed(1)} MB after ${SETTLE_S} s (VmHWM ${memSettled.hwm.toFixed(1)} MB), ${memAfter.rss.toFixed(1)} MB after the changes |`,
    `| propagation, from PATCH response (ms) | p50 ${ms1(prop.fromResp.p50)} / p90 ${ms1(prop.fromResp.p90)} / p99 ${ms1(prop.fromResp.p99)} / max ${ms1(prop.fromResp.max)} (${prop.n} changes at ${prop.ratePerS.toFixed(1)}/s, half Services, half Ingresses; ${prop.early} seen before the PATCH response was read) |`,
    `| propagation, from PATCH request start (ms) | p50 ${ms1(prop.fromReq.p50)} / p90 ${ms1(prop.fromReq.p90)} / p99 ${ms1(prop.fromReq.p99)} / max ${ms1(prop.fromReq.max)} (PATCH itself: p50 ${ms1(prop.patch.p50)} / p99 ${ms1(prop.patch.p99)}) |`,
    `| answers checked | ${check1.n} after ready, ${check2.n} changed names + ${check3.n} after the changes, 1 with dig (\`${dig.line}\`): ${wrong} wrong |`,
    `| exdns metrics at the end | index objects Service ${m.objSvc ?? '?'} / Ingress ${m.objIng ?? '?'}, watch restarts ${m.restarts ?? '?'}, relists ${m.relists ?? '?'}, invalid objects ${m.invalid}, SERVFAIL replies after ready ${m.servfail} (${servfailAtReady} to the probes while loading); ${noisy.length} warning/error log lines |`,
    '',
    '| goal | target | measured | result |',
    '|---|---|---|---|',
    `| ready within 5 s of the API server's lists completing | ready − plain list ≤ 5000 ms | ${ready.readyMs.toFixed(0)} − ${listMs.toFixed(0)} = ${readyOverList.toFixed(0)} ms | ${pf(goalReady)} |`,
    `| propagation p99 (from PATCH response) | ≤ 100 ms | ${ms1(prop.fromResp.p99)} ms${prop.failed.length ? ` (${prop.failed.length} never seen)` : ''} | ${pf(goalProp)} |`,
    `| RSS with ${(N_SVC + N_ING).toLocaleString('en')} objects, after sync and settling | ≤ 150 MB | ${rssMb.toFixed(1)} MB (VmHWM ${memSettled.hwm.toFixed(1)} MB) | ${pf(goalRss)} |`,
    `| answers correct, no SERVFAIL once ready | all | ${checked - wrong}/${checked} right; ${m.servfail} SERVFAIL after ready | ${pf(wrong === 0 && m.servfail === 0)} |`,
    '',
    reading,
    '',
  ].join('\n');
} catch (e) {
  if (ex) {
    const text = ex.exLog.join('');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'exdns.log'), text);
    log(`failed; exdns's last output (all in ${join(outDir, 'exdns.log')}):\n${text.slice(-4000)}`);
  }
  throw e;
} finally {
  if (exdns && exdns.exitCode === null && exdns.signalCode === null) await stopProcess(exdns);
  rmSync(tmp, { recursive: true, force: true });
  if (tb?.started) {
    log('taking down the testbed this run started');
    await testbed.down();
  }
}

console.log(report);
if (record) appendFileSync(join(root, 'bench/RESULTS.md'), '\n' + report);
log(`done in ${secs(performance.now() - wallStart)}`);
