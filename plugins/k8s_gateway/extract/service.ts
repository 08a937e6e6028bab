/**
 * Service (`v1`): a LoadBalancer Service, or any Service opted in with
 * `k8s-gateway.dns/resolve-endpoints: "true"`, is named by its hostname annotation (else
 * `<name>.<namespace>`, relative to every zone) and answers with its ready endpoint addresses
 * (opted in), its `spec.externalIPs`, or its load-balancer status, in that order.
 * Label selectors (`serviceLabelSelectors`) are applied by the index, not here.
 */
import { normalizeHostname } from '../names.js';
import {
  EMPTY_EXTRACTION,
  type Extractor,
  type JoinContext,
  type KubeObject,
  type Problem,
  type Target,
} from '../types.js';
import {
  GARDENER_DNSNAMES,
  annotation,
  array,
  classAwareTtl,
  commaList,
  externalDnsAnnotation,
  field,
  gardenerClassMatches,
  ipTarget,
  isIgnored,
  loadBalancerTargets,
  nameContribution,
  str,
  uniqueTargets,
} from './common.js';

export const RESOLVE_ENDPOINTS_ANNOTATION = 'k8s-gateway.dns/resolve-endpoints';
export const COREDNS_HOSTNAME_ANNOTATION = 'coredns.io/hostname';

export const extractService: Extractor = (obj, ctx, opts) => {
  if (isIgnored(obj)) return EMPTY_EXTRACTION;
  // Only exactly "true" opts in (upstream: "yes", "True" and "false" do not).
  const resolveEndpoints = annotation(obj, RESOLVE_ENDPOINTS_ANNOTATION) === 'true';
  if (field(obj.spec, 'type') !== 'LoadBalancer' && !resolveEndpoints) return EMPTY_EXTRACTION;
  const problems: Problem[] = [];
  const names = serviceNames(obj, opts.gardenerClass, problems);
  if (names.length === 0) return { names: [], problems };
  const ttl = classAwareTtl(obj, opts.gardenerClass, problems);
  const targets = resolveEndpoints ? endpointTargets(obj, ctx, problems) : serviceTargets(obj, problems);
  // Names without targets are left out so they cannot shadow another object's records.
  if (targets.length === 0) return { names: [], problems };
  // Upstream matches a Service wildcard by replacing exactly the first query label.
  return { names: names.map((n) => nameContribution(n, targets, ttl, 'one')), problems };
};

/** Annotation names (or `<name>.<namespace>`), then Gardener names, without repeats. */
function serviceNames(obj: KubeObject, gardenerClass: string, problems: Problem[]): string[] {
  const names = new Set(primaryNames(obj, problems));
  if (gardenerClassMatches(obj, gardenerClass)) {
    for (const n of gardenerNames(obj, problems)) names.add(n);
  }
  return [...names];
}

/**
 * `coredns.io/hostname`, else the external-dns `hostname`. A present annotation decides alone:
 * if every entry is invalid the Service has no such name and does not fall back to
 * `<name>.<namespace>` (upstream behaviour, so a typo never publishes an unintended name).
 */
function primaryNames(obj: KubeObject, problems: Problem[]): string[] {
  const raw = annotation(obj, COREDNS_HOSTNAME_ANNOTATION) ?? externalDnsAnnotation(obj, 'hostname');
  if (raw === undefined) return defaultName(obj, problems);
  const entries = commaList(raw);
  if (entries.length === 0) problems.push({ reason: 'invalid_name', detail: 'hostname annotation is empty' });
  const names: string[] = [];
  for (const entry of entries) {
    // normalizeHostname lowercases, and allows one leading `*.` only as a whole label.
    const n = normalizeHostname(entry, { wildcard: true });
    if (n.ok) names.push(n.name);
    else problems.push({ reason: 'invalid_name', detail: `hostname annotation: ${n.error}` });
  }
  return names;
}

function defaultName(obj: KubeObject, problems: Problem[]): string[] {
  const { name, namespace } = obj.metadata ?? {};
  if (typeof name !== 'string' || name === '' || typeof namespace !== 'string' || namespace === '') {
    problems.push({ reason: 'invalid_object', detail: 'Service without metadata.name and metadata.namespace' });
    return [];
  }
  const n = normalizeHostname(`${name}.${namespace}`);
  if (n.ok) return [n.name];
  problems.push({ reason: 'invalid_name', detail: n.error });
  return [];
}

/**
 * `dns.gardener.cloud/dnsnames` adds plain names. A Service has no hosts of its own, so Gardener
 * rejects `*`/`all` here, and we take no wildcard names from it at all.
 */
function gardenerNames(obj: KubeObject, problems: Problem[]): string[] {
  const raw = annotation(obj, GARDENER_DNSNAMES);
  if (raw === undefined) return [];
  const names: string[] = [];
  for (const entry of commaList(raw)) {
    if (entry === '*' || entry.toLowerCase() === 'all') {
      problems.push({ reason: 'invalid_name', detail: `${GARDENER_DNSNAMES}: "${entry}" is not allowed on a Service` });
      continue;
    }
    const n = normalizeHostname(entry);
    if (n.ok) names.push(n.name);
    else problems.push({ reason: 'invalid_name', detail: `${GARDENER_DNSNAMES}: ${n.error}` });
  }
  return names;
}

/**
 * Addresses of the Service's EndpointSlices. A missing or null `ready` counts as ready (the API
 * leaves it unset when readiness is unknown). FQDN slices carry names, not addresses: skipped.
 */
function endpointTargets(obj: KubeObject, ctx: JoinContext, problems: Problem[]): Target[] {
  const { name, namespace } = obj.metadata ?? {};
  if (typeof name !== 'string' || name === '' || typeof namespace !== 'string' || namespace === '') return [];
  const targets: Target[] = [];
  for (const slice of ctx.endpointSlices(namespace, name)) {
    if (field(slice, 'addressType') === 'FQDN') continue;
    for (const ep of array(field(slice, 'endpoints'))) {
      if (field(ep, 'conditions', 'ready') === false) continue;
      for (const addr of array(field(ep, 'addresses'))) {
        const raw = str(addr);
        const t = raw === undefined ? notText(addr, problems) : ipTarget(raw, problems);
        if (t) targets.push(t);
      }
    }
  }
  return uniqueTargets(targets);
}

/** `spec.externalIPs` exclusively when non-empty, else the load-balancer status. Never `spec.loadBalancerIP`. */
function serviceTargets(obj: KubeObject, problems: Problem[]): Target[] {
  const externalIPs = array(field(obj.spec, 'externalIPs'));
  if (externalIPs.length === 0) return uniqueTargets(loadBalancerTargets(obj.status, problems));
  const targets: Target[] = [];
  for (const v of externalIPs) {
    const raw = str(v);
    const t = raw === undefined ? notText(v, problems) : ipTarget(raw, problems);
    if (t) targets.push(t);
  }
  return uniqueTargets(targets);
}

function notText(v: unknown, problems: Problem[]): undefined {
  problems.push({ reason: 'invalid_target', detail: `not an IP address: ${JSON.stringify(v) ?? String(v)}` });
  return undefined;
}
