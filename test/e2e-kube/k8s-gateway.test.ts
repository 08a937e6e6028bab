/**
 * k8s_gateway against a real kube-apiserver: exdns runs as its own process with the read-only
 * ServiceAccount of test/testbed/rbac.yaml, and every kind goes through create -> answers,
 * status change -> new answer, delete -> NXDOMAIN, asked with dig. With no controllers in the
 * testbed, the tests write the status subresource themselves, as controllers would.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteCrd, ensureTestbed, installCrd, type KubeObject, type Testbed } from '../testbed/client.js';
import { answers, ask, metric, nxdomain, startExdns, until, type Exdns } from './harness.js';

const ns = `e2e-${randomBytes(3).toString('hex')}`;
const zone = 'kube.test';
let tb: Testbed;
let exdns: Exdns;

const lbStatus = (...ips: string[]) => ({ loadBalancer: { ingress: ips.map((ip) => ({ ip })) } });

beforeAll(async () => {
  ({ testbed: tb } = await ensureTestbed({ crds: 'all' }));
  await tb.admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  // DNSEntry's CRD is installed only after exdns has started (see "a CRD installed later").
  await deleteCrd('dnsentries.dns.gardener.cloud');
  exdns = await startExdns(`
${zone}:DNS_PORT {
    k8s_gateway {
        resources Ingress Service HTTPRoute TLSRoute GRPCRoute VirtualService DNSEndpoint DNSEntry Node
        kubeconfig ${tb.exdnsKubeconfig}
    }
    ready 127.0.0.1:READY_PORT
    prometheus 127.0.0.1:METRICS_PORT
}
selected.test:DNS_PORT {
    k8s_gateway {
        resources Service
        serviceLabelSelectors exdns-e2e=${ns}
        kubeconfig ${tb.exdnsKubeconfig}
    }
}
`);
}, 30 * 60_000);

afterAll(async () => {
  await exdns?.stop();
  await installCrd('dnsentries.dns.gardener.cloud').catch(() => undefined);
});

const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: ns, ...extra });

describe('every kind: create, status change, delete', () => {
  it('Ingress', async () => {
    const host = `web.${ns}.${zone}`;
    const ing: KubeObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: meta('web'),
      spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
    };
    await tb.admin.apply(ing);
    await until(exdns, host, 'A', nxdomain); // no address yet
    await tb.admin.patchStatus(ing, lbStatus('192.0.2.10'));
    await until(exdns, host, 'A', answers('A 192.0.2.10'));
    await tb.admin.patchStatus(ing, lbStatus('192.0.2.11', '2001:db8::11'));
    await until(exdns, host, 'A', answers('A 192.0.2.11'));
    await until(exdns, host, 'AAAA', answers('AAAA 2001:db8::11'));
    await tb.admin.delete(ing);
    await until(exdns, host, 'A', nxdomain);
  });

  it('Service of type LoadBalancer', async () => {
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('api'),
      spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 443 }] },
    };
    const host = `api.${ns}.${zone}`;
    await tb.admin.apply(svc);
    await tb.admin.patchStatus(svc, lbStatus('192.0.2.20'));
    await until(exdns, host, 'A', answers('A 192.0.2.20'));
    await tb.admin.patchStatus(svc, lbStatus('192.0.2.21'));
    await until(exdns, host, 'A', answers('A 192.0.2.21'));
    await tb.admin.delete(svc);
    await until(exdns, host, 'A', nxdomain);
  });

  it('Node', async () => {
    const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: `${ns}-node` } };
    const host = `${ns}-node.${zone}`;
    await tb.admin.apply(node);
    const addresses = (ip: string) => ({ addresses: [{ type: 'Hostname', address: host }, { type: 'InternalIP', address: ip }] });
    await tb.admin.patchStatus(node, addresses('192.0.2.30'));
    await until(exdns, host, 'A', answers('A 192.0.2.30'));
    await tb.admin.patchStatus(node, addresses('192.0.2.31'));
    await until(exdns, host, 'A', answers('A 192.0.2.31'));
    await tb.admin.delete(node);
    await until(exdns, host, 'A', nxdomain);
  });
});

describe("Gateway API: a route answers with its Gateway's addresses", () => {
  const gateway: KubeObject = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: meta('gw'),
    spec: { gatewayClassName: 'testbed', listeners: [{ name: 'https', port: 443, protocol: 'HTTPS' }] },
  };
  const gwStatus = (ip: string) => ({ addresses: [{ type: 'IPAddress', value: ip }] });

  it.each([
    ['HTTPRoute', 'gateway.networking.k8s.io/v1'],
    ['GRPCRoute', 'gateway.networking.k8s.io/v1'],
    ['TLSRoute', 'gateway.networking.k8s.io/v1'],
  ])('%s', async (kind, apiVersion) => {
    const host = `${kind.toLowerCase()}.${ns}.${zone}`;
    const gw = { ...gateway, metadata: meta(`gw-${kind.toLowerCase()}`) };
    const route: KubeObject = {
      apiVersion,
      kind,
      metadata: meta(kind.toLowerCase()),
      spec: { hostnames: [host], parentRefs: [{ name: gw.metadata.name }] },
    };
    await tb.admin.apply(gw);
    await tb.admin.apply(route);
    await tb.admin.patchStatus(gw, gwStatus('192.0.2.40'));
    await until(exdns, host, 'A', answers('A 192.0.2.40'));
    // The Gateway's address moves: the route's name follows without the route changing.
    await tb.admin.patchStatus(gw, gwStatus('192.0.2.41'));
    await until(exdns, host, 'A', answers('A 192.0.2.41'));
    await tb.admin.delete(route);
    await until(exdns, host, 'A', nxdomain);
    await tb.admin.delete(gw);
  });
});

describe('Istio: a VirtualService answers with the addresses of the Services its Gateway selects', () => {
  it("follows the selected Service's load-balancer address", async () => {
    const host = `vs.${ns}.${zone}`;
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('istio-ingress', { labels: { istio: `ingress-${ns}` } }),
      spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, selector: { istio: `ingress-${ns}` }, ports: [{ port: 443 }] },
    };
    const igw: KubeObject = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: meta('igw'),
      spec: { selector: { istio: `ingress-${ns}` }, servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: [`*/${host}`] }] },
    };
    const vs: KubeObject = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: meta('vs'),
      spec: { hosts: [host], gateways: [`${ns}/igw`] },
    };
    await tb.admin.apply(svc);
    await tb.admin.patchStatus(svc, lbStatus('192.0.2.50'));
    await tb.admin.apply(igw);
    await tb.admin.apply(vs);
    await until(exdns, host, 'A', answers('A 192.0.2.50'));
    await tb.admin.patchStatus(svc, lbStatus('192.0.2.51'));
    await until(exdns, host, 'A', answers('A 192.0.2.51'));
    // The Istio Gateway names the host too (servers[].hosts), so the name lasts until both are gone.
    await tb.admin.delete(vs);
    await tb.admin.delete(igw);
    await until(exdns, host, 'A', nxdomain);
    await tb.admin.delete(svc);
  });
});

describe('DNS record CRDs', () => {
  it('DNSEndpoint: A and TXT records, changed and removed', async () => {
    const host = `ep.${ns}.${zone}`;
    const ep = (ip: string): KubeObject => ({
      apiVersion: 'externaldns.k8s.io/v1alpha1',
      kind: 'DNSEndpoint',
      metadata: meta('ep'),
      spec: {
        endpoints: [
          { dnsName: host, recordType: 'A', targets: [ip] },
          { dnsName: host, recordType: 'TXT', targets: ['owner=e2e'] },
        ],
      },
    });
    await tb.admin.apply(ep('192.0.2.60'));
    await until(exdns, host, 'A', answers('A 192.0.2.60'));
    await until(exdns, host, 'TXT', answers('TXT "owner=e2e"'));
    await tb.admin.apply(ep('192.0.2.61'));
    await until(exdns, host, 'A', answers('A 192.0.2.61'));
    await tb.admin.delete(ep('192.0.2.61'));
    await until(exdns, host, 'A', nxdomain);
  });

  it('a CRD installed after exdns started is picked up (DNSEntry)', async () => {
    const host = `entry.${ns}.${zone}`;
    // exdns became ready without the CRD: the kind counted as loaded and empty.
    expect((await ask(exdns, host, 'A')).status).toBe('NXDOMAIN');
    await installCrd('dnsentries.dns.gardener.cloud');
    const entry: KubeObject = {
      apiVersion: 'dns.gardener.cloud/v1alpha1',
      kind: 'DNSEntry',
      metadata: meta('entry'),
      spec: { dnsName: host, targets: ['192.0.2.70'] },
    };
    await tb.admin.apply(entry);
    await until(exdns, host, 'A', answers('A 192.0.2.70'), 30_000);
    await tb.admin.apply({ ...entry, spec: { dnsName: host, targets: ['192.0.2.71'] } });
    await until(exdns, host, 'A', answers('A 192.0.2.71'));
    await tb.admin.delete(entry);
    await until(exdns, host, 'A', nxdomain);
  });
});

describe('serviceLabelSelectors', () => {
  it('a Service watch with a label selector sees only matching Services', async () => {
    const svc = (name: string, labels: Record<string, string>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(name, { labels }),
      spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] },
    });
    const matching = svc('picked', { 'exdns-e2e': ns });
    const other = svc('skipped', { 'exdns-e2e': 'other' });
    for (const s of [matching, other]) {
      await tb.admin.apply(s);
      await tb.admin.patchStatus(s, lbStatus('192.0.2.80'));
    }
    await until(exdns, `picked.${ns}.selected.test`, 'A', answers('A 192.0.2.80'));
    // The unselected one is served by the unfiltered zone, so it has arrived by now...
    await until(exdns, `skipped.${ns}.${zone}`, 'A', answers('A 192.0.2.80'));
    // ...but not in the filtered one.
    expect((await ask(exdns, `skipped.${ns}.selected.test`, 'A')).status).toBe('NXDOMAIN');
    // Relabelling moves a Service in and out of the selection.
    await tb.admin.mergePatch(other, { metadata: { labels: { 'exdns-e2e': ns } } });
    await until(exdns, `skipped.${ns}.selected.test`, 'A', answers('A 192.0.2.80'));
    await tb.admin.mergePatch(matching, { metadata: { labels: { 'exdns-e2e': 'other' } } });
    await until(exdns, `picked.${ns}.selected.test`, 'A', nxdomain);
    await tb.admin.delete(matching);
    await tb.admin.delete(other);
  });
});

describe('metrics', () => {
  it('reports every kind synced and the time of its last event', async () => {
    for (const kind of ['Ingress', 'Service', 'EndpointSlice', 'Gateway', 'HTTPRoute', 'IstioGateway', 'VirtualService', 'DNSEndpoint', 'DNSEntry', 'Node']) {
      expect(await metric(exdns, 'exdns_source_synced', `kind="${kind}"`), kind).toBe(1);
    }
    const last = await metric(exdns, 'exdns_watch_last_event_timestamp_seconds', 'kind="Service"');
    expect(last).toBeGreaterThan(Date.now() / 1000 - 600);
  });
});
