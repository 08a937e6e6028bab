/**
 * The contracts between the three layers of k8s_gateway: sources deliver Kubernetes objects,
 * extractors turn one object into name contributions, the index turns contributions into DNS
 * answers. None of them knows the others' insides; they meet only through these types.
 */

/** Kinds a `resources` line may name, in upstream spelling plus exdns's own (VirtualService, DNSEntry). */
export const RESOURCE_KINDS = [
  'Ingress',
  'Service',
  'HTTPRoute',
  'TLSRoute',
  'GRPCRoute',
  'VirtualService',
  'DNSEndpoint',
  'DNSEntry',
  'Node',
] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/**
 * Every object kind a source delivers: the resource kinds plus the kinds they join with.
 * `Gateway` is the Gateway API Gateway; `IstioGateway` is `networking.istio.io` Gateway.
 */
export type ObjectKind = ResourceKind | 'Gateway' | 'IstioGateway' | 'EndpointSlice';

export const OBJECT_KINDS: readonly ObjectKind[] = [...RESOURCE_KINDS, 'Gateway', 'IstioGateway', 'EndpointSlice'];

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  generation?: number;
  resourceVersion?: string;
}

/**
 * A Kubernetes object as it arrives from a source. Only metadata is typed: spec and status come
 * from untrusted input (files, API objects written by anyone), so extractors read them
 * defensively and never assume a shape.
 */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  [field: string]: unknown;
}

/** `namespace/name` (cluster-scoped objects: `name`). */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

/** What one name is given by one object. */
export type Target =
  | { readonly t: 'a'; readonly ip: string }
  | { readonly t: 'aaaa'; readonly ip: string }
  /** A load-balancer hostname (AWS ELB style): CNAME or resolved, per `hostnameTargets`. */
  | { readonly t: 'host'; readonly name: string }
  /** An explicit CNAME (DNSEndpoint CNAME, DNSEntry single-name target). */
  | { readonly t: 'cname'; readonly name: string }
  | { readonly t: 'txt'; readonly text: string }
  | { readonly t: 'srv'; readonly priority: number; readonly weight: number; readonly port: number; readonly target: string }
  | { readonly t: 'mx'; readonly preference: number; readonly exchange: string };

export interface NameContribution {
  /**
   * Normalised name: lowercase ASCII (IDNA A-labels), no trailing dot, possibly starting with
   * `*.`. Absolute when it lies inside a plugin zone, else taken relative to every zone
   * (upstream's `name.namespace` Service keys); the index decides.
   */
  readonly name: string;
  /** For `*.x` names: `one` = exactly one label below x (Ingress rule), `any` = any depth (DNS / Gateway API). */
  readonly wildcard?: 'one' | 'any';
  /** TTL in seconds from an annotation or the object itself; the plugin `ttl` otherwise. */
  readonly ttl?: number;
  readonly targets: readonly Target[];
}

/** Something in an object that was skipped; `reason` is a metric label (snake_case, few values). */
export interface Problem {
  readonly reason: 'invalid_name' | 'invalid_target' | 'invalid_ttl' | 'invalid_object' | 'conflict';
  readonly detail: string;
}

export interface Extraction {
  readonly names: readonly NameContribution[];
  readonly problems: readonly Problem[];
}

export const EMPTY_EXTRACTION: Extraction = { names: [], problems: [] };

/**
 * Read access to the objects an extractor joins with (route -> Gateway, VirtualService -> Istio
 * Gateway -> Services, Service -> EndpointSlices). The index records every read as a
 * dependency and re-runs the extractor when one of them changes.
 */
export interface JoinContext {
  get(kind: ObjectKind, namespace: string, name: string): KubeObject | undefined;
  /** EndpointSlices labelled `kubernetes.io/service-name=<service>` in `namespace`. */
  endpointSlices(namespace: string, service: string): readonly KubeObject[];
  /** Every object of a kind (an Istio Gateway's Service selector); depends on the whole kind. */
  all(kind: ObjectKind): Iterable<KubeObject>;
}

/** The plugin options extractors need. */
export interface ExtractOptions {
  /** undefined: every class. */
  readonly ingressClasses?: ReadonlySet<string>;
  readonly gatewayClasses?: ReadonlySet<string>;
  readonly nodeAddressType: 'InternalIP' | 'ExternalIP';
  /** `dns.gardener.cloud/class` value this server honours. */
  readonly gardenerClass: string;
}

export type Extractor = (obj: KubeObject, ctx: JoinContext, opts: ExtractOptions) => Extraction;

/** Where objects come from (manifest files here; the Kubernetes API later). */
export interface SourceSink {
  /** Replaces every object of `kind` with `objects` at once (initial list, relist, file reload). */
  replace(kind: ObjectKind, objects: Iterable<KubeObject>): void;
  upsert(kind: ObjectKind, obj: KubeObject): void;
  delete(kind: ObjectKind, key: string): void;
  /** The first complete list of `kind` has been delivered. */
  synced(kind: ObjectKind): void;
}

export interface Source {
  /** Starts delivering; resolves once started (not necessarily synced). Rejects on a fatal setup error. */
  start(sink: SourceSink): Promise<void>;
  stop(): Promise<void>;
}
