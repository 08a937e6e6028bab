/**
 * The answering rules of the README ("Answers"), through the real handler, fed with manifests:
 * NODATA vs NXDOMAIN for every type, empty non-terminals, wildcards (one label for Ingress,
 * any depth for Gateway API and DNSEndpoint, closest-encloser rules, never the apex) and IDN.
 * Every written reply is checked for AA and an SOA minimum of 60 (test/k8s-gateway.ts `check`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QType, Rcode, typeToString } from '../../src/wire/constants.js';
import { check, fixture, soa, startGateway, type StartedGateway, table, upsertYaml } from '../../test/k8s-gateway.js';

const Z = 'example.com.';
const SOA = soa(Z);

/** The types a name can be asked for that it does not hold (A-only name), ANY aside. */
const OTHER_TYPES = [QType.AAAA, QType.TXT, QType.MX, QType.SRV, QType.CNAME, QType.NS, QType.SOA, QType.CAA];
const ALL_TYPES = [QType.A, ...OTHER_TYPES, QType.ANY];

describe('answers: NODATA, NXDOMAIN, empty non-terminals, wildcards, IDN', () => {
  let g: StartedGateway;
  beforeAll(async () => {
    g = await startGateway(`k8s_gateway example.com {
      manifests ${fixture('answers.yaml')}
      resources Ingress Service HTTPRoute DNSEndpoint
    }`);
  });
  afterAll(() => g.stop());
  const get = (): StartedGateway => g;

  describe('a name with only A', () => {
    table(get, [
      { id: 'N0', qname: 'a-only.example.com.', qtype: QType.A, answer: ['a-only.example.com. 60 IN A 192.0.2.1'], ns: [] },
      ...OTHER_TYPES.map((qtype) => ({ id: `N-${typeToString(qtype)}`, qname: 'a-only.example.com.', qtype, answer: [], ns: [SOA] })),
      { id: 'N-ANY', qname: 'a-only.example.com.', qtype: QType.ANY, answer: ['a-only.example.com. 60 IN A 192.0.2.1'], ns: [] },
    ]);
  });

  describe('a name with only TXT', () => {
    table(get, [
      { id: 'T0', qname: 'txt-only.example.com.', qtype: QType.TXT, answer: ['txt-only.example.com. 60 IN TXT "hello world"'], ns: [] },
      { id: 'T1', qname: 'txt-only.example.com.', qtype: QType.A, answer: [], ns: [SOA] },
      { id: 'T2', qname: 'txt-only.example.com.', qtype: QType.AAAA, answer: [], ns: [SOA] },
    ]);
  });

  describe('a name that does not exist is NXDOMAIN for every type', () => {
    table(
      get,
      ALL_TYPES.map((qtype) => ({ id: `X-${typeToString(qtype)}`, qname: 'nowhere.example.com.', qtype, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] })),
    );
  });

  describe('a LoadBalancer Service with pending status does not exist', () => {
    table(get, [
      ...ALL_TYPES.map((qtype) => ({
        id: `P-${typeToString(qtype)}`,
        qname: 'pending.ns1.example.com.',
        qtype,
        rcode: Rcode.NXDOMAIN,
        answer: [],
        ns: [SOA],
      })),
      ...ALL_TYPES.map((qtype) => ({
        id: `PA-${typeToString(qtype)}`,
        qname: 'pending.example.com.',
        qtype,
        rcode: Rcode.NXDOMAIN,
        answer: [],
        ns: [SOA],
      })),
    ]);
  });

  it('the negative SOA is the zone SOA with minimum 60', async () => {
    const rec = await check(g, { qname: 'nowhere.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN });
    const [s] = rec.msg().authorities;
    expect(s?.type).toBe(QType.SOA);
    expect(s?.minimum).toBe(60);
    expect(s?.ttl).toBe(60);
    expect(s?.serial).toBe(g.instance.table.currentSerial);
    expect(rec.msg().header.aa).toBeTruthy();
  });

  describe('empty non-terminals are NODATA', () => {
    table(get, [
      { id: 'E0', qname: 'svc1.ns1.example.com.', qtype: QType.A, answer: ['svc1.ns1.example.com. 60 IN A 192.0.2.11'] },
      { id: 'E1', qname: 'ns1.example.com.', qtype: QType.A, answer: [], ns: [SOA] },
      { id: 'E2', qname: 'ns1.example.com.', qtype: QType.TXT, answer: [], ns: [SOA] },
      { id: 'E3', qname: 'NS1.Example.COM.', qtype: QType.AAAA, answer: [], ns: [SOA] },
      // The wildcard owner *.wildcard.example.com exists, so its parent is an empty non-terminal.
      { id: 'E4', qname: 'wildcard.example.com.', qtype: QType.A, answer: [], ns: [SOA] },
      { id: 'E5', qname: 'wildcard.example.com.', qtype: QType.ANY, answer: [], ns: [SOA] },
      // Below an existing name with nothing of its own: still nothing.
      { id: 'E6', qname: 'x.svc1.ns1.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
      // The nameserver's name exists even without a Service (no dns1 Service in this file), so
      // its parent is an empty non-terminal too: NXDOMAIN there would deny it (RFC 8020).
      { id: 'E7', qname: 'dns1.kube-system.example.com.', qtype: QType.A, answer: [], ns: [SOA] },
      { id: 'E8', qname: 'kube-system.example.com.', qtype: QType.A, answer: [], ns: [SOA] },
      { id: 'E9', qname: 'other.kube-system.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
    ]);
  });

  describe('wildcards', () => {
    table(get, [
      // Ingress wildcard: exactly one label; the answer's owner is the query name.
      { id: 'W0', qname: 'a.x.example.com.', qtype: QType.A, answer: ['a.x.example.com. 60 IN A 192.0.2.20'], ns: [] },
      { id: 'W1', qname: 'A.X.Example.Com.', qtype: QType.A, answer: ['a.x.example.com. 60 IN A 192.0.2.20'] },
      { id: 'W2', qname: 'b.a.x.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
      { id: 'W3', qname: 'a.x.example.com.', qtype: QType.AAAA, answer: [], ns: [SOA] },
      { id: 'W4', qname: 'a.x.example.com.', qtype: QType.ANY, answer: ['a.x.example.com. 60 IN A 192.0.2.20'] },
      // An existing name beats the wildcard.
      { id: 'W5', qname: 'specific.x.example.com.', qtype: QType.A, answer: ['specific.x.example.com. 60 IN A 192.0.2.21'] },
      // ... and the wildcard does not answer below it.
      { id: 'W6', qname: 'a.specific.x.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
      // The wildcard owner asked for literally holds its records.
      { id: 'W7', qname: '*.x.example.com.', qtype: QType.A, answer: ['*.x.example.com. 60 IN A 192.0.2.20'] },
      // HTTPRoute wildcard: any depth.
      { id: 'W8', qname: 'a.gw.example.com.', qtype: QType.A, answer: ['a.gw.example.com. 60 IN A 192.0.2.30'] },
      { id: 'W9', qname: 'a.b.gw.example.com.', qtype: QType.A, answer: ['a.b.gw.example.com. 60 IN A 192.0.2.30'] },
      { id: 'W10', qname: 'a.b.c.d.gw.example.com.', qtype: QType.A, answer: ['a.b.c.d.gw.example.com. 60 IN A 192.0.2.30'] },
      { id: 'W11', qname: 'gw.example.com.', qtype: QType.A, answer: [], ns: [SOA] },
      // sub.gw exists: it answers itself, and the wildcard never answers at or below it.
      { id: 'W12', qname: 'sub.gw.example.com.', qtype: QType.A, answer: ['sub.gw.example.com. 60 IN A 192.0.2.30'] },
      { id: 'W13', qname: 'a.sub.gw.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
      { id: 'W14', qname: 'a.b.sub.gw.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
      // F1's wildcard vectors, one more level down.
      { id: 'W15', qname: 'deeper.label.wildcard.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
    ]);

    it('the same query name answers again from the cache with the same owner', async () => {
      for (const qname of ['q1.x.example.com.', 'q2.x.example.com.', 'q1.x.example.com.']) {
        await check(g, { qname, qtype: QType.A, answer: [`${qname} 60 IN A 192.0.2.20`] });
      }
    });
  });

  describe('IDN', () => {
    table(get, [
      { id: 'I0', qname: 'xn--bcher-kva.example.com.', qtype: QType.A, answer: ['xn--bcher-kva.example.com. 60 IN A 192.0.2.40'] },
      { id: 'I1', qname: 'XN--BCHER-KVA.example.com.', qtype: QType.A, answer: ['xn--bcher-kva.example.com. 60 IN A 192.0.2.40'] },
      { id: 'I2', qname: 'xn--bcher-kva.example.com.', qtype: QType.AAAA, answer: [], ns: [SOA] },
    ]);
  });
});

describe('a zone-wide wildcard next to real names', () => {
  let g: StartedGateway;
  beforeAll(async () => {
    g = await startGateway(`k8s_gateway example.com {
      manifests ${fixture('wildcard-apex.yaml')}
      resources Ingress DNSEndpoint
      secondary ns2.peers
    }`);
  });
  afterAll(() => g.stop());
  table(
    () => g,
    [
      { id: 'Z0', qname: 'other.example.com.', qtype: QType.A, answer: ['other.example.com. 60 IN A 192.0.2.100'], ns: [] },
      // DNSEndpoint wildcards reach any depth.
      { id: 'Z1', qname: 'a.b.example.com.', qtype: QType.A, answer: ['a.b.example.com. 60 IN A 192.0.2.100'] },
      { id: 'Z2', qname: 'other.example.com.', qtype: QType.TXT, answer: [], ns: [SOA] },
      // Never the apex.
      { id: 'Z3', qname: 'example.com.', qtype: QType.A, answer: [], ns: [SOA] },
      { id: 'Z4', qname: 'example.com.', qtype: QType.AAAA, answer: [], ns: [SOA] },
      { id: 'Z5', qname: 'example.com.', qtype: QType.SOA, answer: [SOA], ns: [] },
      // An existing name beats the wildcard ...
      { id: 'Z6', qname: 'foo.example.com.', qtype: QType.A, answer: ['foo.example.com. 60 IN A 192.0.2.101'] },
      { id: 'Z7', qname: 'foo.example.com.', qtype: QType.AAAA, answer: [], ns: [SOA] },
      { id: 'Z8', qname: 'bar.foo.example.com.', qtype: QType.A, answer: ['bar.foo.example.com. 60 IN A 192.0.2.102'] },
      // ... and the wildcard never answers below an existing name (foo is the closest encloser).
      { id: 'Z9', qname: 'x.foo.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
      { id: 'Z10', qname: 'y.x.foo.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
      { id: 'Z11', qname: 'x.bar.foo.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
      // The apex-side names of the plugin itself are not wildcard territory either.
      { id: 'Z12', qname: 'dns1.kube-system.example.com.', qtype: QType.A, answer: [], ns: [SOA] },
      { id: 'Z13', qname: 'foo.dns1.kube-system.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
      // Its parent is an empty non-terminal, and the closest encloser of names beside it.
      { id: 'Z14', qname: 'kube-system.example.com.', qtype: QType.A, answer: [], ns: [SOA] },
      { id: 'Z15', qname: 'other.kube-system.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
      // The secondary nameserver's name and its parent exist too, before its Service has an address.
      { id: 'Z16', qname: 'ns2.peers.example.com.', qtype: QType.A, answer: [], ns: [SOA] },
      { id: 'Z17', qname: 'peers.example.com.', qtype: QType.A, answer: [], ns: [SOA] },
      { id: 'Z18', qname: 'x.peers.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
    ],
  );
});

describe('empty non-terminals and wildcards as objects come and go', () => {
  let g: StartedGateway;
  beforeAll(async () => {
    g = await startGateway(`k8s_gateway example.com {
      manifests ${fixture('answers.yaml')}
      resources Ingress Service HTTPRoute DNSEndpoint
    }`);
  });
  afterAll(() => g.stop());
  it('counts names below, and picks the wildcard of the first kind holding its owner', async () => {
    g.instance.index.delete('Service', 'ns1/svc1');
    await check(g, { qname: 'ns1.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [SOA] });
    // The wildcard owner goes: its siblings' parent is still an empty non-terminal.
    g.instance.index.delete('Ingress', 'web/x-wild');
    await check(g, { qname: 'a.x.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [SOA] });
    await check(g, { qname: 'x.example.com.', qtype: QType.A, ns: [SOA], answer: [] });
    g.instance.index.delete('Ingress', 'web/x-specific');
    await check(g, { qname: 'x.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [SOA] });
    // A name below a wildcard's parent makes its own ancestors empty non-terminals.
    upsertYaml(g, `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: deep, namespace: web}
spec: {rules: [{host: "b.a.wildcard.example.com"}]}
status: {loadBalancer: {ingress: [{ip: 192.0.2.99}]}}`);
    await check(g, { qname: 'a.wildcard.example.com.', qtype: QType.A, ns: [SOA], answer: [] });
    await check(g, { qname: 'c.wildcard.example.com.', qtype: QType.A, answer: ['c.wildcard.example.com. 60 IN A 192.0.2.6'] });
    await check(g, { qname: 'c.a.wildcard.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [SOA] });
    // An HTTPRoute on the same owner: the Ingress (first in resources) keeps one label, the
    // route's any-depth wildcard answers deeper names.
    upsertYaml(g, `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: wild2, namespace: web}
spec:
  parentRefs: [{name: public, namespace: gateways}]
  hostnames: ["*.wildcard.example.com"]`);
    await check(g, { qname: 'c.wildcard.example.com.', qtype: QType.A, answer: ['c.wildcard.example.com. 60 IN A 192.0.2.6'] });
    await check(g, { qname: 'd.c.wildcard.example.com.', qtype: QType.A, answer: ['d.c.wildcard.example.com. 60 IN A 192.0.2.30'] });
    g.instance.index.delete('Ingress', 'web/wildcard');
    await check(g, { qname: 'c.wildcard.example.com.', qtype: QType.A, answer: ['c.wildcard.example.com. 60 IN A 192.0.2.30'] });
    g.instance.index.delete('HTTPRoute', 'web/wild2');
    await check(g, { qname: 'c.wildcard.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [SOA] });
    await check(g, { qname: 'wildcard.example.com.', qtype: QType.A, answer: [], ns: [SOA] });
    g.instance.index.delete('Ingress', 'web/deep');
    await check(g, { qname: 'wildcard.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [SOA] });
  });
});
