import { describe, expect, it } from 'vitest';
import type { ExtractOptions, JoinContext, KubeObject, NameContribution, Problem } from '../types.js';
import { extractService } from './service.js';

const base: ExtractOptions = { nodeAddressType: 'InternalIP', gardenerClass: 'gardendns' };

function slice(service: string, addressType: string, endpoints: unknown[], namespace = 'default'): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${service}-x`, namespace, labels: { 'kubernetes.io/service-name': service } },
    addressType,
    endpoints,
  };
}

/** Upstream's EndpointSlice vectors (k8s_gateway.md 3.6) plus a few of our own. */
const slices: KubeObject[] = [
  slice('backend', 'IPv4', [
    { addresses: ['10.1.0.1'], conditions: { ready: true } },
    { addresses: ['10.1.0.2'], conditions: { ready: false } },
    { addresses: ['10.1.0.3'], conditions: { ready: null } },
    { addresses: ['fd00::1'], conditions: { ready: true } },
    { addresses: ['not-an-ip'], conditions: { ready: true } },
  ]),
  slice('backend', 'IPv4', [{ addresses: ['10.1.0.1'] }, { addresses: ['10.1.0.4'], conditions: {} }]),
  slice('backend-headless', 'IPv4', [
    { addresses: ['10.2.0.1'], conditions: { ready: true } },
    { addresses: ['10.2.0.2'], conditions: { ready: true } },
  ]),
  slice('fqdn', 'FQDN', [{ addresses: ['db.example.net'] }]),
  slice('fqdn', 'IPv4', [{ addresses: ['10.3.0.1'] }]),
  slice('odd', 'IPv4', [null, 'x', { addresses: 'x' }, { addresses: [7, '10.4.0.1'] }]),
];

const ctx: JoinContext = {
  get: () => undefined,
  endpointSlices: (ns, svc) =>
    slices.filter((s) => s.metadata?.namespace === ns && s.metadata.labels?.['kubernetes.io/service-name'] === svc),
  all: () => [],
};

interface Case {
  name: string;
  obj: KubeObject;
  opts?: Partial<ExtractOptions>;
  names: NameContribution[];
  problems?: Problem['reason'][];
}

function svc(
  name: string,
  namespace: string,
  annotations: Record<string, string> = {},
  spec: Record<string, unknown> = { type: 'LoadBalancer' },
  ip = '192.0.0.1',
  labels: Record<string, string> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, annotations, labels },
    spec,
    status: { loadBalancer: { ingress: [{ ip }] } },
  };
}

const A1 = { t: 'a', ip: '192.0.0.1' } as const;
const one = (name: string, targets: NameContribution['targets'] = [A1]): NameContribution => ({ name, targets });
const optIn = { 'k8s-gateway.dns/resolve-endpoints': 'true' };
const headless = { type: 'ClusterIP', clusterIP: 'None' };

const cases: Case[] = [
  // Upstream kubernetes_test.go vectors.
  { name: 'svc1: name.namespace', obj: svc('svc1', 'ns1'), names: [one('svc1.ns1')] },
  {
    name: 'svc2: name.namespace',
    obj: svc('svc2', 'ns1', {}, undefined, '192.0.0.2'),
    names: [one('svc2.ns1', [{ t: 'a', ip: '192.0.0.2' }])],
  },
  { name: 'svc3: coredns.io/hostname replaces name.namespace', obj: svc('svc3', 'ns1', { 'coredns.io/hostname': 'annotation' }), names: [one('annotation')] },
  {
    name: 'svc4: wildcard annotation (one label)',
    obj: svc('svc4', 'ns1', { 'coredns.io/hostname': '*.annotation-wildcard' }),
    names: [{ name: '*.annotation-wildcard', wildcard: 'one', targets: [A1] }],
  },
  {
    name: 'svc5: list with spaces',
    obj: svc('svc5', 'ns1', { 'coredns.io/hostname': 'annotation-list1, annotation-list2' }),
    names: [one('annotation-list1'), one('annotation-list2')],
  },
  {
    name: 'svc6: external-dns alpha hostname',
    obj: svc('svc6', 'ns1', { 'external-dns.alpha.kubernetes.io/hostname': 'annotation-external-dns' }),
    names: [one('annotation-external-dns')],
  },
  {
    name: 'svc7: external-dns list',
    obj: svc('svc7', 'ns1', { 'external-dns.alpha.kubernetes.io/hostname': 'annotation-external-dns-list1,annotation-external-dns-list2' }),
    names: [one('annotation-external-dns-list1'), one('annotation-external-dns-list2')],
  },
  {
    name: 'ignored-svc: ignore label',
    obj: svc('ignored-svc', 'ns1', {}, undefined, undefined, { 'k8s-gateway.dns/ignore': 'true' }),
    names: [],
  },
  { name: 'ClusterIP with an LB status is not indexed', obj: svc('svc1', 'ns2', {}, { type: 'ClusterIP' }), names: [] },
  {
    name: 'ns3: `*my.host` gives no name and no fallback',
    obj: svc('svc1', 'ns3', { 'coredns.io/hostname': '*my.host' }),
    names: [],
    problems: ['invalid_name'],
  },
  { name: 'ns3: `**my.host`', obj: svc('svc2', 'ns3', { 'coredns.io/hostname': '**my.host' }), names: [], problems: ['invalid_name'] },
  {
    name: 'ns3: `my.*.host`',
    obj: svc('svc3', 'ns3', { 'external-dns.alpha.kubernetes.io/hostname': 'my.*.host' }),
    names: [],
    problems: ['invalid_name'],
  },
  // Repo manifests (service-annotation.yml).
  { name: 'annotation-good', obj: svc('annotation-good', 'default', { 'coredns.io/hostname': 'good.ok' }), names: [one('good.ok')] },
  {
    name: 'annotation-bad: 65-character label',
    obj: svc('annotation-bad', 'default', { 'coredns.io/hostname': `${'a'.repeat(65)}.foo.org` }),
    names: [],
    problems: ['invalid_name'],
  },
  { name: 'annotation-bad-2: underscore', obj: svc('annotation-bad-2', 'default', { 'coredns.io/hostname': 'foo_bar.foo.org' }), names: [], problems: ['invalid_name'] },
  // Hostname annotation details.
  {
    name: 'invalid entries are skipped, valid ones kept, upper case and whitespace normalised',
    obj: svc('s', 'default', { 'coredns.io/hostname': ' Good.Example.ORG ,\tbad_one, ,also.example.org.' }),
    names: [one('good.example.org'), one('also.example.org')],
    problems: ['invalid_name'],
  },
  {
    name: 'coredns.io/hostname wins over external-dns',
    obj: svc('s', 'default', { 'coredns.io/hostname': 'a.example.org', 'external-dns.kubernetes.io/hostname': 'b.example.org' }),
    names: [one('a.example.org')],
  },
  {
    name: 'the GA external-dns prefix wins over alpha',
    obj: svc('s', 'default', {
      'external-dns.alpha.kubernetes.io/hostname': 'alpha.example.org',
      'external-dns.kubernetes.io/hostname': 'ga.example.org',
    }),
    names: [one('ga.example.org')],
  },
  {
    name: 'an empty annotation gives no name and no fallback',
    obj: svc('s', 'default', { 'coredns.io/hostname': ' , ' }),
    names: [],
    problems: ['invalid_name'],
  },
  {
    name: 'repeated names are one',
    obj: svc('s', 'default', { 'coredns.io/hostname': 'a.example.org,A.example.org' }),
    names: [one('a.example.org')],
  },
  // Gardener.
  {
    name: 'Gardener dnsnames add names (class absent)',
    obj: svc('s', 'default', { 'dns.gardener.cloud/dnsnames': 'g1.example.org, g2.example.org,s.default' }),
    names: [one('s.default'), one('g1.example.org'), one('g2.example.org')],
  },
  {
    name: 'Gardener dnsnames with the matching class, plus Gardener ttl',
    obj: svc('s', 'default', {
      'coredns.io/hostname': 'a.example.org',
      'dns.gardener.cloud/dnsnames': 'g.example.org',
      'dns.gardener.cloud/class': 'garden',
      'dns.gardener.cloud/ttl': '120',
    }),
    opts: { gardenerClass: 'garden' },
    names: [
      { name: 'a.example.org', ttl: 120, targets: [A1] },
      { name: 'g.example.org', ttl: 120, targets: [A1] },
    ],
  },
  {
    name: 'Gardener part of another class is ignored, the Service is not',
    obj: svc('s', 'default', {
      'dns.gardener.cloud/dnsnames': 'g.example.org',
      'dns.gardener.cloud/class': 'other',
      'dns.gardener.cloud/ttl': '120',
      'external-dns.alpha.kubernetes.io/ttl': '30',
    }),
    names: [{ name: 's.default', ttl: 30, targets: [A1] }],
  },
  {
    name: 'Gardener `*`, `all` and wildcards are refused on a Service',
    obj: svc('s', 'default', { 'dns.gardener.cloud/dnsnames': '*,all,*.g.example.org' }),
    names: [one('s.default')],
    problems: ['invalid_name', 'invalid_name', 'invalid_name'],
  },
  // Targets without endpoints.
  {
    name: 'externalIPs exclusively; loadBalancerIP never read',
    obj: svc('s', 'default', {}, { type: 'LoadBalancer', externalIPs: ['203.0.113.1', '2001:db8::5', '203.0.113.1'], loadBalancerIP: '198.51.100.1' }),
    names: [one('s.default', [{ t: 'a', ip: '203.0.113.1' }, { t: 'aaaa', ip: '2001:db8::5' }])],
  },
  {
    name: 'invalid externalIPs are reported, never a crash',
    obj: svc('s', 'default', {}, { type: 'LoadBalancer', externalIPs: ['nope', 5, '203.0.113.1'] }),
    names: [one('s.default', [{ t: 'a', ip: '203.0.113.1' }])],
    problems: ['invalid_target', 'invalid_target'],
  },
  {
    name: 'all externalIPs invalid: no status fallback, so no name',
    obj: svc('s', 'default', {}, { type: 'LoadBalancer', externalIPs: ['nope'] }),
    names: [],
    problems: ['invalid_target'],
  },
  {
    name: 'loadBalancerIP alone is not a target',
    obj: { kind: 'Service', metadata: { name: 's', namespace: 'default' }, spec: { type: 'LoadBalancer', loadBalancerIP: '198.51.100.1' } },
    names: [],
  },
  {
    name: 'hostname-only LB status',
    obj: { kind: 'Service', metadata: { name: 's', namespace: 'default' }, spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ hostname: 'lb.elb.amazonaws.com' }] } } },
    names: [one('s.default', [{ t: 'host', name: 'lb.elb.amazonaws.com' }])],
  },
  // resolve-endpoints.
  {
    name: 'endpoints: ready or unknown, valid, de-duplicated, across slices',
    obj: svc('backend', 'default', optIn, headless),
    names: [
      one('backend.default', [
        { t: 'a', ip: '10.1.0.1' },
        { t: 'a', ip: '10.1.0.3' },
        { t: 'aaaa', ip: 'fd00::1' },
        { t: 'a', ip: '10.1.0.4' },
      ]),
    ],
    problems: ['invalid_target'],
  },
  {
    name: 'headless Service opted in (test/headless-service.yml)',
    obj: svc('backend-headless', 'default', optIn, headless),
    names: [one('backend-headless.default', [{ t: 'a', ip: '10.2.0.1' }, { t: 'a', ip: '10.2.0.2' }])],
  },
  {
    name: 'opted in with a custom hostname',
    obj: svc('backend-headless', 'default', { ...optIn, 'coredns.io/hostname': 'custom.example.com' }, headless),
    names: [one('custom.example.com', [{ t: 'a', ip: '10.2.0.1' }, { t: 'a', ip: '10.2.0.2' }])],
  },
  {
    name: 'a LoadBalancer opted in answers with endpoints, not its status or externalIPs',
    obj: svc('backend-headless', 'default', optIn, { type: 'LoadBalancer', externalIPs: ['203.0.113.1'] }),
    names: [one('backend-headless.default', [{ t: 'a', ip: '10.2.0.1' }, { t: 'a', ip: '10.2.0.2' }])],
  },
  { name: 'resolve-endpoints "yes" does not opt in', obj: svc('backend', 'default', { 'k8s-gateway.dns/resolve-endpoints': 'yes' }, headless), names: [] },
  { name: 'resolve-endpoints "True" does not opt in', obj: svc('backend', 'default', { 'k8s-gateway.dns/resolve-endpoints': 'True' }, headless), names: [] },
  { name: 'opted in without endpoints: no name', obj: svc('nothing', 'default', optIn, headless), names: [] },
  {
    name: 'FQDN slices are skipped',
    obj: svc('fqdn', 'default', optIn, headless),
    names: [one('fqdn.default', [{ t: 'a', ip: '10.3.0.1' }])],
  },
  {
    name: 'odd endpoint shapes',
    obj: svc('odd', 'default', optIn, headless),
    names: [one('odd.default', [{ t: 'a', ip: '10.4.0.1' }])],
    problems: ['invalid_target'],
  },
  {
    name: 'endpoints are looked up in the Service namespace',
    obj: svc('backend', 'other', optIn, headless),
    names: [],
  },
  // Untrusted shapes.
  {
    name: 'no namespace: no name.namespace',
    obj: { kind: 'Service', metadata: { name: 's' }, spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ ip: '192.0.0.1' }] } } },
    names: [],
    problems: ['invalid_object'],
  },
  {
    name: 'no namespace but a hostname annotation',
    obj: {
      kind: 'Service',
      metadata: { annotations: { 'coredns.io/hostname': 'a.example.org' } },
      spec: { type: 'LoadBalancer' },
      status: { loadBalancer: { ingress: [{ ip: '192.0.0.1' }] } },
    },
    names: [one('a.example.org')],
  },
  { name: 'spec is not an object', obj: { kind: 'Service', metadata: { name: 's', namespace: 'd' }, spec: ['LoadBalancer'] }, names: [] },
  { name: 'nothing at all', obj: {}, names: [] },
];

describe('extractService', () => {
  it.each(cases)('$name', (c) => {
    const got = extractService(c.obj, ctx, { ...base, ...c.opts });
    expect(got.names).toEqual(c.names);
    expect(got.problems.map((p) => p.reason)).toEqual(c.problems ?? []);
  });

  it('asks for the slices of its own namespace and name', () => {
    const asked: string[] = [];
    const spy: JoinContext = { ...ctx, endpointSlices: (ns, name) => (asked.push(`${ns}/${name}`), []) };
    extractService(svc('backend', 'team-a', optIn, headless), spy, base);
    expect(asked).toEqual(['team-a/backend']);
  });

  it('does not read slices without the opt-in', () => {
    const spy: JoinContext = { ...ctx, endpointSlices: () => expect.unreachable() };
    expect(extractService(svc('backend', 'default'), spy, base).names).toEqual([one('backend.default')]);
  });
});
