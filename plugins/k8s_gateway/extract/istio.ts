/**
 * Istio (`networking.istio.io`): a Gateway names hosts in `spec.servers[].hosts` and gets its
 * addresses from the LoadBalancer Services that front its pods; a VirtualService names hosts and
 * borrows the addresses of the Gateways it binds to. Simplified from external-dns: no
 * `exportTo` or server-host binding check, no target/ingress annotations.
 */
import { EMPTY_EXTRACTION, objectKey } from '../types.js';
import type { Extractor, JoinContext, KubeObject, Problem, Target } from '../types.js';
import {
  NameTargets,
  annotationTtl,
  array,
  field,
  ipTarget,
  isIgnored,
  isRecord,
  loadBalancerTargets,
  routeHost,
  str,
} from './common.js';

/**
 * An Istio host entry: `ns/host`, `./host` and `*` + `/host` lose their namespace part; `*`
 * (any host) means nothing in DNS, and a name without a dot is a mesh short name (`reviews`,
 * relative to the namespace) that has no public meaning either. Both are skipped silently.
 */
function istioHost(raw: string, problems: Problem[]): string | undefined {
  const slash = raw.indexOf('/');
  const host = (slash >= 0 ? raw.slice(slash + 1) : raw).trim();
  if (host === '' || host === '*') return undefined;
  const name = routeHost(host, problems);
  return name !== undefined && name.includes('.') ? name : undefined;
}

function hostsOf(list: unknown, problems: Problem[]): string[] {
  const out: string[] = [];
  for (const raw of array(list)) {
    const h = typeof raw === 'string' ? istioHost(raw, problems) : undefined;
    if (h !== undefined) out.push(h);
  }
  return out;
}

function serverHosts(gw: KubeObject, problems: Problem[]): string[] {
  return array(field(gw.spec, 'servers')).flatMap((s) => hostsOf(field(s, 'hosts'), problems));
}

/** The Gateway's `spec.selector` as string pairs; undefined when absent, empty or malformed. */
function gatewaySelector(gw: KubeObject, problems: Problem[]): ReadonlyMap<string, string> | undefined {
  const sel = field(gw.spec, 'selector');
  if (!isRecord(sel)) return undefined;
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(sel)) {
    // Dropping a bad pair would widen the match to Services the user did not mean.
    if (typeof v !== 'string') {
      problems.push({ reason: 'invalid_object', detail: `selector value for ${JSON.stringify(k)} is not a string` });
      return undefined;
    }
    out.set(k, v);
  }
  return out.size > 0 ? out : undefined;
}

/** external-dns semantics: the Gateway selector is a subset of the Service's pod selector. */
function selects(selector: ReadonlyMap<string, string>, svc: KubeObject): boolean {
  const podSelector = field(svc.spec, 'selector');
  if (!isRecord(podSelector)) return false;
  for (const [k, v] of selector) if (podSelector[k] !== v) return false;
  return true;
}

function serviceTargets(svc: KubeObject, problems: Problem[]): Target[] {
  const external = array(field(svc.spec, 'externalIPs')).filter((v): v is string => typeof v === 'string' && v !== '');
  if (external.length === 0) return loadBalancerTargets(svc.status, problems);
  return external.flatMap((ip) => ipTarget(ip, problems) ?? []);
}

/**
 * Targets of an Istio Gateway: its selected LoadBalancer Services. An empty selector selects no
 * Service (external-dns would take every Service; that is never what a DNS user means).
 */
export function istioGatewayTargets(gw: KubeObject, ctx: JoinContext, problems: Problem[]): Target[] {
  const selector = gatewaySelector(gw, problems);
  if (selector === undefined) return [];
  const services: KubeObject[] = [];
  for (const svc of ctx.all('Service')) {
    if (field(svc.spec, 'type') !== 'LoadBalancer' || isIgnored(svc)) continue;
    if (selects(selector, svc)) services.push(svc);
  }
  // The index's iteration order is not ours to rely on; answers should not change with it.
  services.sort((a, b) => (objectKey(a) < objectKey(b) ? -1 : objectKey(a) > objectKey(b) ? 1 : 0));
  return services.flatMap((svc) => serviceTargets(svc, problems));
}

export const extractIstioGateway: Extractor = (gw, ctx) => {
  if (isIgnored(gw)) return EMPTY_EXTRACTION;
  const problems: Problem[] = [];
  const ttl = annotationTtl(gw, problems);
  const hosts = serverHosts(gw, problems);
  // Reading Services makes this object depend on all of them; do it only when it matters.
  if (hosts.length === 0) return { names: [], problems };
  const targets = istioGatewayTargets(gw, ctx, problems);
  const names = new NameTargets();
  for (const h of hosts) names.add(h, targets);
  return { names: names.contributions(ttl, 'any'), problems };
};

/** `spec.gateways` entries as namespace/name pairs; `mesh` is the sidecar mesh, not a Gateway. */
function gatewayRefs(vs: KubeObject, problems: Problem[]): { namespace: string; name: string }[] {
  const vsNs = vs.metadata?.namespace ?? '';
  const out: { namespace: string; name: string }[] = [];
  const seen = new Set<string>();
  for (const raw of array(field(vs.spec, 'gateways'))) {
    if (typeof raw !== 'string') continue;
    const s = raw.trim();
    if (s === '' || s === 'mesh') continue;
    const slash = s.indexOf('/');
    const namespace = slash >= 0 ? s.slice(0, slash) : vsNs;
    const name = slash >= 0 ? s.slice(slash + 1) : s;
    if (namespace === '' || name === '' || name.includes('/')) {
      problems.push({ reason: 'invalid_object', detail: `invalid gateway reference ${JSON.stringify(raw)}` });
      continue;
    }
    const key = `${namespace}/${name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ namespace, name });
  }
  return out;
}

export const extractVirtualService: Extractor = (vs, ctx) => {
  if (isIgnored(vs)) return EMPTY_EXTRACTION;
  const problems: Problem[] = [];
  const ttl = annotationTtl(vs, problems);
  const hosts = hostsOf(field(vs.spec, 'hosts'), problems);
  if (hosts.length === 0) return { names: [], problems };
  const targets: Target[] = [];
  // Faults in a Gateway's selector or its Services' addresses belong to those objects, which
  // report them from their own extraction; repeating them on every VirtualService is noise.
  const joinedProblems: Problem[] = [];
  for (const ref of gatewayRefs(vs, problems)) {
    // The ignore label hides a Gateway's own names, not its role as a front door (as for
    // Gateway API Gateways). A missing Gateway may simply not have arrived yet: no problem.
    const gw = ctx.get('IstioGateway', ref.namespace, ref.name);
    if (gw !== undefined) targets.push(...istioGatewayTargets(gw, ctx, joinedProblems));
  }
  const names = new NameTargets();
  for (const h of hosts) names.add(h, targets);
  return { names: names.contributions(ttl, 'any'), problems };
};
