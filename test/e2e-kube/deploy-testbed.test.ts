/**
 * charts/exdns on the kube testbed. For each value set of charts/exdns/ci: the rendered
 * manifests are applied to the real kube-apiserver (server-side apply: the apiserver validates
 * them); exdns runs out of the cluster with the chart's rendered Corefile and a TokenRequest
 * token of the chart's ServiceAccount; it answers for a test object of every kind the values
 * enable, and that ServiceAccount can list and watch exactly those kinds: every other kind,
 * Secrets and the rest are forbidden. Then the dual nameserver deployment: two releases peering
 * through `secondary`, their Services given load-balancer IPs, each answering NS with both
 * nameservers and their glue.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig } from '../e2e/dig.js';
import { Daemon, freePort, sleep } from '../exdns-process.js';
import { ensureTestbed, installCrd, type KubeClient, type KubeObject, type Testbed } from '../testbed/client.js';
import {
  COLLECTIONS,
  crdNames,
  ensureHelm,
  kindsFor,
  NEVER,
  readValues,
  render,
  valueSets,
  type ObjectKind,
  type Rendered,
  type ResourceKind,
} from '../deploy/chart.js';
import { fixtures } from '../deploy/kinds.js';
import { access, applyRendered, collectionUrl, freePorts, health, portValues, serviceAccountClient, startRelease, type Ports } from '../deploy/release.js';
import { answers, ask, metric, until, type Exdns } from './harness.js';

const run = randomBytes(3).toString('hex');
const ns = `deploy-${run}`;
const sets = valueSets();
const dir = mkdtempSync(path.join(tmpdir(), 'exdns-deploy-test-'));
const SERVICE_MONITOR_CRD = path.resolve(import.meta.dirname, '..', 'deploy', 'crds', 'monitoring.coreos.com_servicemonitors.yaml');

let tb: Testbed;
/** Everything applied, for clean-up (cluster-scoped objects above all: a bare apiserver never collects them). */
const applied: KubeObject[] = [];
const running: Exdns[] = [];

beforeAll(async () => {
  await ensureHelm();
  ({ testbed: tb } = await ensureTestbed({ crds: 'all' }));
  await tb.admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  // all-kinds enables the ServiceMonitor: a minimal CRD stands in for prometheus-operator's.
  await installCrd(SERVICE_MONITOR_CRD);
}, 40 * 60_000);

