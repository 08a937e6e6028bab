import { describe, expect, it } from 'vitest';
import type { ExtractOptions, JoinContext, KubeObject, NameContribution, Problem } from '../types.js';
import { extractIngress } from './ingress.js';

const ctx: JoinContext = { get: () => undefined, endpointSlices: () => [], all: () => [] };
const base: ExtractOptions = { nodeAddressType: 'InternalIP', gardenerClass: 'gardendns' };

interface Case {
  name: string;
  obj: KubeObject;
  opts?: Partial<ExtractOptions>;
  names: NameContribution[];
  problems?: Problem['reason'][];
}

function ingress(
  hosts: readonly string[],
  status: unknown = { loadBalancer: { ingress: [{ ip: '192.0.0.1' }] } },
  meta: KubeObject['metadata'] = { name: 'ing1', namespace: 'ns1' },
  spec: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: meta,
    spec: { ...spec, rules: hosts.map((host) => ({ host, http: { paths: [] } })) },
    status,
  };
}

const A1 = { t: 'a', ip: '192.0.0.1' } as const;
const nginx = { ingressClasses: new Set(['nginx']) };

const cases: Case[] = [
  // Upstream kubernetes_test.go vectors.
  { name: 'rule host -> LB ip', obj: ingress(['a.example.org']), names: [{ name: 'a.example.org', targets: [A1] }] },
  {
    name: 'an Ingress without a name still indexes',
    obj: ingress(['example.org'], { loadBalancer: { ingress: [{ ip: '192.0.0.2' }] } }, {}),
    names: [{ name: 'example.org', targets: [{ t: 'a', ip: '192.0.0.2' }] }],
  },
  {
    name: 'ignore label',
    obj: ingress(['ignored.example.org'], undefined, { name: 'x', labels: { 'k8s-gateway.dns/ignore': 'true' } }),
    names: [],
  },
  {
    name: 'ignore label must be exactly "true"',
    obj: ingress(['a.example.org'], undefined, { labels: { 'k8s-gateway.dns/ignore': 'yes' } }),
    names: [{ name: 'a.example.org', targets: [A1] }],
  },
  // Hosts.
  {
    name: 'wildcard host matches one label',
    obj: ingress(['*.foo.com']),
    names: [{ name: '*.foo.com', wildcard: 'one', targets: [A1] }],
  },
  {
    name: 'hosts are normalised and de-duplicated, catch-all rules skipped',
    obj: ingress(['A.Example.ORG.', 'a.example.org', '', 'b.example.org']),
    names: [
      { name: 'a.example.org', targets: [A1] },
      { name: 'b.example.org', targets: [A1] },
    ],
  },
  {
    name: 'an invalid host is skipped and reported',
    obj: ingress(['foo_bar.example.org', 'ok.example.org', '*', 'a.*.example.org']),
    names: [{ name: 'ok.example.org', targets: [A1] }],
    problems: ['invalid_name', 'invalid_name', 'invalid_name'],
  },
  {
    name: 'a rule without host and no other rule: nothing',
    obj: { kind: 'Ingress', spec: { rules: [{ http: {} }] }, status: {} },
    names: [],
  },
  // Targets.
  {
    name: 'hostname-only status gives a host target',
    obj: ingress(['a.example.org'], { loadBalancer: { ingress: [{ hostname: 'LB-1.elb.amazonaws.com.' }] } }),
    names: [{ name: 'a.example.org', targets: [{ t: 'host', name: 'lb-1.elb.amazonaws.com' }] }],
  },
  {
    name: 'IPs beat hostnames, repeats removed, IPv6 canonical',
    obj: ingress(['a.example.org'], {
      loadBalancer: { ingress: [{ hostname: 'lb.example.net' }, { ip: '192.0.0.1' }, { ip: '2001:DB8:0::1' }, { ip: '192.0.0.1' }] },
    }),
    names: [{ name: 'a.example.org', targets: [A1, { t: 'aaaa', ip: '2001:db8::1' }] }],
  },
  {
    name: 'no status yet: no name (it would only shadow others)',
    obj: ingress(['a.example.org'], null),
    names: [],
  },
  {
    name: 'empty status: no name',
    obj: ingress(['a.example.org'], {}),
    names: [],
  },
  {
    name: 'a bad status IP is reported',
    obj: ingress(['a.example.org'], { loadBalancer: { ingress: [{ ip: '300.1.1.1' }, { ip: '192.0.0.1' }] } }),
    names: [{ name: 'a.example.org', targets: [A1] }],
    problems: ['invalid_target'],
  },
  // Class filter.
  {
    name: 'class filter: spec.ingressClassName',
    obj: ingress(['a.example.org'], undefined, {}, { ingressClassName: 'nginx' }),
    opts: nginx,
    names: [{ name: 'a.example.org', targets: [A1] }],
  },
  {
    name: 'class filter: legacy annotation',
    obj: ingress(['a.example.org'], undefined, { annotations: { 'kubernetes.io/ingress.class': 'nginx' } }),
    opts: nginx,
    names: [{ name: 'a.example.org', targets: [A1] }],
  },
  {
    name: 'class filter: spec wins over the annotation',
    obj: ingress(['a.example.org'], undefined, { annotations: { 'kubernetes.io/ingress.class': 'nginx' } }, { ingressClassName: 'traefik' }),
    opts: nginx,
    names: [],
  },
  { name: 'class filter: no class at all is not matched', obj: ingress(['a.example.org']), opts: nginx, names: [] },
  {
    name: 'class filter: another class',
    obj: ingress(['a.example.org'], undefined, {}, { ingressClassName: 'traefik' }),
    opts: nginx,
    names: [],
  },
  {
    name: 'no filter: every class',
    obj: ingress(['a.example.org'], undefined, {}, { ingressClassName: 'traefik' }),
    names: [{ name: 'a.example.org', targets: [A1] }],
  },
  // TTL and Gardener.
  {
    name: 'external-dns ttl on every name',
    obj: ingress(['a.example.org', 'b.example.org'], undefined, { annotations: { 'external-dns.alpha.kubernetes.io/ttl': '60' } }),
    names: [
      { name: 'a.example.org', ttl: 60, targets: [A1] },
      { name: 'b.example.org', ttl: 60, targets: [A1] },
    ],
  },
  {
    name: 'Gardener ttl beats external-dns ttl',
    obj: ingress(['a.example.org'], undefined, {
      annotations: { 'external-dns.kubernetes.io/ttl': '60', 'dns.gardener.cloud/ttl': '30' },
    }),
    names: [{ name: 'a.example.org', ttl: 30, targets: [A1] }],
  },
  {
    name: 'Gardener ttl of another class is ignored, the Ingress is not',
    obj: ingress(['a.example.org'], undefined, {
      annotations: {
        'external-dns.kubernetes.io/ttl': '60',
        'dns.gardener.cloud/ttl': '30',
        'dns.gardener.cloud/class': 'garden',
        'dns.gardener.cloud/dnsnames': 'other.example.org',
      },
    }),
    names: [{ name: 'a.example.org', ttl: 60, targets: [A1] }],
  },
  {
    name: 'a Go duration ttl is read as seconds (external-dns accepts both)',
    obj: ingress(['a.example.org'], undefined, { annotations: { 'external-dns.kubernetes.io/ttl': '5m' } }),
    names: [{ name: 'a.example.org', targets: [A1], ttl: 300 }],
    problems: [],
  },
  {
    name: 'an invalid ttl is reported and ignored',
    obj: ingress(['a.example.org'], undefined, { annotations: { 'external-dns.kubernetes.io/ttl': 'soon' } }),
    names: [{ name: 'a.example.org', targets: [A1] }],
    problems: ['invalid_ttl'],
  },
  {
    name: 'Gardener dnsnames: rule hosts and `*` confirm, others are reported; every rule host is published',
    obj: ingress(['a.example.org', 'b.example.org'], undefined, {
      annotations: { 'dns.gardener.cloud/dnsnames': ' A.example.org, *, all, other.example.org', 'dns.gardener.cloud/class': 'gardendns' },
    }),
    names: [
      { name: 'a.example.org', targets: [A1] },
      { name: 'b.example.org', targets: [A1] },
    ],
    problems: ['invalid_name'],
  },
  // Untrusted shapes.
  { name: 'spec is a string', obj: { kind: 'Ingress', spec: 'rules', status: 5 }, names: [] },
  { name: 'rules is not a list', obj: { kind: 'Ingress', spec: { rules: { host: 'a.b' } } }, names: [] },
  {
    name: 'odd rule entries and host types',
    obj: { kind: 'Ingress', spec: { rules: [null, 7, { host: 42 }, { host: 'a.example.org' }] }, status: { loadBalancer: { ingress: 'x' } } },
    names: [],
  },
  { name: 'no spec at all', obj: {}, names: [] },
];

describe('extractIngress', () => {
  it.each(cases)('$name', (c) => {
    const got = extractIngress(c.obj, ctx, { ...base, ...c.opts });
    expect(got.names).toEqual(c.names);
    expect(got.problems.map((p) => p.reason)).toEqual(c.problems ?? []);
  });

  it('reports the offending dnsnames entry', () => {
    const got = extractIngress(
      ingress(['a.example.org'], undefined, { annotations: { 'dns.gardener.cloud/dnsnames': 'x.example.org' } }),
      ctx,
      base,
    );
    expect(got.problems[0]?.detail).toContain('x.example.org');
  });
});
