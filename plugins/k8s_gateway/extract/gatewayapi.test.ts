import { describe, expect, it } from 'vitest';
import { joinContextOf } from '../../../test/k8s-gateway.js';
import type { ExtractOptions, KubeObject, ObjectKind, Problem, Target } from '../types.js';
import { extractGRPCRoute, extractHTTPRoute, extractTLSRoute, gatewayTargets } from './gatewayapi.js';

const OPTS: ExtractOptions = { nodeAddressType: 'InternalIP', gardenerClass: 'gardendns' };

function gateway(
  name: string,
  addresses: unknown[],
  extra: { namespace?: string; className?: string; listeners?: unknown[]; labels?: Record<string, string> } = {},
): [ObjectKind, KubeObject] {
  return [
    'Gateway',
    {
      kind: 'Gateway',
      metadata: { name, namespace: extra.namespace ?? 'default', ...(extra.labels ? { labels: extra.labels } : {}) },
      spec: {
        gatewayClassName: extra.className ?? 'istio',
        listeners: extra.listeners ?? [{ name: 'http', hostname: '*.gw.foo.org', port: 80, protocol: 'HTTP' }],
      },
      status: { addresses },
    },
  ];
}

function route(
  name: string,
  spec: Record<string, unknown>,
  meta: { namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } = {},
  status?: unknown,
): KubeObject {
  return {
    kind: 'HTTPRoute',
    metadata: { name, namespace: meta.namespace ?? 'default', labels: meta.labels, annotations: meta.annotations },
    spec,
    ...(status !== undefined ? { status } : {}),
  };
}

const a = (ip: string): Target => ({ t: 'a', ip });
const ip = (value: string) => ({ type: 'IPAddress', value });

/** test/gateway-api/resources.yml from upstream, with the README's kind-LB addresses. */
const UPSTREAM = joinContextOf([
  gateway('gateway-one', [ip('198.51.100.4')]),
  gateway('gateway-two', [ip('198.51.100.5')]),
]);

describe('Gateway API routes: upstream vectors', () => {
  it.each([
    ['myservicea (same namespace)', route('myservicea', { parentRefs: [{ name: 'gateway-one' }], hostnames: ['myservicea.gw.foo.org'] }), [['myservicea.gw.foo.org', ['198.51.100.4']]]],
    [
      'myserviceb (parent in another namespace)',
      route('myserviceb', { parentRefs: [{ name: 'gateway-one', namespace: 'default' }], hostnames: ['myserviceb.gw.foo.org'] }, { namespace: 'kube-system' }),
      [['myserviceb.gw.foo.org', ['198.51.100.4']]],
    ],
    ['myservicec (unknown parent)', route('myservicec', { parentRefs: [{ name: 'gatewayWrong' }], hostnames: ['myservicec.gw.foo.org'] }), []],
    [
      'myserviced (two parents)',
      route('myserviced', { parentRefs: [{ name: 'gateway-one' }, { name: 'gateway-two' }], hostnames: ['myserviced.gw.foo.org'] }),
      [['myserviced.gw.foo.org', ['198.51.100.4', '198.51.100.5']]],
    ],
    [
      'ignored-httproute',
      route('ignored-httproute', { parentRefs: [{ name: 'gateway-one' }], hostnames: ['ignored.gw.foo.org'] }, { labels: { 'k8s-gateway.dns/ignore': 'true' } }),
      [],
    ],
  ] as const)('%s', (_, obj, want) => {
    const got = extractHTTPRoute(obj, UPSTREAM, OPTS);
    expect(got.problems).toEqual([]);
    expect(got.names).toEqual(want.map(([name, ips]) => ({ name, targets: ips.map(a) })));
  });

  it('reads the parent Gateway in the parentRef namespace, through the context', () => {
    const ctx = joinContextOf([gateway('gateway-one', [ip('198.51.100.4')])]);
    extractHTTPRoute(route('myserviceb', { parentRefs: [{ name: 'gateway-one', namespace: 'default' }], hostnames: ['b.gw.foo.org'] }, { namespace: 'kube-system' }), ctx, OPTS);
    expect(ctx.reads).toEqual(['Gateway default/gateway-one']);
  });

  it.each([
    ['HTTPRoute', extractHTTPRoute],
    ['TLSRoute', extractTLSRoute],
    ['GRPCRoute', extractGRPCRoute],
  ] as const)('%s route-1/ns1 (3.6) and the F4 gateway', (_, extract) => {
    const ctx = joinContextOf([gateway('gw-1', [ip('192.0.2.1')], { namespace: 'ns1' })]);
    const obj = route('route-1', { parentRefs: [{ name: 'gw-1' }], hostnames: ['route-1.gw-1.example.com'] }, { namespace: 'ns1' });
    expect(extract(obj, ctx, OPTS)).toEqual({ names: [{ name: 'route-1.gw-1.example.com', targets: [a('192.0.2.1')] }], problems: [] });
    const ignored = { ...obj, metadata: { ...obj.metadata, labels: { 'k8s-gateway.dns/ignore': 'true' } } };
    expect(extract(ignored, ctx, OPTS)).toEqual({ names: [], problems: [] });
  });

  it('the ignore label on a Gateway does not hide its routes', () => {
    const ctx = joinContextOf([gateway('gw', [ip('192.0.2.1')], { labels: { 'k8s-gateway.dns/ignore': 'true' } })]);
    const got = extractHTTPRoute(route('r', { parentRefs: [{ name: 'gw' }], hostnames: ['a.example.com'] }), ctx, OPTS);
    expect(got.names).toEqual([{ name: 'a.example.com', targets: [a('192.0.2.1')] }]);
  });
});

