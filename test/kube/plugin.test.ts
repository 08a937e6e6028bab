/**
 * The k8s_gateway plugin reading a cluster through `kubeconfig`, end to end: a real exdns server
 * (test/server.ts) queried over UDP, the scripted fake API server behind it. Answers follow the
 * cluster's objects, and the plugin (and /ready) is ready only once every kind it watches is
 * synced.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setLogSink } from '../../src/log.js';
import { QType, Rcode } from '../../src/wire/constants.js';
import { decodeMessage } from '../../src/wire/message.js';
import type { GatewayInstance } from '../../plugins/k8s_gateway/instance.js';
import { UdpClient } from '../e2e/net.js';
import { queryBytes, rrString } from '../kit.js';
import { freePort, readyStatus } from '../exdns-process.js';
import { startServer, type RunningServer } from '../server.js';
import { FakeApiServer, ingress, PATHS, removeDir, service, tempDir, writeKubeconfig, type FakeObject } from './fake-apiserver.js';
import { eventually } from './recorder.js';

let fake: FakeApiServer;
let dir: string;
let kubeconfig: string;
let srv: RunningServer | undefined;
let client: UdpClient | undefined;
const logs: string[] = [];
let restoreLog: ((line: string) => void) | undefined;

beforeAll(() => {
  restoreLog = setLogSink((line) => void logs.push(line));
});

afterAll(() => {
  if (restoreLog) setLogSink(restoreLog);
});

beforeEach(async () => {
  fake = await FakeApiServer.start();
  fake.token = 'plugin-test-token';
  dir = await tempDir();
  kubeconfig = await writeKubeconfig(dir, fake.url, { token: 'plugin-test-token' });
});

afterEach(async () => {
  client?.close();
  client = undefined;
  await srv?.stop();
  srv = undefined;
  await fake.close();
  await removeDir(dir);
});

function gatewayOf(s: RunningServer): GatewayInstance {
  const p = s.instance.configuration?.blocks.flatMap((b) => b.plugins).find((x) => x.name === 'k8s_gateway');
  if (p === undefined) throw new Error('no k8s_gateway in the running configuration');
  return p.instance as GatewayInstance;
}

let queryId = 1;

/** One UDP query to the running server: the rcode and the answer records as text (single-spaced). */
async function ask(name: string, qtype: number = QType.A): Promise<{ rcode: number; answer: string[] }> {
  client ??= await UdpClient.open(srv!.port);
  const id = queryId++ & 0xffff;
  client.send(queryBytes(name, qtype, { id }));
  for (;;) {
    const raw = await client.next(3_000);
    if (raw === undefined) throw new Error(`no reply to ${name}`);
    const m = decodeMessage(raw);
    if (m.header.id !== id) continue; // a late reply to an earlier query
    return { rcode: m.header.rcode, answer: m.answers.map((r) => rrString(r).split(/\s+/).join(' ')) };
  }
}

const corefile = (readyPort: number, body: string): string => `example.com:PORT {
    ready 127.0.0.1:${readyPort}
    k8s_gateway example.com {
        kubeconfig ${kubeconfig}
${body}
    }
}
`;

