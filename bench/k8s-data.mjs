// Bench data for the k8s_gateway path: Kubernetes manifests (Ingresses and LoadBalancer Services,
// shaped like `kubectl get -o yaml` output without managedFields) and a dnsperf query file.
// Everything is deterministic (seeded PRNG), so runs on different days query the same names.
//
// usage (standalone, e.g. for profiling): node bench/k8s-data.mjs OUTDIR [INGRESSES] [SERVICES]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ZONE = 'bench.example.com';
export const NAMESPACES = 100;
/** Objects per manifest file (multi-document YAML). */
const PER_FILE = 1000;

/** mulberry32: small, fast, deterministic. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Ingress i: host app-i.<zone>, IPv4 10.1.x.y; every 10th Ingress also has an IPv6 address.
export const ingressHost = (i) => `app-${i}.${ZONE}`;
export const ingressV4 = (i) => `10.1.${i >> 8}.${i & 255}`;
export const ingressHasV6 = (i) => i % 10 === 0;
export const ingressV6 = (i) => `2001:db8:1::${i.toString(16)}`;
// Service i: svc-i in ns-(i % 100), answered as svc-i.ns-(i%100).<zone>, IPv4 10.2.x.y.
export const serviceNs = (i) => `ns-${i % NAMESPACES}`;
export const serviceHost = (i) => `svc-${i}.${serviceNs(i)}.${ZONE}`;
export const serviceV4 = (i) => `10.2.${i >> 8}.${i & 255}`;

function ingressYaml(i) {
  const ns = `ns-${i % NAMESPACES}`;
  const lb = [`      - ip: ${ingressV4(i)}`];
  if (ingressHasV6(i)) lb.push(`      - ip: "${ingressV6(i)}"`);
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app-${i}
  namespace: ${ns}
  uid: 6f1c2a3e-0000-4000-8000-${String(i).padStart(12, '0')}
  resourceVersion: "${100000 + i}"
  generation: 1
  creationTimestamp: "2026-01-01T00:00:00Z"
  labels:
    app.kubernetes.io/name: app-${i}
    app.kubernetes.io/part-of: bench
  annotations:
    nginx.ingress.kubernetes.io/proxy-body-size: 8m
spec:
  ingressClassName: nginx
  tls:
    - hosts:
        - ${ingressHost(i)}
      secretName: app-${i}-tls
  rules:
    - host: ${ingressHost(i)}
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: app-${i}
                port:
                  number: 80
status:
  loadBalancer:
    ingress:
${lb.join('\n')}
`;
}

function serviceYaml(i) {
  return `apiVersion: v1
kind: Service
metadata:
  name: svc-${i}
  namespace: ${serviceNs(i)}
  uid: 7a2d3b4f-0000-4000-8000-${String(i).padStart(12, '0')}
  resourceVersion: "${200000 + i}"
  creationTimestamp: "2026-01-01T00:00:00Z"
  labels:
    app.kubernetes.io/name: svc-${i}
    app.kubernetes.io/part-of: bench
spec:
  type: LoadBalancer
  selector:
    app.kubernetes.io/name: svc-${i}
  ports:
    - name: http
      protocol: TCP
      port: 80
      targetPort: 8080
      nodePort: ${30000 + (i % 2700)}
  clusterIP: 10.96.${i >> 8}.${i & 255}
  clusterIPs:
    - 10.96.${i >> 8}.${i & 255}
  externalTrafficPolicy: Cluster
  ipFamilies:
    - IPv4
  ipFamilyPolicy: SingleStack
  sessionAffinity: None
status:
  loadBalancer:
    ingress:
      - ip: ${serviceV4(i)}
        ipMode: VIP
`;
}

function writeManifests(dir, prefix, count, render) {
  for (let f = 0; f * PER_FILE < count; f++) {
    const docs = [];
    for (let i = f * PER_FILE; i < Math.min(count, (f + 1) * PER_FILE); i++) docs.push(render(i));
    writeFileSync(join(dir, `${prefix}-${String(f).padStart(2, '0')}.yaml`), docs.join('---\n'));
  }
}

/**
 * The query mix (exact proportions, then shuffled): 90% A for existing names (half Ingress
 * hosts, half Service names), 5% AAAA (4/5 for Ingresses that have an IPv6 address, 1/5 for
 * IPv4-only names: NODATA), 5% nonexistent names in the zone (NXDOMAIN).
 * Expected rcodes: NOERROR 95%, NXDOMAIN 5%.
 */
