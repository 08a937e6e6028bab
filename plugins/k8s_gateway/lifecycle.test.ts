/**
 * The plugin over time: SERVFAIL until every kind is loaded, the SOA serial moving with the
 * data (and only then), and joined objects (Gateway, EndpointSlice, Istio Service) changing the
 * answers of the names that depend on them.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PluginError } from '../../src/plugin/plugin.js';
import { QType, Rcode } from '../../src/wire/constants.js';
import { makeRequest, nextHandler, Recorder } from '../../test/kit.js';
import type { SourceFactory } from './instance.js';
import type { SourceSink } from './types.js';
import { check, fixture, objects, soa, startGateway, type StartedGateway, upsertYaml } from '../../test/k8s-gateway.js';

const SOA = soa('example.com.');
const MARKER = Rcode.REFUSED;

/** The rcode a query ends with: the written reply's, else the handler's return or thrown PluginError. */
async function outcome(g: StartedGateway, qname: string, qtype: number = QType.A): Promise<{ rcode: number; written: boolean }> {
  const req = makeRequest(qname, qtype);
  const rec = new Recorder(req);
  try {
    const code = await g.handler.serveDNS(req, rec);
    return rec.written ? { rcode: rec.msg().header.rcode, written: true } : { rcode: code, written: false };
  } catch (e) {
    if (e instanceof PluginError) return { rcode: e.rcode, written: rec.written };
    throw e;
  }
}

