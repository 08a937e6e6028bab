/**
 * Maps Kubernetes objects to the object kinds k8s_gateway understands, and a `resources` line to
 * the kinds a source has to deliver for it. Sources of every flavour (manifest files, the API)
 * share this so they agree on what a "Gateway" is.
 */
import type { KubeObject, ObjectKind, ResourceKind } from '../types.js';

/** `group/Kind` -> our kind; the core group is the empty string. Versions never matter. */
const BY_GROUP_KIND: ReadonlyMap<string, ObjectKind> = new Map<string, ObjectKind>([
  ['networking.k8s.io/Ingress', 'Ingress'],
  // Pre-1.22 clusters and old manifests still say extensions/v1beta1.
  ['extensions/Ingress', 'Ingress'],
  ['/Service', 'Service'],
  ['/Node', 'Node'],
  ['discovery.k8s.io/EndpointSlice', 'EndpointSlice'],
  ['gateway.networking.k8s.io/Gateway', 'Gateway'],
  ['gateway.networking.k8s.io/HTTPRoute', 'HTTPRoute'],
  ['gateway.networking.k8s.io/GRPCRoute', 'GRPCRoute'],
  ['gateway.networking.k8s.io/TLSRoute', 'TLSRoute'],
  ['networking.istio.io/Gateway', 'IstioGateway'],
  ['networking.istio.io/VirtualService', 'VirtualService'],
  ['externaldns.k8s.io/DNSEndpoint', 'DNSEndpoint'],
  ['dns.gardener.cloud/DNSEntry', 'DNSEntry'],
]);

/** The API group of an apiVersion (`''` for core `v1`), or undefined when it is malformed. */
export function apiGroup(apiVersion: string): string | undefined {
  const slash = apiVersion.indexOf('/');
  if (slash < 0) return apiVersion === '' ? undefined : '';
  const group = apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  if (group === '' || version === '' || version.includes('/')) return undefined;
  return group;
}

export function classify(obj: KubeObject): ObjectKind | undefined {
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const group = apiGroup(apiVersion);
  if (group === undefined) return undefined;
  return BY_GROUP_KIND.get(`${group}/${kind}`);
}

/** Everything but Node lives in a namespace. */
export function isNamespaced(kind: ObjectKind): boolean {
  return kind !== 'Node';
}

const NEEDS: Readonly<Record<ResourceKind, readonly ObjectKind[]>> = {
  Ingress: ['Ingress'],
  Service: ['Service', 'EndpointSlice'],
  HTTPRoute: ['HTTPRoute', 'Gateway'],
  GRPCRoute: ['GRPCRoute', 'Gateway'],
  TLSRoute: ['TLSRoute', 'Gateway'],
  VirtualService: ['VirtualService', 'IstioGateway', 'Service'],
  DNSEndpoint: ['DNSEndpoint'],
  DNSEntry: ['DNSEntry'],
  Node: ['Node'],
};

/**
 * Joined kinds come before the kinds that join them, so a source delivering in this order lets
 * the index extract each object once at startup instead of again when its dependency arrives.
 */
const DELIVERY_ORDER: readonly ObjectKind[] = [
  'EndpointSlice',
  'Service',
  'Gateway',
  'IstioGateway',
  'Ingress',
  'HTTPRoute',
  'TLSRoute',
  'GRPCRoute',
  'VirtualService',
  'DNSEndpoint',
  'DNSEntry',
  'Node',
];

/** The object kinds a source must deliver for `resources`, deduplicated, in delivery order. */
export function kindsFor(resources: readonly ResourceKind[]): ObjectKind[] {
  const wanted = new Set<ObjectKind>(resources.flatMap((r) => NEEDS[r]));
  return DELIVERY_ORDER.filter((k) => wanted.has(k));
}