afterAll(async () => {
  await Promise.all(running.map((e) => e.stop()));
  for (const o of applied.reverse()) await tb?.admin.delete(o).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

interface Deployed {
  r: Rendered;
  ports: Ports;
  sa: KubeClient;
  exdns: Exdns;
}

/** Renders `set` as release `release` on free ports, applies it, and starts exdns as its ServiceAccount. */
async function deploy(release: string, files: string[], values: Record<string, unknown>, probe: string, extraValues?: (p: Ports) => Record<string, unknown>): Promise<Deployed> {
  const ports = await freePorts();
  const r = render({ release, namespace: ns, valuesFiles: files, values: { ...values, ...portValues(ports), ...(extraValues?.(ports) ?? {}) } });
  const objs = await applyRendered(tb, r);
  applied.push(...objs);
  // The apiserver accepted and stored every rendered object.
  expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(r.objects.map((o) => `${o.kind}/${o.metadata.name}`));
  for (const o of objs) expect(o.metadata.uid, `${o.kind}/${o.metadata.name}`).toBeTruthy();
  const kubeconfig = path.join(dir, `${release}.kubeconfig`);
  const sa = await serviceAccountClient(tb, r, kubeconfig, probe);
  const exdns = await startRelease(r, ports, kubeconfig, { readyTimeoutMs: 60_000 });
  running.push(exdns);
  return { r, ports, sa, exdns };
}

async function stop(d: Deployed): Promise<void> {
  running.splice(running.indexOf(d.exdns), 1);
  await d.exdns.stop();
}

/** The address a whoami reply (additional section) reports for `name`, or the reply's status. */
async function whoami(port: number, name: string): Promise<string> {
  const m = (await dig(port, name, 'A')).messages[0];
  if (m?.status !== 'NOERROR') return `status ${m?.status ?? 'no reply'}`;
  return m.additional.find((a) => a[3] === 'A')?.[4] ?? 'no A record';
}

const ALL_KINDS = Object.keys(COLLECTIONS) as ObjectKind[];

/** Per value set: the zone to ask in, and the fixture options its filters need. */
const CASES: { set: string; zone: string; fixture?: { nodeAddressType?: 'ExternalIP' } }[] = [
  { set: 'single', zone: 'apps.example.com' },
  { set: 'gateway-api', zone: 'gw.example.com' },
  { set: 'istio', zone: 'mesh.example.com' },
  { set: 'all-kinds', zone: 'all.example.com', fixture: { nodeAddressType: 'ExternalIP' } },
];

describe.each(CASES)('ci/$set-values.yaml on the testbed', ({ set, zone, fixture }) => {
  const file = sets.get(set)!;
  const resources = (readValues(file).watchedResources as ResourceKind[] | undefined) ?? ['Ingress', 'Service'];
  const kinds = kindsFor(resources);
  const tag = `${set.replace(/[^a-z]/g, '')}-${run}`;
  const fx = fixtures({ namespace: ns, zone, tag, gatewayClass: 'public', ingressClass: 'nginx', ...fixture });
  let d: Deployed;

  beforeAll(async () => {
    const firstAllowed = COLLECTIONS[[...kinds][0]!];
    // all-kinds' lab.server block listens on the release's DNS port, like its main block does in the Pod.
    const lab = (p: Ports) => (set === 'all-kinds' ? { customConfig: { data: { 'lab.server': `lab.example.com:${p.dns} {\n    whoami\n}\n` } } } : {});
    d = await deploy(`exdns-${set}`, [file], {}, collectionUrl(firstAllowed), lab);
    for (const r of resources) {
      const f = fx[r];
      const objs = await tb.admin.apply(f.objects);
      applied.push(...objs);
      for (const [obj, status] of f.statuses) await tb.admin.patchStatus(obj, status);
    }
  }, 120_000);

  afterAll(async () => {
    if (d) await stop(d);
  }, 30_000);

  it(`answers for every enabled kind (${resources.join(', ')})`, async () => {
    for (const r of resources) await until(d.exdns, fx[r].host, 'A', answers(`A ${fx[r].ip}`), 30_000);
    expect(d.exdns.daemon.output).not.toMatch(/HTTP 40[13]|check the credentials and RBAC/);
  });

  it('has every kind it reads synced, health and readiness up', async () => {
    for (const k of kinds) expect(await metric(d.exdns, 'exdns_source_synced', `kind="${k}"`), k).toBe(1);
    expect(await health(d.ports)).toBe(200);
  });

  it('its ServiceAccount may list and watch exactly those kinds', async () => {
    const got: Record<string, string> = {};
    const want: Record<string, string> = {};
    for (const k of ALL_KINDS) {
      const a = await access(d.sa, COLLECTIONS[k]);
      // A CRD another suite removed for a moment answers 404 to an allowed request, never 403.
      got[k] = a.list === 403 && a.watch === 403 ? 'forbidden' : a.list !== 403 && a.watch !== 403 ? 'allowed' : `list ${a.list}, watch ${a.watch}`;
      want[k] = kinds.has(k) ? 'allowed' : 'forbidden';
    }
    expect(got).toEqual(want);
    for (const c of NEVER) expect((await access(d.sa, c)).list, collectionUrl(c)).toBe(403);
    // Reading one namespace's Secrets or writing anything: forbidden too.
    expect((await d.sa.request('GET', `/api/v1/namespaces/${ns}/secrets`)).status).toBe(403);
    const svc = fx.Service.objects[0]!;
    expect((await d.sa.request('POST', `/api/v1/namespaces/${ns}/services`, { body: { ...svc, metadata: { name: `forbidden-${run}` } } })).status).toBe(403);
  });

  it('reads only the CRDs of its kinds, by name', async () => {
    const mine = crdNames(kinds);
    const others = crdNames(ALL_KINDS).filter((n) => !mine.includes(n));
    for (const n of mine) expect([200, 404], n).toContain((await d.sa.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${n}`)).status);
    for (const n of others) expect((await d.sa.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${n}`)).status, n).toBe(403);
  });

  it('is authoritative only: a name outside its zones is refused', async () => {
    const s = await ask(d.exdns, `nothing-${run}.example.net`, 'A');
    expect(s.status).toBe('REFUSED');
  });

  if (set === 'all-kinds') {
    it('customConfig: an .override plugin in the block and a .server block of its own', async () => {
      await until(d.exdns, 'static.all.example.com', 'A', answers('A 192.0.2.99'));
      expect(await whoami(d.exdns.dnsPort, 'lab.example.com')).toBe('127.0.0.1');
    });

    it('the reverse zone answers PTR for the objects', async () => {
      await until(d.exdns, '110.2.0.192.in-addr.arpa', 'PTR', (s) => s.status === 'NOERROR' && s.records.includes(`PTR ${fx.Ingress.host}.`));
    });
  }
});

describe('ci/forward-values.yaml on the testbed: out-of-zone and fallen-through names are forwarded', () => {
  let d: Deployed;
  let upstream: Daemon;
  let upstreamPort: number;
  const zone = 'corp.example.com';
  const fx = fixtures({ namespace: ns, zone, tag: `fwd-${run}` });

  beforeAll(async () => {
    // The upstream: an exdns that answers every name with whoami (the asker's address).
    upstreamPort = await freePort();
    upstream = new Daemon(['-conf', 'stdin'], { cwd: dir, stdin: `.:${upstreamPort} {\n    bind 127.0.0.1\n    whoami\n}\n` });
    await upstream.waitFor(`.:${upstreamPort}`);
    d = await deploy('exdns-forward', [sets.get('forward')!], { forward: { upstreams: [`127.0.0.1:${upstreamPort}`] } }, '/apis/networking.k8s.io/v1/ingresses');
    const objs = await tb.admin.apply(fx.Ingress.objects);
    applied.push(...objs);
    await tb.admin.patchStatus(objs[0]!, { loadBalancer: { ingress: [{ ip: fx.Ingress.ip }] } });
  }, 120_000);

  afterAll(async () => {
    if (d) await stop(d);
    upstream?.kill('SIGTERM');
    await upstream?.exited;
  }, 30_000);

  it('answers its own names from the cluster', async () => {
    await until(d.exdns, fx.Ingress.host, 'A', answers(`A ${fx.Ingress.ip}`), 30_000);
  });

  it('forwards names outside the zone', async () => {
    expect(await whoami(d.exdns.dnsPort, `www-${run}.example.net`)).toBe('127.0.0.1');
  });

  it('falls through to the upstream for in-zone names it has no records for', async () => {
    expect(await whoami(d.exdns.dnsPort, `unknown-${run}.${zone}`)).toBe('127.0.0.1');
    // ...but not for the names it has.
    expect((await ask(d.exdns, fx.Ingress.host, 'A')).records).toEqual([`A ${fx.Ingress.ip}`]);
  });
});

describe('dual nameserver deployment: two releases peering through `secondary`', () => {
  const zone = 'example.com';
  const ips = { 'exdns-1': '192.0.2.53', 'exdns-2': '192.0.2.54' } as const;
  const releases = ['exdns-1', 'exdns-2'] as const;
  const peer = { 'exdns-1': 'exdns-2', 'exdns-2': 'exdns-1' } as const;
  const deployed: Partial<Record<(typeof releases)[number], Deployed>> = {};

  beforeAll(async () => {
    for (const rel of releases) {
      deployed[rel] = await deploy(rel, [sets.get('dual')!], { secondary: `${peer[rel]}.${ns}`, service: { loadBalancerIP: ips[rel] } }, '/api/v1/services');
    }
    // The load balancer gives each DNS Service the IP it asked for.
    for (const rel of releases) {
      const svc = deployed[rel]!.r.find('Service', rel);
      expect((svc.spec as { loadBalancerIP?: string }).loadBalancerIP).toBe(ips[rel]);
      await tb.admin.patchStatus(svc, { loadBalancer: { ingress: [{ ip: ips[rel] }] } });
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all(releases.map(async (rel) => deployed[rel] && stop(deployed[rel])));
  }, 30_000);

  it.each(releases)('%s answers NS with both nameservers and their glue', async (rel) => {
    const e = deployed[rel]!.exdns;
    const ns1 = `exdns-1.${ns}.${zone}.`;
    const ns2 = `exdns-2.${ns}.${zone}.`;
    const deadline = Date.now() + 20_000;
    for (;;) {
      const r = await dig(e.dnsPort, '+norecurse', zone, 'NS');
      const m = r.messages[0];
      const nsRecords = (m?.answer ?? []).map((a) => `${a[0]} ${a[3]} ${a[4]}`).sort();
      const glue = (m?.additional ?? []).filter((a) => a[3] === 'A').map((a) => `${a[0]} A ${a[4]}`).sort();
      const ok =
        m?.status === 'NOERROR' &&
        m.flags.includes('aa') &&
        JSON.stringify(nsRecords) === JSON.stringify([`${zone}. NS ${ns1}`, `${zone}. NS ${ns2}`]) &&
        JSON.stringify(glue) === JSON.stringify([`${ns1} A ${ips['exdns-1']}`, `${ns2} A ${ips['exdns-2']}`]);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`NS ${zone} from ${rel}: ${r.stdout}\n${e.daemon.output.slice(-3000)}`);
      await sleep(200);
    }
  });

  it.each(releases)('%s names itself in the SOA, and both nameserver names resolve', async (rel) => {
    const e = deployed[rel]!.exdns;
    const r = await dig(e.dnsPort, '+norecurse', zone, 'SOA');
    const soa = r.messages[0]?.answer[0];
    expect(soa?.[3]).toBe('SOA');
    expect(soa?.[4]).toBe(`${rel}.${ns}.${zone}.`);
    for (const other of releases) await until(e, `${other}.${ns}.${zone}`, 'A', answers(`A ${ips[other]}`));
  });
});
