/**
 * Where each object kind lives in the Kubernetes API. Built-in kinds have one fixed version;
 * CRD-backed kinds list the versions we can read, newest first, and are watched at the first
 * one the cluster's CRD serves (every version has the fields the extractors read).
 */
import type { ObjectKind } from '../types.js';

export interface ApiResource {
  readonly kind: ObjectKind;
  /** `''` for the core group. */
  readonly group: string;
  /** Readable versions, preferred first. */
  readonly versions: readonly string[];
  readonly plural: string;
  /** Served by a CustomResourceDefinition that may be missing or appear later. */
  readonly crd: boolean;
}

const GATEWAY_API = 'gateway.networking.k8s.io';
const GATEWAY_API_VERSIONS = ['v1', 'v1beta1', 'v1alpha2'];
const ISTIO = 'networking.istio.io';
const ISTIO_VERSIONS = ['v1', 'v1beta1', 'v1alpha3'];

export const API_RESOURCES: Readonly<Record<ObjectKind, ApiResource>> = {
  Service: { kind: 'Service', group: '', versions: ['v1'], plural: 'services', crd: false },
  EndpointSlice: { kind: 'EndpointSlice', group: 'discovery.k8s.io', versions: ['v1'], plural: 'endpointslices', crd: false },
  Node: { kind: 'Node', group: '', versions: ['v1'], plural: 'nodes', crd: false },
  Ingress: { kind: 'Ingress', group: 'networking.k8s.io', versions: ['v1'], plural: 'ingresses', crd: false },
  Gateway: { kind: 'Gateway', group: GATEWAY_API, versions: GATEWAY_API_VERSIONS, plural: 'gateways', crd: true },
  HTTPRoute: { kind: 'HTTPRoute', group: GATEWAY_API, versions: GATEWAY_API_VERSIONS, plural: 'httproutes', crd: true },
  GRPCRoute: { kind: 'GRPCRoute', group: GATEWAY_API, versions: GATEWAY_API_VERSIONS, plural: 'grpcroutes', crd: true },
  // The v1.4 experimental channel served TLSRoute at v1alpha3 (and v1alpha2) only.
  TLSRoute: { kind: 'TLSRoute', group: GATEWAY_API, versions: ['v1', 'v1beta1', 'v1alpha3', 'v1alpha2'], plural: 'tlsroutes', crd: true },
  IstioGateway: { kind: 'IstioGateway', group: ISTIO, versions: ISTIO_VERSIONS, plural: 'gateways', crd: true },
  VirtualService: { kind: 'VirtualService', group: ISTIO, versions: ISTIO_VERSIONS, plural: 'virtualservices', crd: true },
  DNSEndpoint: { kind: 'DNSEndpoint', group: 'externaldns.k8s.io', versions: ['v1alpha1'], plural: 'dnsendpoints', crd: true },
  DNSEntry: { kind: 'DNSEntry', group: 'dns.gardener.cloud', versions: ['v1alpha1'], plural: 'dnsentries', crd: true },
};

/** The collection path of `res` at `version`, across all namespaces. */
export function collectionPath(res: ApiResource, version: string): string {
  return res.group === '' ? `/api/${version}/${res.plural}` : `/apis/${res.group}/${version}/${res.plural}`;
}

/** The CustomResourceDefinition object that serves `res`. */
export function crdPath(res: ApiResource): string {
  return `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${res.plural}.${res.group}`;
}

/**
 * The preferred version a CRD object serves, or undefined when it serves none we read or is not
 * Established yet (its collection would still answer 404).
 */
export function servedVersion(res: ApiResource, crd: unknown): string | undefined {
  if (typeof crd !== 'object' || crd === null) return undefined;
  const { spec, status } = crd as { spec?: { versions?: unknown }; status?: { conditions?: unknown } };
  const conditions = Array.isArray(status?.conditions) ? (status.conditions as Array<{ type?: unknown; status?: unknown }>) : [];
  if (!conditions.some((c) => c.type === 'Established' && c.status === 'True')) return undefined;
  const served = new Set<string>();
  if (Array.isArray(spec?.versions)) {
    for (const v of spec.versions as Array<{ name?: unknown; served?: unknown }>) {
      if (typeof v.name === 'string' && v.served === true) served.add(v.name);
    }
  }
  return res.versions.find((v) => served.has(v));
}
