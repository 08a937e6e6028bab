/**
 * Who answers a name: the first kind in `resources` that holds it wins outright (no mixing of
 * types across kinds), objects of that kind merge, a kind without targets does not shadow; the
 * X.<zone> quirk is gone; relative Service names exist in every zone.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { QType, Rcode } from '../../src/wire/constants.js';
import { nextHandler } from '../../test/kit.js';
import { check, fixture, type Row, soa, startGateway, type StartedGateway, table } from '../../test/k8s-gateway.js';

const SOA = soa('example.com.');
const MARKER = Rcode.REFUSED;

function served(title: string, resources: string, rows: Row[]): void {
  describe(title, () => {
    let g: StartedGateway;
    beforeAll(async () => {
      g = await startGateway(`k8s_gateway example.com {
        manifests ${fixture('precedence.yaml')}
        resources ${resources}
      }`);
    });
    afterAll(() => g.stop());
    table(() => g, rows);
  });
}

describe('precedence follows the resources order', () => {
  served('Ingress Service DNSEndpoint', 'Ingress Service DNSEndpoint', [
    { id: 'O0', qname: 'shared.example.com.', qtype: QType.A, answer: ['shared.example.com. 60 IN A 192.0.2.120'], ns: [] },
    // The Service's AAAA and the DNSEndpoint's TXT lose with the rest of their kinds.
    { id: 'O1', qname: 'shared.example.com.', qtype: QType.AAAA, answer: [], ns: [SOA] },
    { id: 'O2', qname: 'shared.example.com.', qtype: QType.TXT, answer: [], ns: [SOA] },
    // An Ingress without an address does not hide the Service.
    { id: 'O3', qname: 'fallback.example.com.', qtype: QType.A, answer: ['fallback.example.com. 60 IN A 192.0.2.122'] },
    // Objects of one kind merge, duplicates collapse.
    {
      id: 'O4',
      qname: 'merged.example.com.',
      qtype: QType.A,
      answer: ['merged.example.com. 60 IN A 192.0.2.123', 'merged.example.com. 60 IN A 192.0.2.124'],
    },
    { id: 'O5', qname: 'merged-2.example.com.', qtype: QType.A, answer: ['merged-2.example.com. 60 IN A 192.0.2.124', 'merged-2.example.com. 60 IN A 192.0.2.123'] },
    // X5: a name inside the zone is not also served one zone deeper.
    { id: 'O6', qname: 'domain.example.com.', qtype: QType.A, answer: ['domain.example.com. 60 IN A 192.0.2.125'] },
    { id: 'O7', qname: 'domain.example.com.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
    { id: 'O8', qname: 'shared.example.com.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
  ]);
  served('Service Ingress DNSEndpoint', 'Service Ingress DNSEndpoint', [
    { id: 'O9', qname: 'shared.example.com.', qtype: QType.A, answer: ['shared.example.com. 60 IN A 192.0.2.121'] },
    { id: 'O10', qname: 'shared.example.com.', qtype: QType.AAAA, answer: ['shared.example.com. 60 IN AAAA 2001:db8::121'] },
    { id: 'O11', qname: 'shared.example.com.', qtype: QType.TXT, answer: [], ns: [SOA] },
  ]);
  served('DNSEndpoint Ingress Service', 'DNSEndpoint Ingress Service', [
    { id: 'O12', qname: 'shared.example.com.', qtype: QType.TXT, answer: ['shared.example.com. 60 IN TXT "from dnsendpoint"'] },
    { id: 'O13', qname: 'shared.example.com.', qtype: QType.A, answer: [], ns: [SOA] },
    // Names the first kind does not hold still come from the others.
    { id: 'O14', qname: 'merged.example.com.', qtype: QType.A, answer: ['merged.example.com. 60 IN A 192.0.2.123', 'merged.example.com. 60 IN A 192.0.2.124'] },
  ]);
  served('a kind left out of resources is not served', 'Service', [
    { id: 'O15', qname: 'shared.example.com.', qtype: QType.A, answer: ['shared.example.com. 60 IN A 192.0.2.121'] },
    { id: 'O16', qname: 'merged.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
  ]);

  describe('when the winner goes away', () => {
    let g: StartedGateway;
    beforeAll(async () => {
      g = await startGateway(`k8s_gateway example.com {
        manifests ${fixture('precedence.yaml')}
        resources Ingress Service DNSEndpoint
      }`);
    });
    afterAll(() => g.stop());
    it('the next kind takes the name over, and gives it back', async () => {
      g.instance.index.delete('Ingress', 'web/shared');
      await check(g, { qname: 'shared.example.com.', qtype: QType.A, answer: ['shared.example.com. 60 IN A 192.0.2.121'] });
      await check(g, { qname: 'shared.example.com.', qtype: QType.AAAA, answer: ['shared.example.com. 60 IN AAAA 2001:db8::121'] });
      g.instance.index.delete('Service', 'ns1/shared');
      await check(g, { qname: 'shared.example.com.', qtype: QType.TXT, answer: ['shared.example.com. 60 IN TXT "from dnsendpoint"'] });
      await check(g, { qname: 'shared.example.com.', qtype: QType.A, answer: [], ns: [SOA] });
      g.instance.index.delete('DNSEndpoint', 'dns/shared');
      await check(g, { qname: 'shared.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] });
      g.instance.index.upsert('Ingress', {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'shared', namespace: 'web' },
        spec: { rules: [{ host: 'shared.example.com' }] },
        status: { loadBalancer: { ingress: [{ ip: '192.0.2.126' }] } },
      });
      await check(g, { qname: 'shared.example.com.', qtype: QType.A, answer: ['shared.example.com. 60 IN A 192.0.2.126'] });
    });
    it('one of two merged objects going away leaves the other', async () => {
      g.instance.index.delete('Ingress', 'other/merged-2');
      await check(g, { qname: 'merged.example.com.', qtype: QType.A, answer: ['merged.example.com. 60 IN A 192.0.2.123'] });
      await check(g, { qname: 'merged-2.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] });
    });
  });
});

describe('several zones: k8s_gateway a.com b.com sub.a.com', () => {
  let g: StartedGateway;
  beforeAll(async () => {
    g = await startGateway(
      `k8s_gateway a.com b.com sub.a.com {
        manifests ${fixture('zones.yaml')}
        resources Ingress Service
      }`,
      { next: nextHandler(MARKER) },
    );
  });
  afterAll(() => g.stop());
  table(
    () => g,
    [
      // A relative Service name exists in every zone.
      { id: 'Z0', qname: 'svc.ns1.a.com.', qtype: QType.A, answer: ['svc.ns1.a.com. 60 IN A 192.0.2.130'], ns: [] },
      { id: 'Z1', qname: 'svc.ns1.b.com.', qtype: QType.A, answer: ['svc.ns1.b.com. 60 IN A 192.0.2.130'] },
      { id: 'Z2', qname: 'svc.ns1.sub.a.com.', qtype: QType.A, answer: ['svc.ns1.sub.a.com. 60 IN A 192.0.2.130'] },
      { id: 'Z3', qname: 'ns1.b.com.', qtype: QType.A, answer: [], ns: [soa('b.com.')] },
      // An absolute name exists only where it is.
      { id: 'Z4', qname: 'web.a.com.', qtype: QType.A, answer: ['web.a.com. 60 IN A 192.0.2.131'] },
      { id: 'Z5', qname: 'x.b.com.', qtype: QType.A, answer: ['x.b.com. 60 IN A 192.0.2.131'] },
      { id: 'Z6', qname: 'www.sub.a.com.', qtype: QType.A, answer: ['www.sub.a.com. 60 IN A 192.0.2.131'] },
      { id: 'Z7', qname: 'web.a.com.b.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [soa('b.com.')] },
      { id: 'Z8', qname: 'x.b.com.a.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [soa('a.com.')] },
      // The longest zone holding the name answers, with its own SOA.
      { id: 'Z9', qname: 'nope.sub.a.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [soa('sub.a.com.')] },
      { id: 'Z10', qname: 'nope.a.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [soa('a.com.')] },
      { id: 'Z11', qname: 'sub.a.com.', qtype: QType.SOA, answer: [soa('sub.a.com.')] },
      // Each zone's NS with the glue of its own apex name.
      {
        id: 'Z12',
        qname: 'b.com.',
        qtype: QType.NS,
        answer: ['b.com. 60 IN NS dns1.kube-system.b.com.'],
        extra: ['dns1.kube-system.b.com. 60 IN A 192.0.2.53'],
      },
      {
        id: 'Z13',
        qname: 'sub.a.com.',
        qtype: QType.NS,
        answer: ['sub.a.com. 60 IN NS dns1.kube-system.sub.a.com.'],
        extra: ['dns1.kube-system.sub.a.com. 60 IN A 192.0.2.53'],
      },
      // Outside every zone: the next plugin.
      { id: 'Z14', qname: 'svc.ns1.c.com.', qtype: QType.A, returns: MARKER },
      { id: 'Z15', qname: 'svc.ns1.', qtype: QType.A, returns: MARKER },
    ],
  );
});
