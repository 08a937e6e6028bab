/**
 * Objects are cut down on arrival to the fields the extractors read (client-go's informer
 * "transform"): memory must not grow with managedFields, last-applied annotations, pod specs
 * or anything else we ignore. The result is a fresh object that shares no strings with the
 * input, so a parsed manifest file or watch event can be collected as soon as it is read.
 */
import type { KubeObject, ObjectKind, ObjectMeta } from './types.js';

/** `true` keeps a value whole; an object picks keys; a one-element array picks from each item. */
type Shape = true | { readonly [key: string]: Shape } | readonly [Shape];

const LB_STATUS: Shape = { loadBalancer: { ingress: [{ ip: true, hostname: true }] } };
const ROUTE: Shape = {
  spec: { hostnames: true, parentRefs: true },
  status: { parents: [{ parentRef: true, conditions: [{ type: true, status: true }] }] },
};

const SHAPES: Record<ObjectKind, { readonly [key: string]: Shape }> = {
  Ingress: { spec: { ingressClassName: true, rules: [{ host: true }] }, status: LB_STATUS },
  Service: { spec: { type: true, externalIPs: true, selector: true }, status: LB_STATUS },
  EndpointSlice: { addressType: true, endpoints: [{ addresses: true, conditions: { ready: true } }] },
  Gateway: {
    spec: { gatewayClassName: true, listeners: [{ name: true, hostname: true, port: true, protocol: true }] },
    status: { addresses: [{ type: true, value: true }] },
  },
  HTTPRoute: ROUTE,
  GRPCRoute: ROUTE,
  TLSRoute: ROUTE,
  IstioGateway: { spec: { selector: true, servers: [{ hosts: true }] } },
  VirtualService: { spec: { hosts: true, gateways: true } },
  DNSEndpoint: { spec: { endpoints: [{ dnsName: true, recordType: true, targets: true, recordTTL: true }] } },
  DNSEntry: { spec: { dnsName: true, targets: true, text: true, ttl: true, resolveTargetsToAddresses: true } },
  Node: { status: { addresses: [{ type: true, address: true }] } },
};

/** Annotation keys any extractor reads (by prefix, or whole). */
const ANNOTATION_PREFIXES = ['external-dns.alpha.kubernetes.io/', 'external-dns.kubernetes.io/', 'dns.gardener.cloud/', 'coredns.io/', 'k8s-gateway.dns/'];
const ANNOTATION_KEYS = new Set(['kubernetes.io/ingress.class']);

function keepAnnotation(key: string): boolean {
  return ANNOTATION_KEYS.has(key) || ANNOTATION_PREFIXES.some((p) => key.startsWith(p));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function pick(v: unknown, shape: Shape): unknown {
  if (shape === true) return v;
  if (Array.isArray(shape)) {
    // Anything but an array is kept as is, so extractors still see (and report) the bad shape.
    return Array.isArray(v) ? v.map((item) => pick(item, shape[0] as Shape)) : v;
  }
  if (!isRecord(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [key, sub] of Object.entries(shape as Record<string, Shape>)) {
    if (v[key] !== undefined) out[key] = pick(v[key], sub);
  }
  return out;
}

/** An EndpointSlice is only ever found by the Service it belongs to. */
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

function trimMeta(kind: ObjectKind, m: ObjectMeta | undefined): ObjectMeta | undefined {
  if (typeof m !== 'object' || m === null) return m;
  const out: ObjectMeta = {};
  if (m.name !== undefined) out.name = m.name;
  if (m.namespace !== undefined) out.namespace = m.namespace;
  if (kind === 'EndpointSlice') {
    // Slices copy every label of their Service; only the link to it is read.
    const svc = isRecord(m.labels as unknown) ? m.labels?.[SERVICE_NAME_LABEL] : undefined;
    if (svc !== undefined) out.labels = { [SERVICE_NAME_LABEL]: svc };
  } else if (m.labels !== undefined) {
    out.labels = m.labels;
  }
  if (m.annotations !== undefined && isRecord(m.annotations as unknown)) {
    const kept: Record<string, string> = {};
    let any = false;
    for (const [k, v] of Object.entries(m.annotations)) {
      if (keepAnnotation(k)) {
        kept[k] = v;
        any = true;
      }
    }
    if (any) out.annotations = kept;
  }
  if (m.creationTimestamp !== undefined) out.creationTimestamp = m.creationTimestamp;
  return out;
}

/** The parts of `obj` the extractors of `kind` read, as a fresh object. */
export function trimObject(kind: ObjectKind, obj: KubeObject): KubeObject {
  const out: KubeObject = {};
  if (obj.apiVersion !== undefined) out.apiVersion = obj.apiVersion;
  if (obj.kind !== undefined) out.kind = obj.kind;
  const meta = trimMeta(kind, obj.metadata);
  if (meta !== undefined) out.metadata = meta;
  for (const [key, shape] of Object.entries(SHAPES[kind])) {
    if (obj[key] !== undefined) out[key] = pick(obj[key], shape);
  }
  // A JSON round trip copies every string: V8 keeps substrings of a parsed file pointing into
  // the whole file text, which would otherwise stay in memory as long as any object does.
  return JSON.parse(JSON.stringify(out)) as KubeObject;
}