describe('k8s_gateway with kubeconfig', () => {
  it('answers from the cluster, follows its changes, and is ready only once every kind is synced', async () => {
    fake.create(PATHS.ingresses, ingress('demo', 'web', 'web.example.com', '192.0.2.20'));
    fake.create(PATHS.services, service('demo', 'api', undefined, '192.0.2.10'));
    // EndpointSlices (watched for Services) cannot be listed yet.
    const release = fake.fail(PATHS.endpointslices, 500);
    const readyPort = await freePort();
    srv = await startServer(corefile(readyPort, '        resources Ingress Service'));
    const gw = gatewayOf(srv);
    expect(gw.kinds).toEqual(['EndpointSlice', 'Service', 'Ingress']);

    await eventually(() => {
      expect(gw.index.isSynced('Ingress')).toBe(true);
      expect(gw.index.isSynced('Service')).toBe(true);
    });
    expect(gw.index.isSynced('EndpointSlice')).toBe(false);
    expect(gw.ready()).toBe(false);
    expect(await readyStatus(readyPort)).toBe(503);
    // Not served from a partial view.
    expect((await ask('web.example.com.')).rcode).toBe(Rcode.SERVFAIL);

    release();
    await eventually(() => expect(gw.ready()).toBe(true));
    expect(await readyStatus(readyPort)).toBe(200);
    expect(await ask('web.example.com.')).toEqual({ rcode: Rcode.NOERROR, answer: ['web.example.com. 60 IN A 192.0.2.20'] });
    expect(await ask('api.demo.example.com.')).toEqual({ rcode: Rcode.NOERROR, answer: ['api.demo.example.com. 60 IN A 192.0.2.10'] });
    expect((await ask('nothing.example.com.')).rcode).toBe(Rcode.NXDOMAIN);

    // The load balancer moves: the answer follows.
    fake.modify(PATHS.ingresses, 'demo/web', (o: FakeObject) => {
      o.status = { loadBalancer: { ingress: [{ ip: '192.0.2.21' }] } };
    });
    await eventually(async () => expect((await ask('web.example.com.')).answer).toEqual(['web.example.com. 60 IN A 192.0.2.21']));
    // A new object appears.
    fake.create(PATHS.ingresses, ingress('demo', 'shop', 'shop.example.com', '192.0.2.30'));
    await eventually(async () => expect((await ask('shop.example.com.')).answer).toEqual(['shop.example.com. 60 IN A 192.0.2.30']));
    // Deleted: NXDOMAIN.
    fake.delete(PATHS.ingresses, 'demo/web');
    await eventually(async () => expect((await ask('web.example.com.')).rcode).toBe(Rcode.NXDOMAIN));
    fake.delete(PATHS.services, 'demo/api');
    await eventually(async () => expect((await ask('api.demo.example.com.')).rcode).toBe(Rcode.NXDOMAIN));
    expect(gw.ready()).toBe(true);
    // The API server was asked with the kubeconfig's token.
    expect(fake.requests.filter((r) => r.path !== '/readyz').every((r) => r.headers.authorization === 'Bearer plugin-test-token')).toBe(true);
  });

  it('a kind whose CRD is not installed does not hold readiness back, and is served once installed', async () => {
    fake.create(PATHS.ingresses, ingress('demo', 'web', 'web.example.com', '192.0.2.20'));
    const readyPort = await freePort();
    srv = await startServer(corefile(readyPort, '        resources Ingress DNSEndpoint'));
    const gw = gatewayOf(srv);
    await eventually(() => expect(gw.ready()).toBe(true));
    expect(await readyStatus(readyPort)).toBe(200);
    expect(await ask('web.example.com.')).toEqual({ rcode: Rcode.NOERROR, answer: ['web.example.com. 60 IN A 192.0.2.20'] });
    expect((await ask('ep.example.com.')).rcode).toBe(Rcode.NXDOMAIN);
    // The CRD arrives later (default poll: every 10 s).
    fake.installCrd({ group: 'externaldns.k8s.io', plural: 'dnsendpoints', kind: 'DNSEndpoint', versions: ['v1alpha1'] });
    fake.create(PATHS.dnsendpoints, {
      apiVersion: 'externaldns.k8s.io/v1alpha1',
      kind: 'DNSEndpoint',
      metadata: { name: 'ep', namespace: 'demo' },
      spec: { endpoints: [{ dnsName: 'ep.example.com', recordType: 'A', targets: ['192.0.2.40'] }] },
    });
    await eventually(async () => expect((await ask('ep.example.com.')).answer).toEqual(['ep.example.com. 60 IN A 192.0.2.40']), 25_000);
  }, 40_000);

  /** An Istio ingress gateway Service (not labelled dns=public), its Gateway and a VirtualService. */
  function istio(): void {
    fake.installCrd({ group: 'networking.istio.io', plural: 'gateways', kind: 'Gateway', versions: ['v1', 'v1beta1'] });
    fake.installCrd({ group: 'networking.istio.io', plural: 'virtualservices', kind: 'VirtualService', versions: ['v1', 'v1beta1'] });
    const gatewaySvc = service('istio-system', 'istio-ingressgateway', { istio: 'ingressgateway' }, '192.0.2.50');
    (gatewaySvc.spec as Record<string, unknown>).selector = { istio: 'ingressgateway' };
    fake.create(PATHS.services, gatewaySvc);
    fake.create(PATHS.services, service('demo', 'public', { dns: 'public' }, '192.0.2.60'));
    fake.create('/apis/networking.istio.io/v1/gateways', {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: { name: 'gw', namespace: 'istio-system' },
      spec: { selector: { istio: 'ingressgateway' }, servers: [{ hosts: ['*/shop.example.com'], port: { number: 80, name: 'http', protocol: 'HTTP' } }] },
    });
    fake.create('/apis/networking.istio.io/v1/virtualservices', {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'shop', namespace: 'demo' },
      spec: { hosts: ['shop.example.com'], gateways: ['istio-system/gw'] },
    });
  }

  it('VirtualService -> Istio Gateway -> ingress gateway Service', async () => {
    istio();
    const readyPort = await freePort();
    srv = await startServer(corefile(readyPort, '        resources VirtualService Service'));
    const gw = gatewayOf(srv);
    await eventually(() => expect(gw.ready()).toBe(true));
    expect(await ask('shop.example.com.')).toEqual({ rcode: Rcode.NOERROR, answer: ['shop.example.com. 60 IN A 192.0.2.50'] });
    expect(await ask('public.demo.example.com.')).toEqual({ rcode: Rcode.NOERROR, answer: ['public.demo.example.com. 60 IN A 192.0.2.60'] });
  });

  it('VirtualService targets come from Services outside serviceLabelSelectors, as with manifests', async () => {
    istio();
    const readyPort = await freePort();
    srv = await startServer(corefile(readyPort, '        resources VirtualService Service\n        serviceLabelSelectors dns=public'));
    const gw = gatewayOf(srv);
    await eventually(() => expect(gw.ready()).toBe(true));
    expect(await ask('public.demo.example.com.')).toEqual({ rcode: Rcode.NOERROR, answer: ['public.demo.example.com. 60 IN A 192.0.2.60'] });
    expect(await ask('istio-ingressgateway.istio-system.example.com.')).toMatchObject({ rcode: Rcode.NXDOMAIN });
    expect(await ask('shop.example.com.')).toEqual({ rcode: Rcode.NOERROR, answer: ['shop.example.com. 60 IN A 192.0.2.50'] });
  });
});
