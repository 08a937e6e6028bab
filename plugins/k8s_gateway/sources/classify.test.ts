import { describe, expect, it } from 'vitest';
import { apiGroup, classify, isNamespaced, kindsFor } from './classify.js';
import { OBJECT_KINDS, RESOURCE_KINDS, type KubeObject, type ObjectKind, type ResourceKind } from '../types.js';

describe('classify', () => {
  it.each<[string, string, ObjectKind]>([
    ['networking.k8s.io/v1', 'Ingress', 'Ingress'],
    ['networking.k8s.io/v1beta1', 'Ingress', 'Ingress'],
    ['extensions/v1beta1', 'Ingress', 'Ingress'],
    ['v1', 'Service', 'Service'],
    ['v1', 'Node', 'Node'],
    ['discovery.k8s.io/v1', 'EndpointSlice', 'EndpointSlice'],
    ['gateway.networking.k8s.io/v1', 'Gateway', 'Gateway'],
    ['gateway.networking.k8s.io/v1beta1', 'HTTPRoute', 'HTTPRoute'],
    ['gateway.networking.k8s.io/v1', 'GRPCRoute', 'GRPCRoute'],
    ['gateway.networking.k8s.io/v1alpha2', 'TLSRoute', 'TLSRoute'],
    ['networking.istio.io/v1', 'Gateway', 'IstioGateway'],
    ['networking.istio.io/v1alpha3', 'VirtualService', 'VirtualService'],
    ['externaldns.k8s.io/v1alpha1', 'DNSEndpoint', 'DNSEndpoint'],
    ['dns.gardener.cloud/v1alpha1', 'DNSEntry', 'DNSEntry'],
  ])('%s %s -> %s', (apiVersion, kind, want) => {
    expect(classify({ apiVersion, kind })).toBe(want);
  });

  it.each([
    ['apps/v1', 'Deployment'],
    ['v1', 'ConfigMap'],
    ['networking.k8s.io/v1', 'Service'],
    ['v1', 'Ingress'],
    ['v1', 'Gateway'],
    ['gateway.networking.k8s.io/v1', 'Service'],
    ['v1', 'service'],
    ['', 'Service'],
    ['/v1', 'Service'],
    ['networking.k8s.io/', 'Ingress'],
    ['a/b/c', 'Ingress'],
  ])('%j %j -> undefined', (apiVersion, kind) => {
    expect(classify({ apiVersion, kind })).toBeUndefined();
  });

  it('needs string apiVersion and kind', () => {
    expect(classify({ kind: 'Service' })).toBeUndefined();
    expect(classify({ apiVersion: 'v1' })).toBeUndefined();
    expect(classify({ apiVersion: 1, kind: 'Service' } as unknown as KubeObject)).toBeUndefined();
  });

  it('splits API groups', () => {
    expect(apiGroup('v1')).toBe('');
    expect(apiGroup('networking.k8s.io/v1')).toBe('networking.k8s.io');
    expect(apiGroup('')).toBeUndefined();
  });

  it('knows Node is the only cluster-scoped kind', () => {
    expect(OBJECT_KINDS.filter((k) => !isNamespaced(k))).toEqual(['Node']);
  });
});

describe('kindsFor', () => {
  it.each<[ResourceKind[], ObjectKind[]]>([
    [['Ingress'], ['Ingress']],
    [['Service'], ['EndpointSlice', 'Service']],
    [['HTTPRoute'], ['Gateway', 'HTTPRoute']],
    [['GRPCRoute', 'TLSRoute'], ['Gateway', 'TLSRoute', 'GRPCRoute']],
    [['VirtualService'], ['Service', 'IstioGateway', 'VirtualService']],
    [['DNSEndpoint', 'DNSEntry', 'Node'], ['DNSEndpoint', 'DNSEntry', 'Node']],
    [['VirtualService', 'Service'], ['EndpointSlice', 'Service', 'IstioGateway', 'VirtualService']],
    [[], []],
  ])('%j -> %j', (resources, want) => {
    expect(kindsFor(resources)).toEqual(want);
  });

  it('covers every object kind once, whatever the resource order', () => {
    const all = kindsFor(RESOURCE_KINDS);
    expect([...all].sort()).toEqual([...OBJECT_KINDS].sort());
    expect(kindsFor([...RESOURCE_KINDS].reverse())).toEqual(all);
  });
});