describe('Gateway API routes: names', () => {
  const ctx = joinContextOf([
    gateway('gw', [ip('192.0.2.1')], {
      listeners: [
        { name: 'web', hostname: '*.web.example.com' },
        { name: 'api', hostname: 'API.example.com.' },
        { name: 'any' },
        { name: 'bad', hostname: 'bad_name.example.com' },
      ],
    }),
    gateway('other', [ip('192.0.2.2')], { listeners: [{ name: 'web', hostname: '*.web.example.com' }] }),
  ]);
  const names = (spec: Record<string, unknown>) => extractHTTPRoute(route('r', spec), ctx, OPTS);

  it('normalises route hostnames and marks wildcards as any-depth', () => {
    expect(names({ parentRefs: [{ name: 'gw' }], hostnames: ['*.Example.COM', 'b.example.com.'] }).names).toEqual([
      { name: '*.example.com', wildcard: 'any', targets: [a('192.0.2.1')] },
      { name: 'b.example.com', targets: [a('192.0.2.1')] },
    ]);
  });

  it.each([
    ['a bad label', 'bad_name.example.com'],
    ['a misplaced wildcard', 'a.*.example.com'],
    ['an IP literal', '192.0.2.9'],
  ])('reports %s and keeps the rest', (_, bad) => {
    const got = names({ parentRefs: [{ name: 'gw' }], hostnames: [bad, 'ok.example.com', 42] });
    expect(got.names.map((n) => n.name)).toEqual(['ok.example.com']);
    expect(got.problems).toHaveLength(1);
    expect(got.problems[0]?.reason).toBe('invalid_name');
  });

  it('does not fall back to listener hostnames when every route hostname is invalid', () => {
    const got = names({ parentRefs: [{ name: 'gw', sectionName: 'api' }], hostnames: ['bad_name'] });
    expect(got.names).toEqual([]);
    expect(got.problems.map((p) => p.reason)).toEqual(['invalid_name']);
  });

  it.each([
    ['sectionName selects one listener', [{ name: 'gw', sectionName: 'api' }], [['api.example.com', ['192.0.2.1']]]],
    ['a sectionName without a hostname gives nothing', [{ name: 'gw', sectionName: 'any' }], []],
    ['an unknown sectionName gives nothing', [{ name: 'gw', sectionName: 'nope' }], []],
    [
      'listeners of every parent, each with its own Gateway addresses',
      [{ name: 'gw', sectionName: 'web' }, { name: 'other' }],
      [['*.web.example.com', ['192.0.2.1', '192.0.2.2']]],
    ],
  ] as const)('without hostnames: %s', (_, parentRefs, want) => {
    const got = names({ parentRefs });
    expect(got.problems).toEqual([]);
    expect(got.names.map((n) => [n.name, n.targets.map((t) => (t.t === 'a' ? t.ip : '?'))])).toEqual(want);
  });

  it('without hostnames and without sectionName takes every listener hostname', () => {
    const got = names({ parentRefs: [{ name: 'gw' }] });
    expect(got.names.map((n) => n.name)).toEqual(['*.web.example.com', 'api.example.com']);
    expect(got.problems.map((p) => p.reason)).toEqual(['invalid_name']);
  });

  it('takes the TTL from the route annotations', () => {
    const obj = route('r', { parentRefs: [{ name: 'gw' }], hostnames: ['a.example.com'] }, { annotations: { 'external-dns.alpha.kubernetes.io/ttl': '30' } });
    expect(extractHTTPRoute(obj, ctx, OPTS).names).toEqual([{ name: 'a.example.com', ttl: 30, targets: [a('192.0.2.1')] }]);
    const bad = route('r', { parentRefs: [{ name: 'gw' }], hostnames: ['a.example.com'] }, { annotations: { 'dns.gardener.cloud/ttl': 'soon' } });
    const got = extractHTTPRoute(bad, ctx, OPTS);
    expect(got.names).toEqual([{ name: 'a.example.com', targets: [a('192.0.2.1')] }]);
    expect(got.problems.map((p) => p.reason)).toEqual(['invalid_ttl']);
  });
});

