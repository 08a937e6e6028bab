/**
 * Gateway API routes (HTTPRoute, GRPCRoute, TLSRoute): the route holds the names, its parent
 * Gateways hold the addresses. Unlike upstream k8s_gateway we honour `sectionName` for listener
 * hostnames and skip parents a controller has rejected, but we do not check listener protocol,
 * port or allowedRoutes (a controller that cares marks such a parent Accepted=False anyway).
 */
import { EMPTY_EXTRACTION } from '../types.js';
import type { Extraction, Extractor, ExtractOptions, JoinContext, KubeObject, Problem, Target } from '../types.js';
import {
  NameTargets,
  annotationTtl,
  array,
  field,
  hostTarget,
  ipTarget,
  isIgnored,
  isRecord,
  routeHost,
  str,
} from './common.js';

const GATEWAY_GROUP = 'gateway.networking.k8s.io';

interface ParentRef {
  readonly namespace: string;
  readonly name: string;
  /** undefined: every listener of the Gateway. */
  readonly sectionName?: string;
}

interface Parent {
  readonly ref: ParentRef;
  readonly gateway: KubeObject;
  readonly targets: readonly Target[];
}

/**
 * A Gateway's `status.addresses`: IPAddress (also when `type` is absent, the API default) gives
 * A/AAAA, Hostname a host target; other types (NamedAddress, custom) mean nothing in DNS. IPs
 * beat hostnames, as for load-balancer status.
 */
export function gatewayTargets(gw: KubeObject, problems: Problem[]): Target[] {
  const ips: Target[] = [];
  const hosts: Target[] = [];
  for (const a of array(field(gw.status, 'addresses'))) {
    const type = field(a, 'type');
    const value = str(field(a, 'value'));
    if (value === undefined || value === '') continue;
    if (type === undefined || type === null || type === 'IPAddress') {
      const t = ipTarget(value, problems);
      if (t) ips.push(t);
    } else if (type === 'Hostname') {
      const t = hostTarget(value, problems);
      if (t) hosts.push(t);
    }
  }
  return ips.length > 0 ? ips : hosts;
}

/** `spec.parentRefs` that point at a Gateway; other parent kinds (ListenerSet, Service mesh) are not ours. */
function parentRefs(route: KubeObject, routeNs: string, problems: Problem[]): ParentRef[] {
  const out: ParentRef[] = [];
  const seen = new Set<string>();
  for (const r of array(field(route.spec, 'parentRefs'))) {
    if (!isRecord(r)) continue;
    if (r.group !== undefined && r.group !== GATEWAY_GROUP) continue;
    if (r.kind !== undefined && r.kind !== 'Gateway') continue;
    const name = str(r.name);
    if (name === undefined || name === '') {
      problems.push({ reason: 'invalid_object', detail: 'parentRef without a name' });
      continue;
    }
    const namespace = str(r.namespace) || routeNs;
    const sectionName = str(r.sectionName) || undefined;
    // Refs differing only in port select the same listeners here; one of them is enough.
    const key = JSON.stringify([namespace, name, sectionName ?? null]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ namespace, name, ...(sectionName ? { sectionName } : {}) });
  }
  return out;
}

function sameParent(statusRef: unknown, ref: ParentRef, routeNs: string): boolean {
  return (
    isRecord(statusRef) &&
    str(statusRef.name) === ref.name &&
    (str(statusRef.namespace) || routeNs) === ref.namespace &&
    (str(statusRef.sectionName) || undefined) === ref.sectionName
  );
}

/**
 * A parent counts as rejected when a controller says Accepted=False and none says True: several
 * controllers may report on one parentRef, and one acceptance is enough to be served. No status
 * at all means no controller has looked yet (labs, tests), so the parent is used.
 */
function isRejected(route: KubeObject, ref: ParentRef, routeNs: string): boolean {
  let rejected = false;
  for (const p of array(field(route.status, 'parents'))) {
    if (!sameParent(field(p, 'parentRef'), ref, routeNs)) continue;
    for (const c of array(field(p, 'conditions'))) {
      if (field(c, 'type') !== 'Accepted') continue;
      const status = field(c, 'status');
      if (status === 'True') return false;
      if (status === 'False') rejected = true;
    }
  }
  return rejected;
}

function classAllowed(gw: KubeObject, opts: ExtractOptions): boolean {
  return opts.gatewayClasses === undefined || opts.gatewayClasses.has(str(field(gw.spec, 'gatewayClassName')) ?? '');
}

/** The parents that exist, are accepted and pass the class filter, each with its Gateway's targets. */
function usableParents(route: KubeObject, ctx: JoinContext, opts: ExtractOptions, problems: Problem[]): Parent[] {
  const routeNs = route.metadata?.namespace ?? '';
  // Several refs may name one Gateway (different sections): read its addresses once, so a bad
  // address is reported once.
  const targetsByGateway = new Map<string, readonly Target[]>();
  const out: Parent[] = [];
  for (const ref of parentRefs(route, routeNs, problems)) {
    if (isRejected(route, ref, routeNs)) continue;
    const gateway = ctx.get('Gateway', ref.namespace, ref.name);
    if (gateway === undefined || !classAllowed(gateway, opts)) continue;
    const key = `${ref.namespace}/${ref.name}`;
    let targets = targetsByGateway.get(key);
    if (targets === undefined) {
      targets = gatewayTargets(gateway, problems);
      targetsByGateway.set(key, targets);
    }
    out.push({ ref, gateway, targets });
  }
  return out;
}

/** Hostnames of the listeners a parentRef selects (its `sectionName`, or all of them). */
function listenerHostnames(parent: Parent, problems: Problem[]): string[] {
  const out: string[] = [];
  for (const l of array(field(parent.gateway.spec, 'listeners'))) {
    if (parent.ref.sectionName !== undefined && field(l, 'name') !== parent.ref.sectionName) continue;
    const raw = str(field(l, 'hostname'));
    if (raw === undefined || raw === '') continue;
    const h = routeHost(raw, problems);
    if (h !== undefined) out.push(h);
  }
  return out;
}

function extractRoute(route: KubeObject, ctx: JoinContext, opts: ExtractOptions): Extraction {
  if (isIgnored(route)) return EMPTY_EXTRACTION;
  const problems: Problem[] = [];
  const ttl = annotationTtl(route, problems);
  const rawHostnames = array(field(route.spec, 'hostnames'));
  const hostnames: string[] = [];
  for (const raw of rawHostnames) {
    const h = typeof raw === 'string' ? routeHost(raw, problems) : undefined;
    if (h !== undefined) hostnames.push(h);
  }
  // Hostnames were given but none is usable: the route means nothing in DNS, and falling back
  // to the listener hostname would publish names the user did not ask for.
  if (rawHostnames.length > 0 && hostnames.length === 0) return { names: [], problems };

  const names = new NameTargets();
  const parents = usableParents(route, ctx, opts, problems);
  if (hostnames.length > 0) {
    const targets = parents.flatMap((p) => p.targets);
    for (const h of hostnames) names.add(h, targets);
  } else {
    // A route without hostnames serves every host its listeners accept.
    for (const p of parents) for (const h of listenerHostnames(p, problems)) names.add(h, p.targets);
  }
  return { names: names.contributions(ttl, 'any'), problems };
}

export const extractHTTPRoute: Extractor = extractRoute;
export const extractGRPCRoute: Extractor = extractRoute;
export const extractTLSRoute: Extractor = extractRoute;
