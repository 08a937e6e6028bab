/**
 * Smoke test of the kube testbed (scripts/testbed.mjs): a real kube-apiserver v1.34 + etcd on
 * loopback. Run with `npm exec -- vitest run -c vitest.e2e-kube.config.ts`; the default
 * `npm test` does not include test/e2e-kube.
 *
 * beforeAll calls the script's `up()`: it reuses a running testbed (`npm run testbed -- up`) or starts
 * one, building the binaries on the very first run (10-20 min). A testbed this suite started itself
 * is stopped again in afterAll; one that was already running is left running.
 *
 * A bare apiserver has no namespace controller, so a deleted namespace would stay Terminating: the
 * suite works in a fresh namespace, deletes its objects one by one and leaves the empty namespace.
 */
import { randomBytes } from 'node:crypto';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTestbed, installCrd, KUBE_VERSION, stopTestbed, type KubeObject, type Testbed } from '../testbed/client.js';

const ns = `smoke-${randomBytes(3).toString('hex')}`;
let tb: Testbed;
let startedHere = false;

const service: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: ns, annotations: { 'coredns.io/hostname': 'web' } },
  spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] },
};

const gateway: KubeObject = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'gw', namespace: ns },
  spec: { gatewayClassName: 'testbed', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', hostname: '*.example.test' }] },
};

beforeAll(async () => {
  const r = await ensureTestbed({ crds: 'all' });
  tb = r.testbed;
  startedHere = r.startedHere;
  await tb.admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
});

afterAll(async () => {
  if (!tb) return;
  if (startedHere) {
    await stopTestbed();
    return;
  }
  await tb.admin.delete(service);
  await tb.admin.delete(gateway);
});

describe('kube testbed', () => {
  it(`serves Kubernetes ${KUBE_VERSION} and the four system namespaces`, async () => {
    const version = await tb.admin.call('GET', '/version');
    expect(version).toMatchObject({ gitVersion: KUBE_VERSION, major: '1' });
    const names = (await tb.admin.list('v1', 'Namespace')).map((n) => n.metadata.name);
    expect(names).toEqual(expect.arrayContaining(['default', 'kube-system', 'kube-public', 'kube-node-lease', 'exdns', ns]));
  });

  it('patches and reads back status.loadBalancer of a LoadBalancer Service', async () => {
    const [created] = await tb.admin.apply(service);
    expect(created?.spec).toMatchObject({ type: 'LoadBalancer' });
    await tb.admin.patchStatus(service, { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } });
    // Read back through @kubernetes/client-node's typed API as well.
    const core = tb.kc.makeApiClient(CoreV1Api);
    const svc = await core.readNamespacedService({ name: 'web', namespace: ns });
    expect(svc.status?.loadBalancer?.ingress?.[0]?.ip).toBe('192.0.2.10');
  });

  it('stores a Gateway at v1 and serves it at v1beta1, status subresource included', async () => {
    await tb.admin.apply(gateway);
    await tb.admin.patchStatus(gateway, { addresses: [{ type: 'IPAddress', value: '192.0.2.30' }] });
    const beta = await tb.admin.get({ apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'Gateway', namespace: ns, name: 'gw' });
    expect(beta.apiVersion).toBe('gateway.networking.k8s.io/v1beta1');
    expect(beta.spec).toMatchObject({ gatewayClassName: 'testbed' });
    expect(beta.status).toMatchObject({ addresses: [{ type: 'IPAddress', value: '192.0.2.30' }] });
  });

  it('installs a CRD on demand (idempotent) and waits for Established', async () => {
    const name = await installCrd('externaldns.k8s.io_dnsendpoints');
    expect(name).toBe('dnsendpoints.externaldns.k8s.io');
    const crd = await tb.admin.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name });
    const conds = (crd.status as { conditions?: { type: string; status: string }[] }).conditions ?? [];
    expect(conds).toContainEqual(expect.objectContaining({ type: 'Established', status: 'True' }));
  });

  it('gives the exdns ServiceAccount list+watch on what it reads, and nothing on secrets', async () => {
    const services = await tb.exdns.list('v1', 'Service');
    expect(services.map((s) => `${s.metadata.namespace}/${s.metadata.name}`)).toContain(`${ns}/web`);
    expect(await tb.exdns.probeWatch('v1', 'Service')).toBe(200);
    expect(await tb.exdns.probeWatch('gateway.networking.k8s.io/v1', 'Gateway')).toBe(200);
    expect((await tb.exdns.list('gateway.networking.k8s.io/v1', 'Gateway', ns)).length).toBe(1);
    expect((await tb.exdns.request('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gateways.gateway.networking.k8s.io')).status).toBe(200);

    expect((await tb.exdns.request('GET', '/api/v1/secrets')).status).toBe(403);
    expect((await tb.exdns.request('GET', `/api/v1/namespaces/${ns}/services/web`)).status).toBe(403); // list/watch, no get
    expect((await tb.exdns.request('DELETE', `/api/v1/namespaces/${ns}/services/web`)).status).toBe(403);
    // The same 403 through client-node 2.x, which throws an ApiException with `code`.
    const core = tb.exdnsKc.makeApiClient(CoreV1Api);
    await expect(core.listSecretForAllNamespaces()).rejects.toMatchObject({ code: 403 });
  });
});
