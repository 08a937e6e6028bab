/**
 * What names answer with: TTLs set by objects, load-balancer hostnames (CNAME, or resolved in
 * the background), DNSEndpoint CNAME/SRV/MX/TXT and per-endpoint targets, DNSEntry targets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QType, Rcode } from '../../src/wire/constants.js';
import { check, fixture, invalidCount, soa, startGateway, type StartedGateway, table } from '../../test/k8s-gateway.js';

const SOA = soa('example.com.');

describe('TTLs set by objects', () => {
  let g: StartedGateway;
  beforeAll(async () => {
    g = await startGateway(`k8s_gateway example.com {
      manifests ${fixture('ttl.yaml')}
      resources Ingress Service DNSEndpoint DNSEntry
      ttl 100
    }`);
  });
  afterAll(() => g.stop());
  table(
    () => g,
    [
      { id: 'L0', qname: 'plain.example.com.', qtype: QType.A, answer: ['plain.example.com. 100 IN A 192.0.2.1'] },
      { id: 'L1', qname: 'ext-alpha.example.com.', qtype: QType.A, answer: ['ext-alpha.example.com. 300 IN A 192.0.2.2'] },
      { id: 'L2', qname: 'ext-ga.example.com.', qtype: QType.A, answer: ['ext-ga.example.com. 200 IN A 192.0.2.3'] },
      { id: 'L3', qname: 'gardener.ns1.example.com.', qtype: QType.A, answer: ['gardener.ns1.example.com. 120 IN A 192.0.2.4'] },
      { id: 'L4', qname: 'endpoint.example.com.', qtype: QType.A, answer: ['endpoint.example.com. 30 IN A 192.0.2.5'] },
      { id: 'L5', qname: 'endpoint.example.com.', qtype: QType.TXT, answer: ['endpoint.example.com. 100 IN TXT "no ttl of its own"'] },
      { id: 'L6', qname: 'entry.example.com.', qtype: QType.A, answer: ['entry.example.com. 90 IN A 192.0.2.6'] },
      { id: 'L7', qname: 'both.example.com.', qtype: QType.A, answer: ['both.example.com. 120 IN A 192.0.2.7', 'both.example.com. 120 IN A 192.0.2.8'] },
      // The SOA and negative answers keep their own TTL.
      { id: 'L8', qname: 'plain.example.com.', qtype: QType.AAAA, answer: [], ns: [SOA] },
    ],
  );
});

const TARGETS = (extra = ''): string => `k8s_gateway example.com {
  manifests ${fixture('targets.yaml')}
  resources Ingress Service DNSEndpoint DNSEntry
  ${extra}
}`;

describe('targets', () => {
  let g: StartedGateway;
  let conflicts = 0;
  beforeAll(async () => {
    conflicts = await invalidCount('Ingress', 'conflict');
    g = await startGateway(TARGETS());
  });
  afterAll(() => g.stop());
  it('reports the hostname it cannot serve at the apex as a conflict', async () => {
    expect(await invalidCount('Ingress', 'conflict')).toBeGreaterThan(conflicts);
  });
  table(
    () => g,
    [
      // A load-balancer hostname is a CNAME (hostnameTargets cname, the default), for every type.
      { id: 'C0', qname: 'elb.example.com.', qtype: QType.A, answer: ['elb.example.com. 60 IN CNAME abc.elb.amazonaws.com.'], ns: [] },
      { id: 'C1', qname: 'elb.example.com.', qtype: QType.AAAA, answer: ['elb.example.com. 60 IN CNAME abc.elb.amazonaws.com.'] },
      { id: 'C2', qname: 'elb.example.com.', qtype: QType.CNAME, answer: ['elb.example.com. 60 IN CNAME abc.elb.amazonaws.com.'] },
      { id: 'C3', qname: 'elb.example.com.', qtype: QType.TXT, answer: ['elb.example.com. 60 IN CNAME abc.elb.amazonaws.com.'] },
      { id: 'C4', qname: 'nlb.ns1.example.com.', qtype: QType.A, answer: ['nlb.ns1.example.com. 60 IN CNAME nlb-123.elb.us-east-1.amazonaws.com.'] },
      // Addresses beat hostnames.
      { id: 'C5', qname: 'ip-and-host.example.com.', qtype: QType.A, answer: ['ip-and-host.example.com. 60 IN A 192.0.2.50'] },
      { id: 'C6', qname: 'ip-and-host.example.com.', qtype: QType.CNAME, answer: [], ns: [SOA] },
      // DNSEndpoint record types.
      { id: 'C7', qname: 'www.example.com.', qtype: QType.A, answer: ['www.example.com. 60 IN CNAME web.example.net.'] },
      {
        id: 'C8',
        qname: '_sip._udp.example.com.',
        qtype: QType.SRV,
        answer: ['_sip._udp.example.com. 60 IN SRV 10 60 5060 sip.example.com.', '_sip._udp.example.com. 60 IN SRV 20 0 5060 sip2.example.com.'],
      },
      { id: 'C9', qname: '_sip._udp.example.com.', qtype: QType.A, answer: [], ns: [SOA] },
      { id: 'C10', qname: '_udp.example.com.', qtype: QType.SRV, answer: [], ns: [SOA] },
      { id: 'C11', qname: 'example.com.', qtype: QType.MX, answer: ['example.com. 60 IN MX 10 mail.example.com.'], ns: [] },
      { id: 'C12', qname: 'example.com.', qtype: QType.A, answer: [], ns: [SOA] },
      { id: 'C13', qname: 'example.com.', qtype: QType.SOA, answer: [SOA] },
      { id: 'C13b', qname: 'example.com.', qtype: QType.CNAME, answer: [], ns: [SOA] },
      {
        id: 'C14',
        qname: 'mx.example.com.',
        qtype: QType.MX,
        answer: ['mx.example.com. 60 IN MX 10 mx1.example.net.', 'mx.example.com. 60 IN MX 20 mx2.example.net.'],
      },
      { id: 'C15', qname: 'mx.example.com.', qtype: QType.TXT, answer: ['mx.example.com. 60 IN TXT "v=spf1 mx -all"'] },
      // X6: per-endpoint targets.
      { id: 'C16', qname: 'a.x.example.com.', qtype: QType.A, answer: ['a.x.example.com. 60 IN A 1.1.1.1'] },
      { id: 'C17', qname: 'a.x.example.com.', qtype: QType.AAAA, answer: [], ns: [SOA] },
      { id: 'C18', qname: 'b.x.example.com.', qtype: QType.AAAA, answer: ['b.x.example.com. 60 IN AAAA ::1'] },
      { id: 'C19', qname: 'b.x.example.com.', qtype: QType.A, answer: [], ns: [SOA] },
      { id: 'C20', qname: 'x.example.com.', qtype: QType.A, answer: [], ns: [SOA] },
      // DNSEntry: one name -> CNAME, addresses -> A/AAAA, text -> TXT, other class -> nothing.
      { id: 'C21', qname: 'entry-cname.example.com.', qtype: QType.A, answer: ['entry-cname.example.com. 60 IN CNAME target.example.net.'] },
      { id: 'C22', qname: 'entry-ip.example.com.', qtype: QType.A, answer: ['entry-ip.example.com. 60 IN A 192.0.2.70'] },
      { id: 'C23', qname: 'entry-ip.example.com.', qtype: QType.AAAA, answer: ['entry-ip.example.com. 60 IN AAAA 2001:db8::70'] },
      { id: 'C24', qname: 'entry-ip.example.com.', qtype: QType.CNAME, answer: [], ns: [SOA] },
      {
        id: 'C25',
        qname: 'entry-txt.example.com.',
        qtype: QType.TXT,
        answer: ['entry-txt.example.com. 60 IN TXT "v=spf1 -all"', 'entry-txt.example.com. 60 IN TXT "second string"'],
      },
      { id: 'C26', qname: 'entry-txt.example.com.', qtype: QType.A, answer: [], ns: [SOA] },
      { id: 'C27', qname: 'entry-other.example.com.', qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [SOA] },
    ],
  );
});

describe('hostnameTargets resolve', () => {
  let g: StartedGateway;
  beforeAll(async () => {
    g = await startGateway(TARGETS('hostnameTargets resolve 1m'));
    // Stopping ends the background resolver, so a real lookup of the made-up ELB names cannot
    // race the addresses the test hands the index; the index and answers stay as they are.
    await g.instance.stop();
    g.instance.index.setResolved('abc.elb.amazonaws.com.', ['192.0.2.10'], []);
    g.instance.index.setResolved('nlb-123.elb.us-east-1.amazonaws.com.', ['192.0.2.11', '192.0.2.12'], ['2001:db8::11']);
  });
  afterAll(() => g.stop());
  table(
    () => g,
    [
      { id: 'H0', qname: 'elb.example.com.', qtype: QType.A, answer: ['elb.example.com. 60 IN A 192.0.2.10'], ns: [] },
      { id: 'H1', qname: 'elb.example.com.', qtype: QType.AAAA, answer: [], ns: [SOA] },
      { id: 'H2', qname: 'elb.example.com.', qtype: QType.CNAME, answer: [], ns: [SOA] },
      { id: 'H3', qname: 'nlb.ns1.example.com.', qtype: QType.A, answer: ['nlb.ns1.example.com. 60 IN A 192.0.2.11', 'nlb.ns1.example.com. 60 IN A 192.0.2.12'] },
      { id: 'H4', qname: 'nlb.ns1.example.com.', qtype: QType.AAAA, answer: ['nlb.ns1.example.com. 60 IN AAAA 2001:db8::11'] },
      { id: 'H5', qname: 'ip-and-host.example.com.', qtype: QType.A, answer: ['ip-and-host.example.com. 60 IN A 192.0.2.50'] },
      // An explicit CNAME stays a CNAME.
      { id: 'H6', qname: 'www.example.com.', qtype: QType.A, answer: ['www.example.com. 60 IN CNAME web.example.net.'] },
      // At the apex too; the Ingress now holds the apex, so the DNSEndpoint's MX loses.
      { id: 'H7', qname: 'example.com.', qtype: QType.A, answer: ['example.com. 60 IN A 192.0.2.10'] },
      { id: 'H8', qname: 'example.com.', qtype: QType.MX, answer: [], ns: [SOA] },
    ],
  );

  it('follows new addresses of the hostname', async () => {
    g.instance.index.setResolved('abc.elb.amazonaws.com.', ['192.0.2.20'], ['2001:db8::20']);
    await check(g, { qname: 'elb.example.com.', qtype: QType.A, answer: ['elb.example.com. 60 IN A 192.0.2.20'] });
    await check(g, { qname: 'elb.example.com.', qtype: QType.AAAA, answer: ['elb.example.com. 60 IN AAAA 2001:db8::20'] });
  });
});