describe('readiness', () => {
  it('SERVFAIL in zone until started; other zones go to the next plugin', async () => {
    const g = await startGateway(
      `k8s_gateway example.com {
        manifests ${fixture('answers.yaml')}
        resources Ingress Service HTTPRoute DNSEndpoint
      }`,
      { start: false, next: nextHandler(MARKER) },
    );
    try {
      expect(g.instance.ready()).toBe(false);
      const req = makeRequest('a-only.example.com.', QType.A);
      await expect(g.handler.serveDNS(req, new Recorder(req))).rejects.toMatchObject({ name: 'PluginError', rcode: Rcode.SERVFAIL });
      expect(await outcome(g, 'example.com.', QType.SOA)).toEqual({ rcode: Rcode.SERVFAIL, written: false });
      expect(await outcome(g, 'nowhere.example.com.')).toEqual({ rcode: Rcode.SERVFAIL, written: false });
      expect(await outcome(g, 'a-only.example.org.')).toEqual({ rcode: MARKER, written: false });

      await g.instance.start();
      expect(g.instance.ready()).toBe(true);
      await check(g, { qname: 'a-only.example.com.', qtype: QType.A, answer: ['a-only.example.com. 60 IN A 192.0.2.1'] });
      await check(g, { qname: 'a-only.example.org.', qtype: QType.A, returns: MARKER });
    } finally {
      await g.stop();
    }
  });

  it('waits for every kind, including the joined ones', async () => {
    let sink: SourceSink | undefined;
    const source: SourceFactory = () => ({
      start: (s) => {
        sink = s;
        return Promise.resolve();
      },
      stop: () => Promise.resolve(),
    });
    const g = await startGateway('k8s_gateway example.com {\n resources Ingress Service\n}', { source, next: nextHandler(MARKER) });
    try {
      expect(g.instance.kinds).toEqual(['EndpointSlice', 'Service', 'Ingress']);
      const s = sink!;
      const ingresses = objects(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: web}
spec: {rules: [{host: web.example.com}]}
status: {loadBalancer: {ingress: [{ip: 192.0.2.1}]}}`).map((o) => o.obj);
      s.replace('Ingress', ingresses);
      s.synced('Ingress');
      s.replace('Service', []);
      s.synced('Service');
      expect(g.instance.ready()).toBe(false);
      // Even a name the index already holds is not served from a partial view.
      expect(await outcome(g, 'web.example.com.')).toEqual({ rcode: Rcode.SERVFAIL, written: false });
      expect(await outcome(g, 'web.example.org.')).toEqual({ rcode: MARKER, written: false });
      s.replace('EndpointSlice', []);
      s.synced('EndpointSlice');
      expect(g.instance.ready()).toBe(true);
      await check(g, { qname: 'web.example.com.', qtype: QType.A, answer: ['web.example.com. 60 IN A 192.0.2.1'] });
      await check(g, { qname: 'nope.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [SOA] });
    } finally {
      await g.stop();
    }
  });
});

describe('SOA serial', () => {
  let g: StartedGateway;
  beforeEach(async () => {
    g = await startGateway(`k8s_gateway example.com {
      manifests ${fixture('classes.yaml')}
      resources Ingress
      ingressClasses nginx
    }`);
  });
  afterEach(() => g.stop());

  async function served(): Promise<number> {
    const rec = await check(g, { qname: 'example.com.', qtype: QType.SOA, answer: [SOA] });
    const serial = rec.msg().answers[0]?.serial;
    if (serial === undefined) throw new Error('no SOA');
    return serial;
  }

  const NEW = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: new, namespace: web}
spec: {ingressClassName: nginx, rules: [{host: new.example.com}]}
status: {loadBalancer: {ingress: [{ip: 192.0.2.9}]}}`;

  it('stays put while nothing changes', async () => {
    const s0 = await served();
    expect(await served()).toBe(s0);
    await check(g, { qname: 'nginx-spec.example.com.', qtype: QType.A, answer: ['nginx-spec.example.com. 60 IN A 192.0.2.1'] });
    expect(await served()).toBe(s0);
    // The same object again, a change DNS does not see, and an object the class filter drops.
    upsertYaml(
      g,
      `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: nginx-spec
  namespace: web
  annotations: {note: "edited, same DNS"}
spec:
  ingressClassName: nginx
  rules: [{host: nginx-spec.example.com}]
status: {loadBalancer: {ingress: [{ip: 192.0.2.1}]}}`,
    );
    upsertYaml(
      g,
      `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: haproxy, namespace: web}
spec: {ingressClassName: haproxy, rules: [{host: haproxy.example.com}]}
status: {loadBalancer: {ingress: [{ip: 192.0.2.10}]}}`,
    );
    g.instance.index.delete('Ingress', 'web/not-there');
    expect(await served()).toBe(s0);
  });

  it('increases with every change, in every reply that carries the SOA', async () => {
    const s0 = await served();
    upsertYaml(g, NEW);
    const s1 = await served();
    expect(s1).toBeGreaterThan(s0);
    await check(g, { qname: 'new.example.com.', qtype: QType.A, answer: ['new.example.com. 60 IN A 192.0.2.9'] });
    const nx = await check(g, { qname: 'nope.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [SOA] });
    expect(nx.msg().authorities[0]?.serial).toBe(s1);
    const nodata = await check(g, { qname: 'new.example.com.', qtype: QType.TXT, ns: [SOA] });
    expect(nodata.msg().authorities[0]?.serial).toBe(s1);

    g.instance.index.delete('Ingress', 'web/new');
    const s2 = await served();
    expect(s2).toBeGreaterThan(s1);
    await check(g, { qname: 'new.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [SOA] });
    // An address change of an existing name.
    upsertYaml(
      g,
      `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: nginx-spec, namespace: web}
spec: {ingressClassName: nginx, rules: [{host: nginx-spec.example.com}]}
status: {loadBalancer: {ingress: [{ip: 192.0.2.11}]}}`,
    );
    expect(await served()).toBeGreaterThan(s2);
  });
});

describe('joins follow the joined objects', () => {
  describe('Gateway API', () => {
    let g: StartedGateway;
    beforeEach(async () => {
      g = await startGateway(`k8s_gateway example.com {
        manifests ${fixture('gatewayapi.yaml')}
        resources HTTPRoute GRPCRoute TLSRoute
        gatewayClasses example
      }`);
    });
    afterEach(() => g.stop());

    const gateway = (status: string, cls = 'example'): string => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw-a, namespace: gateways}
spec:
  gatewayClassName: ${cls}
  listeners:
    - {name: http, port: 80, protocol: HTTP, hostname: listener.example.com}
    - {name: apps, port: 443, protocol: HTTPS, hostname: "*.apps.example.com"}
status: ${status}`;

    it('a Gateway address change moves its routes', async () => {
      upsertYaml(g, gateway('{addresses: [{type: IPAddress, value: 192.0.2.99}, {type: IPAddress, value: "2001:db8::99"}]}'));
      await check(g, { qname: 'web.example.com.', qtype: QType.A, answer: ['web.example.com. 60 IN A 192.0.2.99'] });
      await check(g, { qname: 'web.example.com.', qtype: QType.AAAA, answer: ['web.example.com. 60 IN AAAA 2001:db8::99'] });
      await check(g, { qname: 'grpc.example.com.', qtype: QType.A, answer: ['grpc.example.com. 60 IN A 192.0.2.99'] });
      await check(g, { qname: 'listener.example.com.', qtype: QType.A, answer: ['listener.example.com. 60 IN A 192.0.2.99'] });
      await check(g, { qname: 'a.b.apps.example.com.', qtype: QType.A, answer: ['a.b.apps.example.com. 60 IN A 192.0.2.99'] });
      // A hostname address.
      upsertYaml(g, gateway('{addresses: [{type: Hostname, value: lb.example.net}]}'));
      await check(g, { qname: 'web.example.com.', qtype: QType.A, answer: ['web.example.com. 60 IN CNAME lb.example.net.'] });
    });

    it('a Gateway without addresses, of another class, or deleted leaves its routes without names', async () => {
      upsertYaml(g, gateway('{addresses: []}'));
      await check(g, { qname: 'web.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [SOA] });
      upsertYaml(g, gateway('{addresses: [{value: 192.0.2.98}]}', 'other'));
      await check(g, { qname: 'web.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [SOA] });
      upsertYaml(g, gateway('{addresses: [{value: 192.0.2.98}]}'));
      await check(g, { qname: 'web.example.com.', qtype: QType.A, answer: ['web.example.com. 60 IN A 192.0.2.98'] });

      g.instance.index.delete('Gateway', 'gateways/gw-a');
      for (const name of ['web', 'grpc', 'tls', 'listener']) {
        await check(g, { qname: `${name}.example.com.`, qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [SOA] });
      }
      await check(g, { qname: 'x.apps.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [SOA] });
      // A Gateway that (re)appears is picked up by the routes waiting for it.
      upsertYaml(g, gateway('{addresses: [{value: 192.0.2.97}]}'));
      await check(g, { qname: 'web.example.com.', qtype: QType.A, answer: ['web.example.com. 60 IN A 192.0.2.97'] });
      await check(g, { qname: 'tls.example.com.', qtype: QType.A, answer: ['tls.example.com. 60 IN A 192.0.2.97'] });
    });

    it('a route rejected later loses its name; a route moved to another Gateway follows it', async () => {
      upsertYaml(
        g,
        `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: web}
spec:
  parentRefs: [{name: gw-a, namespace: gateways, sectionName: http}]
  hostnames: [web.example.com]
status:
  parents:
    - parentRef: {name: gw-a, namespace: gateways, sectionName: http}
      controllerName: example.com/gateway-controller
      conditions: [{type: Accepted, status: "False", reason: NotAllowedByListeners}]`,
      );
      await check(g, { qname: 'web.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [SOA] });
      upsertYaml(
        g,
        `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw-b, namespace: gateways}
spec: {gatewayClassName: example, listeners: [{name: http, port: 80, protocol: HTTP}]}
status: {addresses: [{value: 192.0.2.95}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: web}
spec:
  parentRefs: [{name: gw-b, namespace: gateways}]
  hostnames: [web.example.com]`,
      );
      await check(g, { qname: 'web.example.com.', qtype: QType.A, answer: ['web.example.com. 60 IN A 192.0.2.95'] });
      // gw-a no longer matters to it.
      g.instance.index.delete('Gateway', 'gateways/gw-a');
      await check(g, { qname: 'web.example.com.', qtype: QType.A, answer: ['web.example.com. 60 IN A 192.0.2.95'] });
    });
  });

  describe('resolve-endpoints Service', () => {
    let g: StartedGateway;
    beforeAll(async () => {
      g = await startGateway(`k8s_gateway example.com {
        manifests ${fixture('services.yaml')}
        resources Service
      }`);
    });
    afterAll(() => g.stop());

    it('follows its EndpointSlices', async () => {
      await check(g, { qname: 'backend.ns1.example.com.', qtype: QType.A, answer: ['backend.ns1.example.com. 60 IN A 10.1.0.1', 'backend.ns1.example.com. 60 IN A 10.1.0.3'] });
      upsertYaml(
        g,
        `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: backend-abc12
  namespace: ns1
  labels: {kubernetes.io/service-name: backend}
addressType: IPv4
endpoints:
  - addresses: [10.1.0.7]
    conditions: {ready: true}
  - addresses: [10.1.0.1]
    conditions: {ready: false}`,
      );
      await check(g, { qname: 'backend.ns1.example.com.', qtype: QType.A, answer: ['backend.ns1.example.com. 60 IN A 10.1.0.7'] });
      // A new slice adds; a slice of another Service or namespace does not.
      upsertYaml(
        g,
        `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: backend-def34
  namespace: ns1
  labels: {kubernetes.io/service-name: backend}
addressType: IPv4
endpoints: [{addresses: [10.1.0.8]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: frontend-1
  namespace: ns1
  labels: {kubernetes.io/service-name: frontend}
addressType: IPv4
endpoints: [{addresses: [10.1.0.9]}]`,
      );
      await check(g, { qname: 'backend.ns1.example.com.', qtype: QType.A, answer: ['backend.ns1.example.com. 60 IN A 10.1.0.7', 'backend.ns1.example.com. 60 IN A 10.1.0.8'] });
      // A slice relabelled to another Service leaves this one.
      upsertYaml(
        g,
        `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: backend-def34
  namespace: ns1
  labels: {kubernetes.io/service-name: frontend}
addressType: IPv4
endpoints: [{addresses: [10.1.0.8]}]`,
      );
      await check(g, { qname: 'backend.ns1.example.com.', qtype: QType.A, answer: ['backend.ns1.example.com. 60 IN A 10.1.0.7'] });
      g.instance.index.delete('EndpointSlice', 'ns1/backend-abc12');
      g.instance.index.delete('EndpointSlice', 'ns1/backend-v6');
      await check(g, { qname: 'backend.ns1.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [SOA] });
    });
  });

  describe('Istio', () => {
    let g: StartedGateway;
    beforeEach(async () => {
      g = await startGateway(`k8s_gateway example.com {
        manifests ${fixture('istio.yaml')}
        resources VirtualService
      }`);
    });
    afterEach(() => g.stop());

    it('a VirtualService follows the ingress gateway Service and the Gateway selector', async () => {
      upsertYaml(
        g,
        `apiVersion: v1
kind: Service
metadata: {name: istio-ingressgateway, namespace: istio-system}
spec:
  type: LoadBalancer
  selector: {app: istio-ingressgateway, istio: ingressgateway}
status: {loadBalancer: {ingress: [{ip: 192.0.2.88}]}}`,
      );
      await check(g, { qname: 'shop.example.com.', qtype: QType.A, answer: ['shop.example.com. 60 IN A 192.0.2.88'] });
      await check(g, { qname: 'gw-host.example.com.', qtype: QType.A, answer: ['gw-host.example.com. 60 IN A 192.0.2.88'] });
      upsertYaml(
        g,
        `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public, namespace: istio-system}
spec:
  selector: {app: something-else}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*/gw-host.example.com"]}]`,
      );
      await check(g, { qname: 'shop.example.com.', qtype: QType.A, answer: ['shop.example.com. 60 IN A 192.0.2.89'] });
      await check(g, { qname: 'gw-host.example.com.', qtype: QType.A, answer: ['gw-host.example.com. 60 IN A 192.0.2.89'] });
      await check(g, { qname: 'gw-other.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [SOA] });
      g.instance.index.delete('IstioGateway', 'istio-system/public');
      await check(g, { qname: 'shop.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [SOA] });
      await check(g, { qname: 'gw-host.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [SOA] });
    });
  });
});
