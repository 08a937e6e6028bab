import { describe, expect, it } from 'vitest';
import { OBJECT_KINDS, type ObjectKind } from '../types.js';
import { API_RESOURCES, collectionPath, crdPath, servedVersion } from './kube-resources.js';

/** A CustomResourceDefinition as the API server returns it (only what servedVersion reads). */
function crd(versions: (string | { name: string; served: boolean })[], established: string | null = 'True'): unknown {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    spec: { versions: versions.map((v) => (typeof v === 'string' ? { name: v, served: true, storage: false } : v)) },
    status: {
      conditions: [{ type: 'NamesAccepted', status: 'True' }, ...(established === null ? [] : [{ type: 'Established', status: established }])],
    },
  };
}

describe('servedVersion', () => {
  const rows: { id: string; kind: ObjectKind; crd: unknown; want: string | undefined }[] = [
    { id: 'all served: the newest in our order', kind: 'HTTPRoute', crd: crd(['v1alpha2', 'v1beta1', 'v1']), want: 'v1' },
    { id: 'order in the CRD does not matter', kind: 'HTTPRoute', crd: crd(['v1', 'v1alpha2', 'v1beta1']), want: 'v1' },
    { id: 'v1 defined but not served', kind: 'HTTPRoute', crd: crd([{ name: 'v1', served: false }, 'v1beta1', 'v1alpha2']), want: 'v1beta1' },
    { id: 'only v1alpha2 (old Gateway API)', kind: 'Gateway', crd: crd(['v1alpha2']), want: 'v1alpha2' },
    { id: 'TLSRoute experimental channel: v1alpha3 before v1alpha2', kind: 'TLSRoute', crd: crd(['v1alpha2', 'v1alpha3']), want: 'v1alpha3' },
    { id: 'Istio v1beta1 and v1alpha3', kind: 'VirtualService', crd: crd(['v1alpha3', 'v1beta1']), want: 'v1beta1' },
    { id: 'DNSEndpoint v1alpha1', kind: 'DNSEndpoint', crd: crd(['v1alpha1']), want: 'v1alpha1' },
    { id: 'no version we read', kind: 'HTTPRoute', crd: crd(['v2', 'v1alpha1']), want: undefined },
    { id: 'nothing served', kind: 'HTTPRoute', crd: crd([{ name: 'v1', served: false }]), want: undefined },
    { id: 'served must be literally true', kind: 'HTTPRoute', crd: { ...(crd([]) as object), spec: { versions: [{ name: 'v1', served: 'true' }] } }, want: undefined },
    { id: 'not Established yet', kind: 'HTTPRoute', crd: crd(['v1'], 'False'), want: undefined },
    { id: 'Established unknown', kind: 'HTTPRoute', crd: crd(['v1'], 'Unknown'), want: undefined },
    { id: 'no Established condition', kind: 'HTTPRoute', crd: crd(['v1'], null), want: undefined },
    { id: 'no status at all', kind: 'HTTPRoute', crd: { spec: { versions: [{ name: 'v1', served: true }] } }, want: undefined },
    { id: 'versions not a list', kind: 'HTTPRoute', crd: { ...(crd([]) as object), spec: { versions: 'v1' } }, want: undefined },
    { id: 'conditions not a list', kind: 'HTTPRoute', crd: { spec: { versions: [{ name: 'v1', served: true }] }, status: { conditions: {} } }, want: undefined },
    { id: 'null', kind: 'HTTPRoute', crd: null, want: undefined },
    { id: 'a string', kind: 'HTTPRoute', crd: 'v1', want: undefined },
  ];
  it.each(rows)('$id: $kind -> $want', ({ kind, crd: c, want }) => {
    expect(servedVersion(API_RESOURCES[kind], c)).toBe(want);
  });
});

describe('collectionPath and crdPath', () => {
  const rows: { kind: ObjectKind; version?: string; path: string; crd?: string }[] = [
    { kind: 'Service', path: '/api/v1/services' },
    { kind: 'Node', path: '/api/v1/nodes' },
    { kind: 'EndpointSlice', path: '/apis/discovery.k8s.io/v1/endpointslices' },
    { kind: 'Ingress', path: '/apis/networking.k8s.io/v1/ingresses' },
    {
      kind: 'HTTPRoute',
      version: 'v1beta1',
      path: '/apis/gateway.networking.k8s.io/v1beta1/httproutes',
      crd: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/httproutes.gateway.networking.k8s.io',
    },
    { kind: 'Gateway', path: '/apis/gateway.networking.k8s.io/v1/gateways', crd: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gateways.gateway.networking.k8s.io' },
    { kind: 'IstioGateway', path: '/apis/networking.istio.io/v1/gateways', crd: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gateways.networking.istio.io' },
    { kind: 'DNSEndpoint', path: '/apis/externaldns.k8s.io/v1alpha1/dnsendpoints', crd: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/dnsendpoints.externaldns.k8s.io' },
    { kind: 'DNSEntry', path: '/apis/dns.gardener.cloud/v1alpha1/dnsentries', crd: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/dnsentries.dns.gardener.cloud' },
  ];
  it.each(rows)('$kind at $version -> $path', ({ kind, version, path, crd: crdUrl }) => {
    const res = API_RESOURCES[kind];
    expect(collectionPath(res, version ?? res.versions[0]!)).toBe(path);
    if (crdUrl !== undefined) expect(crdPath(res)).toBe(crdUrl);
  });
});

describe('API_RESOURCES', () => {
  const BUILT_IN = new Set(['', 'discovery.k8s.io', 'networking.k8s.io']);
  it.each(OBJECT_KINDS.map((k) => ({ kind: k })))('$kind: an entry of its own kind; CRD-backed exactly when outside the built-in groups', ({ kind }) => {
    const res = API_RESOURCES[kind];
    expect(res.kind).toBe(kind);
    expect(res.versions.length).toBeGreaterThan(0);
    expect(res.crd).toBe(!BUILT_IN.has(res.group));
    if (!res.crd) expect(res.versions).toEqual(['v1']);
  });
});
