import { describe, expect, it } from 'vitest';
import type { ExtractOptions, JoinContext, KubeObject, NameContribution, Problem } from '../types.js';
import { extractDNSEndpoint } from './dnsendpoint.js';

const ctx: JoinContext = { get: () => undefined, endpointSlices: () => [], all: () => [] };
const opts: ExtractOptions = { nodeAddressType: 'InternalIP', gardenerClass: 'gardendns' };

function dnsEndpoint(endpoints: unknown, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'externaldns.k8s.io/v1alpha1',
    kind: 'DNSEndpoint',
    metadata: { name: 'ep1', namespace: 'ns1', labels },
    spec: { endpoints },
  };
}

function ep(dnsName: string, recordType: string, targets: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { dnsName, recordType, targets, ...extra };
}

interface Case {
  name: string;
  obj: KubeObject;
  names: NameContribution[];
  problems?: Problem['reason'][];
}

const cases: Case[] = [
  // Upstream dnsendpoint_test.go vectors.
  {
    name: 'dual-stack name: each endpoint its own record set',
    obj: dnsEndpoint([ep('dual.example.com', 'A', ['192.0.2.200']), ep('dual.example.com', 'AAAA', ['2001:db8::1'])]),
    names: [
      { name: 'dual.example.com', targets: [{ t: 'a', ip: '192.0.2.200' }] },
      { name: 'dual.example.com', targets: [{ t: 'aaaa', ip: '2001:db8::1' }] },
    ],
  },
  {
    name: 'A, AAAA and TXT for one name',
    obj: dnsEndpoint([
      ep('svc.example.com', 'A', ['192.0.2.1']),
      ep('svc.example.com', 'AAAA', ['2001:db8::1']),
      ep('svc.example.com', 'TXT', ['heritage=external-dns']),
    ]),
    names: [
      { name: 'svc.example.com', targets: [{ t: 'a', ip: '192.0.2.1' }] },
      { name: 'svc.example.com', targets: [{ t: 'aaaa', ip: '2001:db8::1' }] },
      { name: 'svc.example.com', targets: [{ t: 'txt', text: 'heritage=external-dns' }] },
    ],
  },
  {
    name: 'a bad A target is skipped',
    obj: dnsEndpoint([ep('bad.example.com', 'A', ['not-an-ip', '192.0.2.5'])]),
    names: [{ name: 'bad.example.com', targets: [{ t: 'a', ip: '192.0.2.5' }] }],
    problems: ['invalid_target'],
  },
  {
    name: 'ignore label',
    obj: dnsEndpoint([ep('dual.example.com', 'A', ['192.0.2.200'])], { 'k8s-gateway.dns/ignore': 'true' }),
    names: [],
  },
  // test/dnsendpoint.yaml and X6: a name never gets another endpoint's targets.
  {
    name: 'test/dnsendpoint.yaml',
    obj: dnsEndpoint([
      ep('test.example.com', 'CNAME', ['ipv4.example.com']),
      ep('test2.example.dev', 'A', ['192.168.30.1']),
      ep('test3.example.dev', 'AAAA', ['2001:db8:85a3::8a2e:370:7334']),
    ]),
    names: [
      { name: 'test.example.com', targets: [{ t: 'cname', name: 'ipv4.example.com' }] },
      { name: 'test2.example.dev', targets: [{ t: 'a', ip: '192.168.30.1' }] },
      { name: 'test3.example.dev', targets: [{ t: 'aaaa', ip: '2001:db8:85a3::8a2e:370:7334' }] },
    ],
  },
  {
    name: 'X6: a.x A, b.x AAAA',
    obj: dnsEndpoint([ep('a.x', 'A', ['1.1.1.1']), ep('b.x', 'AAAA', ['::1'])]),
    names: [
      { name: 'a.x', targets: [{ t: 'a', ip: '1.1.1.1' }] },
      { name: 'b.x', targets: [{ t: 'aaaa', ip: '::1' }] },
    ],
  },
  // Names.
  {
    name: 'wildcard any depth, underscore labels, normalised',
    obj: dnsEndpoint([ep('*.Apps.Example.com.', 'A', ['192.0.2.1']), ep('_acme-challenge.example.com', 'TXT', ['token'])]),
    names: [
      { name: '*.apps.example.com', wildcard: 'any', targets: [{ t: 'a', ip: '192.0.2.1' }] },
      { name: '_acme-challenge.example.com', targets: [{ t: 'txt', text: 'token' }] },
    ],
  },
  {
    name: 'invalid and missing dnsName',
    obj: dnsEndpoint([ep('a..example.com', 'A', ['192.0.2.1']), { recordType: 'A', targets: ['192.0.2.1'] }, ep('ok.example.com', 'A', ['192.0.2.1'])]),
    names: [{ name: 'ok.example.com', targets: [{ t: 'a', ip: '192.0.2.1' }] }],
    problems: ['invalid_name', 'invalid_name'],
  },
  // A / AAAA.
  {
    name: 'family mismatches and trailing dots are refused',
    obj: dnsEndpoint([ep('a.example.com', 'A', ['2001:db8::1', '192.0.2.1.', '192.0.2.2']), ep('b.example.com', 'AAAA', ['192.0.2.1', '2001:DB8::0:1'])]),
    names: [
      { name: 'a.example.com', targets: [{ t: 'a', ip: '192.0.2.2' }] },
      { name: 'b.example.com', targets: [{ t: 'aaaa', ip: '2001:db8::1' }] },
    ],
    problems: ['invalid_target', 'invalid_target', 'invalid_target'],
  },
  {
    name: 'lowercase recordType is accepted',
    obj: dnsEndpoint([ep('a.example.com', 'a', ['192.0.2.1'])]),
    names: [{ name: 'a.example.com', targets: [{ t: 'a', ip: '192.0.2.1' }] }],
  },
  {
    name: 'no targets: no name',
    obj: dnsEndpoint([ep('a.example.com', 'A', []), { dnsName: 'b.example.com', recordType: 'A' }]),
    names: [],
  },
  // TXT.
  {
    name: 'TXT: one pair of surrounding quotes is stripped',
    obj: dnsEndpoint([ep('t.example.com', 'TXT', ['"heritage=external-dns,external-dns/owner=default"', '"', '""', 'a "b"', '""x""'])]),
    names: [
      {
        name: 't.example.com',
        targets: [
          { t: 'txt', text: 'heritage=external-dns,external-dns/owner=default' },
          { t: 'txt', text: '"' },
          { t: 'txt', text: '' },
          { t: 'txt', text: 'a "b"' },
          { t: 'txt', text: '"x"' },
        ],
      },
    ],
  },
  // CNAME.
  {
    name: 'CNAME: trailing dot fine, underscore target fine',
    obj: dnsEndpoint([ep('c.example.com', 'CNAME', ['Target.Example.NET.']), ep('_acme-challenge.c.example.com', 'CNAME', ['_acme-challenge.auth.example.net'])]),
    names: [
      { name: 'c.example.com', targets: [{ t: 'cname', name: 'target.example.net' }] },
      { name: '_acme-challenge.c.example.com', targets: [{ t: 'cname', name: '_acme-challenge.auth.example.net' }] },
    ],
  },
  {
    name: 'CNAME: several targets -> the first, conflict reported',
    obj: dnsEndpoint([ep('c.example.com', 'CNAME', ['one.example.net', 'two.example.net'])]),
    names: [{ name: 'c.example.com', targets: [{ t: 'cname', name: 'one.example.net' }] }],
    problems: ['conflict'],
  },
  {
    name: 'CNAME: an IP is not a name',
    obj: dnsEndpoint([ep('c.example.com', 'CNAME', ['192.0.2.1'])]),
    names: [],
    problems: ['invalid_target'],
  },
  // SRV / MX.
  {
    name: 'SRV',
    obj: dnsEndpoint([ep('_sip._udp.example.com', 'SRV', ['10 60 5060 SIP.example.com.', ' 0  0 1 b.example.com '])]),
    names: [
      {
        name: '_sip._udp.example.com',
        targets: [
          { t: 'srv', priority: 10, weight: 60, port: 5060, target: 'sip.example.com' },
          { t: 'srv', priority: 0, weight: 0, port: 1, target: 'b.example.com' },
        ],
      },
    ],
  },
  {
    name: 'SRV: malformed entries',
    obj: dnsEndpoint([ep('_sip._udp.example.com', 'SRV', ['10 60 sip.example.com', '10 60 70000 sip.example.com', '-1 0 1 a.example.com', '1 2 3 bad_host', '1 2 3 4 5'])]),
    names: [],
    problems: ['invalid_target', 'invalid_target', 'invalid_target', 'invalid_target', 'invalid_target'],
  },
  {
    name: 'MX',
    obj: dnsEndpoint([ep('example.com', 'MX', ['10 mail.example.com.', 'x mail.example.com', '10', '10 192.0.2.1'])]),
    names: [{ name: 'example.com', targets: [{ t: 'mx', preference: 10, exchange: 'mail.example.com' }] }],
    problems: ['invalid_target', 'invalid_target', 'invalid_target'],
  },
  // Unsupported types.
  {
    name: 'NS, PTR, NAPTR and a missing type are reported',
    obj: dnsEndpoint([
      ep('sub.example.com', 'NS', ['ns1.example.com']),
      ep('1.2.0.192.in-addr.arpa', 'PTR', ['a.example.com']),
      ep('n.example.com', 'NAPTR', ['100 10 "u" "E2U+sip" "!^.*$!sip:info@example.com!" .']),
      { dnsName: 'x.example.com', targets: ['192.0.2.1'] },
      ep('ok.example.com', 'A', ['192.0.2.1']),
    ]),
    names: [{ name: 'ok.example.com', targets: [{ t: 'a', ip: '192.0.2.1' }] }],
    problems: ['invalid_target', 'invalid_target', 'invalid_target', 'invalid_target'],
  },
  {
    name: 'a recordType named like an Object property is not a parser',
    obj: dnsEndpoint([ep('a.example.com', 'constructor', ['x']), ep('b.example.com', 'toString', ['x'])]),
    names: [],
    problems: ['invalid_target', 'invalid_target'],
  },
  // TTL.
  {
    name: 'recordTTL',
    obj: dnsEndpoint([
      ep('a.example.com', 'A', ['192.0.2.1'], { recordTTL: 180 }),
      ep('b.example.com', 'A', ['192.0.2.2'], { recordTTL: 0 }),
      ep('c.example.com', 'A', ['192.0.2.3'], { recordTTL: -5 }),
      ep('d.example.com', 'A', ['192.0.2.4'], { recordTTL: 1.5 }),
    ]),
    names: [
      { name: 'a.example.com', ttl: 180, targets: [{ t: 'a', ip: '192.0.2.1' }] },
      { name: 'b.example.com', targets: [{ t: 'a', ip: '192.0.2.2' }] },
      { name: 'c.example.com', targets: [{ t: 'a', ip: '192.0.2.3' }] },
      { name: 'd.example.com', targets: [{ t: 'a', ip: '192.0.2.4' }] },
    ],
    problems: ['invalid_ttl', 'invalid_ttl'],
  },
  // Untrusted shapes.
  { name: 'endpoints is not a list', obj: dnsEndpoint({ dnsName: 'a.example.com' }), names: [] },
  {
    name: 'null and odd endpoints, odd targets',
    obj: dnsEndpoint([null, 'x', ep('a.example.com', 'A', [null, 5, '192.0.2.1']), { dnsName: 7, recordType: 'A', targets: ['192.0.2.1'] }]),
    names: [{ name: 'a.example.com', targets: [{ t: 'a', ip: '192.0.2.1' }] }],
    problems: ['invalid_name', 'invalid_name', 'invalid_target', 'invalid_target', 'invalid_name'],
  },
  { name: 'no spec', obj: { kind: 'DNSEndpoint' }, names: [] },
  { name: 'a Service handed over by mistake', obj: { kind: 'Service', spec: { type: 'LoadBalancer' } }, names: [] },
];

describe('extractDNSEndpoint', () => {
  it.each(cases)('$name', (c) => {
    const got = extractDNSEndpoint(c.obj, ctx, opts);
    expect(got.names).toEqual(c.names);
    expect(got.problems.map((p) => p.reason)).toEqual(c.problems ?? []);
  });

  it('names the endpoint in problem details', () => {
    const got = extractDNSEndpoint(dnsEndpoint([ep('a.example.com', 'A', ['192.0.2.1']), ep('b.example.com', 'A', ['x'])]), ctx, opts);
    expect(got.problems[0]?.detail).toContain('spec.endpoints[1].targets[0]');
  });
});