export function queryLines(nQueries, ingresses, services, seed = 42) {
  const rnd = prng(seed);
  const pick = (n) => Math.floor(rnd() * n);
  const nA = Math.round(nQueries * 0.9);
  const nAAAA = Math.round(nQueries * 0.05);
  const nMiss = nQueries - nA - nAAAA;
  const lines = [];
  for (let k = 0; k < nA; k++) lines.push(k % 2 === 0 ? `${ingressHost(pick(ingresses))} A` : `${serviceHost(pick(services))} A`);
  const v6 = Math.ceil(ingresses / 10);
  for (let k = 0; k < nAAAA; k++) {
    if (k % 5 !== 4) lines.push(`${ingressHost(pick(v6) * 10)} AAAA`);
    else lines.push(`${serviceHost(pick(services))} AAAA`);
  }
  for (let k = 0; k < nMiss; k++) {
    // Typos and stale names: a number past the end, an unknown prefix, a wrong namespace.
    const n = pick(1_000_000);
    const shape = k % 3;
    if (shape === 0) lines.push(`app-${ingresses + n}.${ZONE} A`);
    else if (shape === 1) lines.push(`web-${n}.${ZONE} A`);
    else lines.push(`svc-${pick(services)}.ns-${NAMESPACES + (n % 100)}.${ZONE} A`);
  }
  for (let k = lines.length - 1; k > 0; k--) {
    const j = pick(k + 1);
    [lines[k], lines[j]] = [lines[j], lines[k]];
  }
  return lines;
}

/**
 * The names and addresses exdns serves from the manifests, for the ceiling (bench/ceiling.mjs):
 * `{ origin, names: [[name, [IPv4...], [IPv6...]], ...] }`.
 */
export function zoneRecords(ingresses, services) {
  const names = [];
  for (let i = 0; i < ingresses; i++) names.push([ingressHost(i), [ingressV4(i)], ingressHasV6(i) ? [ingressV6(i)] : []]);
  for (let i = 0; i < services; i++) names.push([serviceHost(i), [serviceV4(i)], []]);
  return { origin: ZONE, names };
}

/** Writes OUTDIR/manifests/*.yaml, OUTDIR/queries.txt and OUTDIR/zone.json; returns their paths. */
export function generate(outDir, { ingresses = 10_000, services = 10_000, queries = 100_000, seed = 42 } = {}) {
  const manifests = join(outDir, 'manifests');
  rmSync(manifests, { recursive: true, force: true });
  mkdirSync(manifests, { recursive: true });
  writeManifests(manifests, 'ingresses', ingresses, ingressYaml);
  writeManifests(manifests, 'services', services, serviceYaml);
  const queryFile = join(outDir, 'queries.txt');
  writeFileSync(queryFile, queryLines(queries, ingresses, services, seed).join('\n') + '\n');
  const zoneFile = join(outDir, 'zone.json');
  writeFileSync(zoneFile, JSON.stringify(zoneRecords(ingresses, services)));
  return { manifests, queryFile, zoneFile };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [out, ni, ns] = process.argv.slice(2);
  if (!out) {
    console.error('usage: node bench/k8s-data.mjs OUTDIR [INGRESSES] [SERVICES]');
    process.exit(2);
  }
  const r = generate(out, { ingresses: Number(ni ?? 10_000), services: Number(ns ?? 10_000) });
  console.log(`manifests: ${r.manifests}\nqueries: ${r.queryFile}`);
}
