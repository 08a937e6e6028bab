import { describe, expect, it } from 'vitest';
import type { ExtractOptions, JoinContext, KubeObject, NameContribution, Problem } from '../types.js';
import { extractDNSEntry } from './dnsentry.js';

const ctx: JoinContext = { get: () => undefined, endpointSlices: () => [], all: () => [] };
const base: ExtractOptions = { nodeAddressType: 'InternalIP', gardenerClass: 'gardendns' };

function entry(spec: unknown, annotations: Record<string, string> = {}, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'dns.gardener.cloud/v1alpha1',
    kind: 'DNSEntry',
    metadata: { name: 'e', namespace: 'default', annotations, labels },
    spec,
  };
}

interface Case {
  name: string;
  obj: KubeObject;
  opts?: Partial<ExtractOptions>;
  names: NameContribution[];
  problems?: Problem['reason'][];
}

const A = { t: 'a', ip: '192.0.2.1' } as const;

const cases: Case[] = [
  // Targets, per Gardener's translation rules.
  {
    name: 'IPs -> A and AAAA, repeats removed',
    obj: entry({ dnsName: 'www.example.com', targets: ['192.0.2.1', '2001:DB8::1', '192.0.2.1'] }),
    names: [{ name: 'www.example.com', targets: [A, { t: 'aaaa', ip: '2001:db8::1' }] }],
  },
  {
    name: 'exactly one name -> CNAME',
    obj: entry({ dnsName: 'www.example.com', targets: ['LB.example.net.'] }),
    names: [{ name: 'www.example.com', targets: [{ t: 'cname', name: 'lb.example.net' }] }],
  },
  {
    name: 'the same name twice is still one CNAME',
    obj: entry({ dnsName: 'www.example.com', targets: ['lb.example.net', 'lb.example.net.'] }),
    names: [{ name: 'www.example.com', targets: [{ t: 'cname', name: 'lb.example.net' }] }],
  },
  {
    name: 'one name with resolveTargetsToAddresses -> flattened',
    obj: entry({ dnsName: 'www.example.com', targets: ['lb.example.net'], resolveTargetsToAddresses: true }),
    names: [{ name: 'www.example.com', targets: [{ t: 'host', name: 'lb.example.net' }] }],
  },
  {
    name: 'several names -> flattened host targets',
    obj: entry({ dnsName: 'www.example.com', targets: ['a.example.net', 'b.example.net'] }),
    names: [{ name: 'www.example.com', targets: [{ t: 'host', name: 'a.example.net' }, { t: 'host', name: 'b.example.net' }] }],
  },
  {
    name: 'names mixed with IPs: rejected',
    obj: entry({ dnsName: 'www.example.com', targets: ['a.example.net', '192.0.2.1'] }),
    names: [],
    problems: ['invalid_target'],
  },
  {
    name: 'invalid targets are skipped and reported',
    obj: entry({ dnsName: 'www.example.com', targets: ['bad name', '', 7, '192.0.2.1'] }),
    names: [{ name: 'www.example.com', targets: [A] }],
    problems: ['invalid_target', 'invalid_target', 'invalid_target'],
  },
  {
    name: 'text -> TXT',
    obj: entry({ dnsName: '_acme-challenge.example.com', text: ['token-1', '"quoted stays"', 5] }),
    names: [{ name: '_acme-challenge.example.com', targets: [{ t: 'txt', text: 'token-1' }, { t: 'txt', text: '"quoted stays"' }] }],
    problems: ['invalid_target'],
  },
  {
    name: 'targets and text together: rejected',
    obj: entry({ dnsName: 'www.example.com', targets: ['192.0.2.1'], text: ['x'] }),
    names: [],
    problems: ['invalid_object'],
  },
  { name: 'neither targets nor text: no name', obj: entry({ dnsName: 'www.example.com' }), names: [] },
  // Names.
  {
    name: '`\\052.` is a wildcard, any depth',
    obj: entry({ dnsName: '\\052.apps.example.com', targets: ['192.0.2.1'] }),
    names: [{ name: '*.apps.example.com', wildcard: 'any', targets: [A] }],
  },
  {
    name: '`*.` wildcard, upper case and trailing dot normalised',
    obj: entry({ dnsName: '*.Apps.Example.COM.', targets: ['192.0.2.1'] }),
    names: [{ name: '*.apps.example.com', wildcard: 'any', targets: [A] }],
  },
  {
    name: 'CNAME to an `_acme-challenge` delegation',
    obj: entry({ dnsName: '_acme-challenge.www.example.com', targets: ['_acme-challenge.auth.example.net'] }),
    names: [{ name: '_acme-challenge.www.example.com', targets: [{ t: 'cname', name: '_acme-challenge.auth.example.net' }] }],
  },
  { name: 'invalid dnsName', obj: entry({ dnsName: 'a b.example.com', targets: ['192.0.2.1'] }), names: [], problems: ['invalid_name'] },
  { name: 'missing dnsName', obj: entry({ targets: ['192.0.2.1'] }), names: [], problems: ['invalid_name'] },
  // TTL.
  { name: 'ttl', obj: entry({ dnsName: 'w.example.com', targets: ['192.0.2.1'], ttl: 600 }), names: [{ name: 'w.example.com', ttl: 600, targets: [A] }] },
  {
    name: 'ttl out of Gardener range is ignored',
    obj: entry({ dnsName: 'w.example.com', targets: ['192.0.2.1'], ttl: 0 }),
    names: [{ name: 'w.example.com', targets: [A] }],
    problems: ['invalid_ttl'],
  },
  {
    name: 'ttl not a number',
    obj: entry({ dnsName: 'w.example.com', targets: ['192.0.2.1'], ttl: 'long' }),
    names: [{ name: 'w.example.com', targets: [A] }],
    problems: ['invalid_ttl'],
  },
  {
    name: 'ttl above 8640000',
    obj: entry({ dnsName: 'w.example.com', targets: ['192.0.2.1'], ttl: 8640001 }),
    names: [{ name: 'w.example.com', targets: [A] }],
    problems: ['invalid_ttl'],
  },
  // Class.
  {
    name: 'class equal to ours',
    obj: entry({ dnsName: 'w.example.com', targets: ['192.0.2.1'] }, { 'dns.gardener.cloud/class': 'garden' }),
    opts: { gardenerClass: 'garden' },
    names: [{ name: 'w.example.com', targets: [A] }],
  },
  {
    name: 'another class: not ours',
    obj: entry({ dnsName: 'w.example.com', targets: ['192.0.2.1'] }, { 'dns.gardener.cloud/class': 'garden' }),
    names: [],
  },
  {
    name: 'ignore label',
    obj: entry({ dnsName: 'w.example.com', targets: ['192.0.2.1'] }, {}, { 'k8s-gateway.dns/ignore': 'true' }),
    names: [],
  },
  // Untrusted shapes.
  { name: 'spec is a list', obj: entry([{ dnsName: 'w.example.com' }]), names: [], problems: ['invalid_name'] },
  {
    name: 'targets is a string',
    obj: entry({ dnsName: 'w.example.com', targets: '192.0.2.1' }),
    names: [],
  },
  { name: 'no spec', obj: { kind: 'DNSEntry' }, names: [], problems: ['invalid_name'] },
];

describe('extractDNSEntry', () => {
  it.each(cases)('$name', (c) => {
    const got = extractDNSEntry(c.obj, ctx, { ...base, ...c.opts });
    expect(got.names).toEqual(c.names);
    expect(got.problems.map((p) => p.reason)).toEqual(c.problems ?? []);
  });
});