describe('Gateway API routes: parents', () => {
  const ctx = joinContextOf([
    gateway('gw', [ip('192.0.2.1')], { listeners: [{ name: 'a', hostname: 'a.example.com' }, { name: 'b', hostname: 'b.example.com' }] }),
    gateway('nginx', [ip('192.0.2.2')], { className: 'nginx' }),
  ]);
  const accepted = (status: 'True' | 'False', ref: Record<string, unknown>) => ({ parentRef: ref, conditions: [{ type: 'Accepted', status }] });
  const ips = (spec: Record<string, unknown>, status?: unknown, opts: ExtractOptions = OPTS) =>
    extractHTTPRoute(route('r', { hostnames: ['x.example.com'], ...spec }, {}, status), ctx, opts).names.flatMap((n) =>
      n.targets.map((t) => (t.t === 'a' ? t.ip : '?')),
    );

  it.each([
    ['kind absent', { name: 'gw' }, ['192.0.2.1']],
    ['kind Gateway with the API group', { name: 'gw', kind: 'Gateway', group: 'gateway.networking.k8s.io' }, ['192.0.2.1']],
    ['kind Service (mesh)', { name: 'gw', kind: 'Service', group: '' }, []],
    ['kind ListenerSet', { name: 'gw', kind: 'ListenerSet' }, []],
    ['another group', { name: 'gw', group: 'example.com' }, []],
    ['another namespace', { name: 'gw', namespace: 'elsewhere' }, []],
  ] as const)('parentRef %s', (_, ref, want) => {
    expect(ips({ parentRefs: [ref] })).toEqual(want);
  });

  it('reports a parentRef without a name', () => {
    const got = extractHTTPRoute(route('r', { hostnames: ['x.example.com'], parentRefs: [{}, { name: 'gw' }] }), ctx, OPTS);
    expect(got.names).toHaveLength(1);
    expect(got.problems.map((p) => p.reason)).toEqual(['invalid_object']);
  });

  it.each([
    ['no status', undefined, ['192.0.2.1']],
    ['Accepted=True', { parents: [accepted('True', { name: 'gw' })] }, ['192.0.2.1']],
    ['Accepted=False', { parents: [accepted('False', { name: 'gw' })] }, []],
    ['Accepted=False with the namespace spelled out', { parents: [accepted('False', { name: 'gw', namespace: 'default' })] }, []],
    ['Accepted=False for another section', { parents: [accepted('False', { name: 'gw', sectionName: 'a' })] }, ['192.0.2.1']],
    ['Accepted=False for another Gateway', { parents: [accepted('False', { name: 'nginx' })] }, ['192.0.2.1']],
    ['Accepted=False from one controller, True from another', { parents: [accepted('False', { name: 'gw' }), accepted('True', { name: 'gw' })] }, ['192.0.2.1']],
    ['garbage status', { parents: 'nope' }, ['192.0.2.1']],
  ] as const)('status: %s', (_, status, want) => {
    expect(ips({ parentRefs: [{ name: 'gw' }] }, status)).toEqual(want);
  });

  it('a rejected section still leaves the accepted one', () => {
    const status = { parents: [accepted('False', { name: 'gw', sectionName: 'a' }), accepted('True', { name: 'gw', sectionName: 'b' })] };
    const got = extractHTTPRoute(route('r', { parentRefs: [{ name: 'gw', sectionName: 'a' }, { name: 'gw', sectionName: 'b' }] }, {}, status), ctx, OPTS);
    expect(got.names.map((n) => n.name)).toEqual(['b.example.com']);
  });

  it.each([
    ['every class', undefined, ['192.0.2.1', '192.0.2.2']],
    ['istio only', new Set(['istio']), ['192.0.2.1']],
    ['no match', new Set(['cilium']), []],
  ] as const)('gatewayClasses: %s', (_, gatewayClasses, want) => {
    const opts: ExtractOptions = { ...OPTS, ...(gatewayClasses ? { gatewayClasses } : {}) };
    expect(ips({ parentRefs: [{ name: 'gw' }, { name: 'nginx' }] }, undefined, opts)).toEqual(want);
  });

  it('merges and de-duplicates the targets of several parents', () => {
    const two = joinContextOf([gateway('g1', [ip('192.0.2.1'), ip('2001:DB8::1')]), gateway('g2', [ip('192.0.2.1')])]);
    const got = extractHTTPRoute(route('r', { hostnames: ['x.example.com'], parentRefs: [{ name: 'g1' }, { name: 'g2' }, { name: 'g1', port: 443 }] }), two, OPTS);
    expect(got.names).toEqual([{ name: 'x.example.com', targets: [a('192.0.2.1'), { t: 'aaaa', ip: '2001:db8::1' }] }]);
  });
});

