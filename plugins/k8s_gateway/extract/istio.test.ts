import { describe, expect, it } from 'vitest';
import { joinContextOf } from '../../../test/k8s-gateway.js';
import type { ExtractOptions, KubeObject, ObjectKind, Problem, Target } from '../types.js';
import { extractIstioGateway, extractVirtualService, istioGatewayTargets } from './istio.js';

const OPTS: ExtractOptions = { nodeAddressType: 'InternalIP', gardenerClass: 'gardendns' };
const IGNORE = { 'k8s-gateway.dns/ignore': 'true' };

interface SvcOpts {
  namespace?: string;
  type?: string;
  selector?: Record<string, string>;
  externalIPs?: string[];
  ingress?: unknown[];
  labels?: Record<string, string>;
}

function service(name: string, o: SvcOpts): [ObjectKind, KubeObject] {
  return [
    'Service',
    {
      kind: 'Service',
      metadata: { name, namespace: o.namespace ?? 'istio-system', ...(o.labels ? { labels: o.labels } : {}) },
      spec: {
        type: o.type ?? 'LoadBalancer',
        selector: o.selector ?? { istio: 'ingressgateway', app: 'istio-ingressgateway' },
        ...(o.externalIPs ? { externalIPs: o.externalIPs } : {}),
      },
      status: { loadBalancer: { ingress: o.ingress ?? [] } },
    },
  ];
}

function istioGateway(
  name: string,
  spec: Record<string, unknown>,
  meta: { namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): [ObjectKind, KubeObject] {
  return [
    'IstioGateway',
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: { name, namespace: meta.namespace ?? 'default', labels: meta.labels, annotations: meta.annotations },
      spec,
    },
  ];
}

function virtualService(
  spec: Record<string, unknown>,
  meta: { namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'vs', namespace: meta.namespace ?? 'default', labels: meta.labels, annotations: meta.annotations },
    spec,
  };
}

const a = (ip: string): Target => ({ t: 'a', ip });
const SELECTOR = { istio: 'ingressgateway' };
const ipsOf = (targets: readonly Target[]) => targets.map((t) => (t.t === 'a' || t.t === 'aaaa' ? t.ip : t.t === 'host' ? t.name : '?'));

describe('istioGatewayTargets', () => {
  it.each([
    ['LB status IPs', [service('ingress', { ingress: [{ ip: '198.51.100.1' }] })], ['198.51.100.1']],
    ['externalIPs beat the status', [service('ingress', { externalIPs: ['192.0.2.7'], ingress: [{ ip: '198.51.100.1' }] })], ['192.0.2.7']],
    ['a hostname-only status', [service('ingress', { ingress: [{ hostname: 'LB.elb.amazonaws.com' }] })], ['lb.elb.amazonaws.com']],
    ['only LoadBalancer Services', [service('ingress', { type: 'ClusterIP', ingress: [{ ip: '198.51.100.1' }] })], []],
    ['not an ignored Service', [service('ingress', { labels: IGNORE, ingress: [{ ip: '198.51.100.1' }] })], []],
    ['the selector must be a subset of the pod selector', [service('ingress', { selector: { app: 'x' }, ingress: [{ ip: '198.51.100.1' }] })], []],
    ['a mismatching value', [service('ingress', { selector: { istio: 'egressgateway' }, ingress: [{ ip: '198.51.100.1' }] })], []],
    [
      'several Services, in namespace/name order',
      [
        service('z', { namespace: 'b', ingress: [{ ip: '198.51.100.3' }] }),
        service('y', { namespace: 'a', ingress: [{ ip: '198.51.100.2' }] }),
      ],
      ['198.51.100.2', '198.51.100.3'],
    ],
  ] as const)('%s', (_, services, want) => {
    const [, gw] = istioGateway('gw', { selector: SELECTOR });
    const problems: Problem[] = [];
    expect(ipsOf(istioGatewayTargets(gw, joinContextOf(services), problems))).toEqual(want);
    expect(problems).toEqual([]);
  });

  it.each([
    ['missing', undefined],
    ['empty', {}],
    ['not an object', 'istio=ingressgateway'],
  ])('a %s selector selects nothing and reads no Service', (_, selector) => {
    const ctx = joinContextOf([service('ingress', { ingress: [{ ip: '198.51.100.1' }] })]);
    const [, gw] = istioGateway('gw', selector === undefined ? {} : { selector });
    expect(istioGatewayTargets(gw, ctx, [])).toEqual([]);
    expect(ctx.reads).toEqual([]);
  });

  it('reports a selector with a non-string value rather than widening it', () => {
    const ctx = joinContextOf([service('ingress', { ingress: [{ ip: '198.51.100.1' }] })]);
    const [, gw] = istioGateway('gw', { selector: { istio: 'ingressgateway', app: 3 } });
    const problems: Problem[] = [];
    expect(istioGatewayTargets(gw, ctx, problems)).toEqual([]);
    expect(problems.map((p) => p.reason)).toEqual(['invalid_object']);
  });

  it('reports bad Service addresses', () => {
    const ctx = joinContextOf([service('ingress', { externalIPs: ['nope', '192.0.2.7'] })]);
    const [, gw] = istioGateway('gw', { selector: SELECTOR });
    const problems: Problem[] = [];
    expect(istioGatewayTargets(gw, ctx, problems)).toEqual([a('192.0.2.7')]);
    expect(problems.map((p) => p.reason)).toEqual(['invalid_target']);
  });
});

