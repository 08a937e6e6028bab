/**
 * Ingress (`networking.k8s.io/v1`): every `spec.rules[].host` names the addresses in
 * `status.loadBalancer.ingress[]`. TLS hosts are not names (k8s_gateway and Gardener agree; they
 * would publish wildcard certificates nobody asked for).
 */
import { normalizeHostname } from '../names.js';
import { EMPTY_EXTRACTION, type Extractor, type KubeObject, type Problem } from '../types.js';
import {
  GARDENER_DNSNAMES,
  annotation,
  array,
  classAwareTtl,
  commaList,
  field,
  gardenerClassMatches,
  isIgnored,
  loadBalancerTargets,
  nameContribution,
  str,
  uniqueTargets,
} from './common.js';

const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

export const extractIngress: Extractor = (obj, _ctx, opts) => {
  if (isIgnored(obj) || !classSelected(obj, opts.ingressClasses)) return EMPTY_EXTRACTION;
  const problems: Problem[] = [];
  const hosts = ruleHosts(obj, problems);
  if (hosts.length === 0) return { names: [], problems };
  if (gardenerClassMatches(obj, opts.gardenerClass)) checkGardenerNames(obj, hosts, problems);
  const ttl = classAwareTtl(obj, opts.gardenerClass, problems);
  const targets = uniqueTargets(loadBalancerTargets(obj.status, problems));
  // Names without targets are left out so they cannot shadow another object's records.
  if (targets.length === 0) return { names: [], problems };
  // The Kubernetes API defines an Ingress wildcard as matching exactly one label.
  return { names: hosts.map((h) => nameContribution(h, targets, ttl, 'one')), problems };
};

/**
 * The class is `spec.ingressClassName`, else the legacy annotation (external-dns order). The
 * default IngressClass is not resolved, so a class-less Ingress never matches a filter.
 */
function classSelected(obj: KubeObject, classes: ReadonlySet<string> | undefined): boolean {
  if (classes === undefined) return true;
  const specClass = str(field(obj.spec, 'ingressClassName'));
  const cls = specClass !== undefined && specClass !== '' ? specClass : annotation(obj, LEGACY_CLASS_ANNOTATION);
  return cls !== undefined && classes.has(cls);
}

/** Normalised, de-duplicated rule hosts; a rule without a host (the catch-all rule) names nothing. */
function ruleHosts(obj: KubeObject, problems: Problem[]): string[] {
  const hosts = new Set<string>();
  for (const rule of array(field(obj.spec, 'rules'))) {
    const raw = str(field(rule, 'host'));
    if (raw === undefined || raw === '') continue;
    const n = normalizeHostname(raw, { wildcard: true });
    if (n.ok) hosts.add(n.name);
    else problems.push({ reason: 'invalid_name', detail: `spec.rules[].host: ${n.error}` });
  }
  return [...hosts];
}

/**
 * Gardener's `dns.gardener.cloud/dnsnames` selects which rule hosts it publishes (`*` or `all`:
 * every one). k8s_gateway publishes every rule host anyway, so the list adds and removes nothing
 * here; an entry that is not a rule host is an error in Gardener and is reported as one.
 */
function checkGardenerNames(obj: KubeObject, hosts: readonly string[], problems: Problem[]): void {
  const raw = annotation(obj, GARDENER_DNSNAMES);
  if (raw === undefined) return;
  const known = new Set(hosts);
  for (const entry of commaList(raw)) {
    if (entry === '*' || entry.toLowerCase() === 'all') continue;
    const n = normalizeHostname(entry, { wildcard: true });
    if (n.ok && known.has(n.name)) continue;
    problems.push({
      reason: 'invalid_name',
      detail: `${GARDENER_DNSNAMES}: ${JSON.stringify(entry)} is not a rule host (ignored)`,
    });
  }
}