describe('gatewayTargets', () => {
  it.each([
    ['IPAddress and absent type', [ip('192.0.2.1'), { value: '2001:db8::1' }], [a('192.0.2.1'), { t: 'aaaa', ip: '2001:db8::1' }], 0],
    ['Hostname', [{ type: 'Hostname', value: 'LB.Example.com.' }], [{ t: 'host', name: 'lb.example.com' }], 0],
    ['IPs beat hostnames', [{ type: 'Hostname', value: 'lb.example.com' }, ip('192.0.2.1')], [a('192.0.2.1')], 0],
    ['other types are ignored', [{ type: 'NamedAddress', value: 'pool-1' }, { type: 'example.com/custom', value: 'x' }], [], 0],
    ['an invalid IP is reported', [ip('not-an-ip'), ip('192.0.2.5')], [a('192.0.2.5')], 1],
    ['an invalid hostname is reported', [{ type: 'Hostname', value: 'bad name' }], [], 1],
    ['odd entries are skipped', [null, 'x', { type: 'IPAddress' }, { type: 'IPAddress', value: 7 }], [], 0],
  ] as const)('%s', (_, addresses, want, problemCount) => {
    const problems: Problem[] = [];
    const [, gw] = gateway('gw', [...addresses]);
    expect(gatewayTargets(gw, problems)).toEqual(want);
    expect(problems).toHaveLength(problemCount);
  });

  it('survives a Gateway without status or spec', () => {
    expect(gatewayTargets({ kind: 'Gateway' }, [])).toEqual([]);
    expect(gatewayTargets({ status: { addresses: 'x' } }, [])).toEqual([]);
  });
});

describe('Gateway API routes: hostile objects', () => {
  it.each([
    ['no spec', {}],
    ['spec is a string', { spec: 'x' }],
    ['fields of the wrong type', { spec: { hostnames: 'a.example.com', parentRefs: { name: 'gw' } } }],
    ['parentRefs of the wrong type', { spec: { parentRefs: [null, 1, 'gw', { name: 5 }] } }],
    ['no metadata', { metadata: undefined, spec: { parentRefs: [{ name: 'gw' }], hostnames: ['a.example.com'] } }],
  ])('%s does not throw', (_, obj) => {
    const ctx = joinContextOf([gateway('gw', [ip('192.0.2.1')], { listeners: [null, 'x', { hostname: 3 }] })]);
    expect(() => extractHTTPRoute(obj as KubeObject, ctx, OPTS)).not.toThrow();
  });
});