describe('extractIstioGateway', () => {
  const ctx = joinContextOf([service('ingress', { ingress: [{ ip: '198.51.100.1' }] })]);
  const names = (hosts: unknown[]) => extractIstioGateway(istioGateway('gw', { selector: SELECTOR, servers: [{ port: { number: 80 }, hosts }] })[1], ctx, OPTS);

  it.each([
    ['a plain host', ['app.example.com'], ['app.example.com']],
    ['ns/ and ./ prefixes are dropped', ['prod/app.example.com', './b.example.com', '*/c.example.com'], ['app.example.com', 'b.example.com', 'c.example.com']],
    ['bare wildcards are skipped', ['*', '*/*', 'prod/*'], []],
    ['a wildcard suffix is kept', ['*.Example.com'], ['*.example.com']],
    ['short mesh names are skipped', ['reviews', 'prod/reviews'], []],
    ['duplicates merge', ['a.example.com', 'ns/a.example.com'], ['a.example.com']],
    ['odd entries are skipped', [null, 3, ''], []],
  ] as const)('%s', (_, hosts, want) => {
    const got = names([...hosts]);
    expect(got.problems).toEqual([]);
    expect(got.names.map((n) => n.name)).toEqual(want);
    for (const n of got.names) {
      expect(n.targets).toEqual([a('198.51.100.1')]);
      expect(n.wildcard).toBe(n.name.startsWith('*.') ? 'any' : undefined);
    }
  });

  it('reports invalid hosts', () => {
    const got = names(['bad_host.example.com', 'ok.example.com']);
    expect(got.names.map((n) => n.name)).toEqual(['ok.example.com']);
    expect(got.problems.map((p) => p.reason)).toEqual(['invalid_name']);
  });

  it('takes hosts from every server, and the TTL from its annotations', () => {
    const [, gw] = istioGateway(
      'gw',
      { selector: SELECTOR, servers: [{ hosts: ['a.example.com'] }, { hosts: ['b.example.com'] }] },
      { annotations: { 'dns.gardener.cloud/ttl': '120' } },
    );
    expect(extractIstioGateway(gw, ctx, OPTS).names).toEqual([
      { name: 'a.example.com', ttl: 120, targets: [a('198.51.100.1')] },
      { name: 'b.example.com', ttl: 120, targets: [a('198.51.100.1')] },
    ]);
  });

  it('yields nothing with the ignore label', () => {
    const [, gw] = istioGateway('gw', { selector: SELECTOR, servers: [{ hosts: ['a.example.com'] }] }, { labels: IGNORE });
    expect(extractIstioGateway(gw, ctx, OPTS)).toEqual({ names: [], problems: [] });
  });

  it('does not read Services when it has no names', () => {
    const c = joinContextOf([service('ingress', { ingress: [{ ip: '198.51.100.1' }] })]);
    extractIstioGateway(istioGateway('gw', { selector: SELECTOR, servers: [{ hosts: ['*'] }] })[1], c, OPTS);
    expect(c.reads).toEqual([]);
  });

  it('gives no names when no Service is selected', () => {
    const got = extractIstioGateway(istioGateway('gw', { servers: [{ hosts: ['a.example.com'] }] })[1], ctx, OPTS);
    expect(got).toEqual({ names: [], problems: [] });
  });
});

describe('extractVirtualService', () => {
  const ctx = joinContextOf([
    service('ingress', { ingress: [{ ip: '198.51.100.1' }] }),
    service('internal', { selector: { istio: 'internal' }, ingress: [{ ip: '10.0.0.1' }, { ip: '198.51.100.1' }] }),
    istioGateway('public', { selector: SELECTOR, servers: [{ hosts: ['*'] }] }, { namespace: 'istio-system' }),
    istioGateway('private', { selector: { istio: 'internal' } }),
    istioGateway('hidden', { selector: SELECTOR }, { namespace: 'team', labels: IGNORE }),
    istioGateway('broken', { selector: { istio: 5 } }),
  ]);
  const vs = (spec: Record<string, unknown>, meta = {}) => extractVirtualService(virtualService(spec, meta), ctx, OPTS);

  it.each([
    ['a Gateway in another namespace', ['istio-system/public'], ['198.51.100.1']],
    ['a Gateway in the VirtualService namespace', ['private'], ['10.0.0.1', '198.51.100.1']],
    ['the union of several Gateways, de-duplicated', ['istio-system/public', 'private'], ['198.51.100.1', '10.0.0.1']],
    ['mesh only', ['mesh'], []],
    ['mesh is skipped', ['mesh', 'istio-system/public'], ['198.51.100.1']],
    ['a missing Gateway', ['nope', 'istio-system/nope'], []],
    ['an ignored Gateway still fronts its VirtualServices', ['team/hidden'], ['198.51.100.1']],
    ['no gateways', [], []],
  ] as const)('%s', (_, gateways, want) => {
    const got = vs({ hosts: ['app.example.com'], gateways });
    expect(got.problems).toEqual([]);
    const targets = got.names.flatMap((n) => ipsOf(n.targets));
    expect(targets).toEqual(want);
    expect(got.names).toHaveLength(want.length > 0 ? 1 : 0);
  });

  it('names come from spec.hosts like Gateway hosts, short names skipped', () => {
    const got = vs({ hosts: ['reviews', '*', 'ns/App.Example.com', '*.apps.example.com', 'bad_x.example.com'], gateways: ['istio-system/public'] });
    expect(got.names).toEqual([
      { name: 'app.example.com', targets: [a('198.51.100.1')] },
      { name: '*.apps.example.com', wildcard: 'any', targets: [a('198.51.100.1')] },
    ]);
    expect(got.problems.map((p) => p.reason)).toEqual(['invalid_name']);
  });

  it('reports malformed gateway references', () => {
    const got = vs({ hosts: ['app.example.com'], gateways: ['/x', 'ns/', 'a/b/c', 7, 'istio-system/public'] });
    expect(got.names).toHaveLength(1);
    expect(got.problems.map((p) => p.reason)).toEqual(['invalid_object', 'invalid_object', 'invalid_object']);
  });

  it("leaves a Gateway's own faults to the Gateway", () => {
    expect(vs({ hosts: ['app.example.com'], gateways: ['broken'] })).toEqual({ names: [], problems: [] });
  });

  it('reads Gateways through the context and only when it has names', () => {
    const c = joinContextOf([istioGateway('public', { selector: SELECTOR }, { namespace: 'istio-system' })]);
    extractVirtualService(virtualService({ hosts: ['reviews'], gateways: ['istio-system/public'] }), c, OPTS);
    expect(c.reads).toEqual([]);
    extractVirtualService(virtualService({ hosts: ['a.example.com'], gateways: ['istio-system/public'] }), c, OPTS);
    expect(c.reads).toEqual(['IstioGateway istio-system/public', 'Service *']);
  });

  it('takes the TTL from its own annotations and honours the ignore label', () => {
    expect(vs({ hosts: ['a.example.com'], gateways: ['istio-system/public'] }, { annotations: { 'external-dns.kubernetes.io/ttl': '5' } }).names).toEqual([
      { name: 'a.example.com', ttl: 5, targets: [a('198.51.100.1')] },
    ]);
    expect(vs({ hosts: ['a.example.com'], gateways: ['istio-system/public'] }, { labels: IGNORE })).toEqual({ names: [], problems: [] });
  });

  it.each([
    ['no spec', {}],
    ['spec is a number', { spec: 1 }],
    ['fields of the wrong type', { spec: { hosts: 'a.example.com', gateways: { a: 1 } } }],
    ['no metadata', { spec: { hosts: ['a.example.com'], gateways: ['private'] } }],
  ])('%s does not throw', (_, obj) => {
    expect(() => extractVirtualService(obj as KubeObject, ctx, OPTS)).not.toThrow();
    expect(() => extractIstioGateway(obj as KubeObject, ctx, OPTS)).not.toThrow();
  });
});
