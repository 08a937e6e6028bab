/**
 * Reading rules shared by every extractor: the ignore label, TTL annotations, load-balancer
 * status targets and defensive accessors for untrusted object fields.
 */
import { parseDuration } from '../../../src/plugin/duration.js';
import { canonicalIp, normalizeHostname } from '../names.js';
import type { KubeObject, NameContribution, Problem, Target } from '../types.js';

export const IGNORE_LABEL = 'k8s-gateway.dns/ignore';
export const EXTERNAL_DNS_PREFIXES = ['external-dns.kubernetes.io/', 'external-dns.alpha.kubernetes.io/'] as const;
export const GARDENER_TTL = 'dns.gardener.cloud/ttl';
export const GARDENER_CLASS = 'dns.gardener.cloud/class';
export const GARDENER_DNSNAMES = 'dns.gardener.cloud/dnsnames';

/** The label `k8s-gateway.dns/ignore: "true"` removes an object from DNS. */
export function isIgnored(obj: KubeObject): boolean {
  return obj.metadata?.labels?.[IGNORE_LABEL] === 'true';
}

export function annotation(obj: KubeObject, key: string): string | undefined {
  const v = obj.metadata?.annotations?.[key];
  return typeof v === 'string' ? v : undefined;
}

/** An external-dns annotation under either prefix; the GA prefix wins. */
export function externalDnsAnnotation(obj: KubeObject, suffix: string): string | undefined {
  for (const p of EXTERNAL_DNS_PREFIXES) {
    const v = annotation(obj, p + suffix);
    if (v !== undefined) return v;
  }
  return undefined;
}

export const MAX_TTL = 2147483647;

/**
 * A TTL in whole seconds (0..2^31-1): a number, decimal digits, or a Go duration such as `10m`
 * (external-dns accepts both in its ttl annotation). Returns an error text when invalid.
 */
export function parseTtl(v: unknown): number | string {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_TTL) return v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (/^\d{1,10}$/.test(t)) {
      const n = Number(t);
      if (n <= MAX_TTL) return n;
    } else if (/^[\d.]+[a-zµ]/.test(t)) {
      try {
        const ms = parseDuration(t);
        if (ms >= 0 && ms / 1000 <= MAX_TTL) return Math.floor(ms / 1000);
      } catch {
        // fall through to the error below
      }
    }
  }
  return `invalid TTL ${JSON.stringify(v)}`;
}

/**
 * TTL override from annotations: `dns.gardener.cloud/ttl`, else external-dns `ttl` (either prefix).
 * A bad value is reported and ignored.
 */
export function annotationTtl(obj: KubeObject, problems: Problem[]): number | undefined {
  return reportedTtl(annotation(obj, GARDENER_TTL) ?? externalDnsAnnotation(obj, 'ttl'), problems);
}

/** parseTtl for an optional annotation value; a bad value is reported and ignored. */
function reportedTtl(raw: string | undefined, problems: Problem[]): number | undefined {
  if (raw === undefined) return undefined;
  const t = parseTtl(raw);
  if (typeof t === 'string') {
    problems.push({ reason: 'invalid_ttl', detail: t });
    return undefined;
  }
  return t;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `obj[a][b]...` when every step is an object; undefined otherwise. */
export function field(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const p of path) {
    if (!isRecord(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

export function array(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** An IP text as an A/AAAA target, or undefined with a problem recorded. */
export function ipTarget(raw: string, problems: Problem[]): Target | undefined {
  const ip = canonicalIp(raw);
  if (ip === undefined) {
    problems.push({ reason: 'invalid_target', detail: `not an IP address: ${JSON.stringify(raw)}` });
    return undefined;
  }
  return ip.family === 4 ? { t: 'a', ip: ip.ip } : { t: 'aaaa', ip: ip.ip };
}

/** A hostname target (load-balancer hostname), normalised, or undefined with a problem recorded. */
export function hostTarget(raw: string, problems: Problem[]): Target | undefined {
  const n = normalizeHostname(raw);
  if (!n.ok) {
    problems.push({ reason: 'invalid_target', detail: n.error });
    return undefined;
  }
  return { t: 'host', name: n.name };
}

/**
 * Targets from a `status.loadBalancer.ingress[]` list: every `ip`; an entry with only a
 * `hostname` gives a hostname target. When any IP exists the hostnames are dropped (external-dns
 * and Gardener agree: addresses beat names).
 */
export function loadBalancerTargets(status: unknown, problems: Problem[]): Target[] {
  const ips: Target[] = [];
  const hosts: Target[] = [];
  for (const e of array(field(status, 'loadBalancer', 'ingress'))) {
    const ip = str(field(e, 'ip'));
    const hostname = str(field(e, 'hostname'));
    if (ip !== undefined && ip !== '') {
      const t = ipTarget(ip, problems);
      if (t) ips.push(t);
    } else if (hostname !== undefined && hostname !== '') {
      const t = hostTarget(hostname, problems);
      if (t) hosts.push(t);
    }
  }
  return ips.length > 0 ? ips : hosts;
}

// --- Route-style names (Gateway API routes, Istio) -------------------------------------------

/**
 * A host name from a route-like spec (Gateway API, Istio): wildcards allowed, IP literals
 * refused (they pass the LDH check but are never host names). Undefined with a problem recorded.
 */
export function routeHost(raw: string, problems: Problem[]): string | undefined {
  const n = normalizeHostname(raw, { wildcard: true });
  if (!n.ok) {
    problems.push({ reason: 'invalid_name', detail: n.error });
    return undefined;
  }
  if (canonicalIp(n.name) !== undefined) {
    problems.push({ reason: 'invalid_name', detail: `an IP address is not a host name: ${JSON.stringify(raw)}` });
    return undefined;
  }
  return n.name;
}

/** Identity of a target, for de-duplication. */
export function targetKey(t: Target): string {
  return JSON.stringify(t);
}

/** Names in first-seen order, each with the union of its targets (first-seen order, no duplicates). */
export class NameTargets {
  private readonly byName = new Map<string, Map<string, Target>>();

  add(name: string, targets: readonly Target[]): void {
    let set = this.byName.get(name);
    if (set === undefined) {
      set = new Map();
      this.byName.set(name, set);
    }
    for (const t of targets) if (!set.has(targetKey(t))) set.set(targetKey(t), t);
  }

  /**
   * One contribution per name that got targets. A name without targets is left out rather than
   * published empty, so it cannot shadow another resource holding the same name.
   */
  contributions(ttl: number | undefined, wildcard: 'one' | 'any'): NameContribution[] {
    const out: NameContribution[] = [];
    for (const [name, set] of this.byName) {
      if (set.size > 0) out.push(nameContribution(name, [...set.values()], ttl, wildcard));
    }
    return out;
  }
}

/**
 * Gardener annotations count only on objects of this server's class. Gardener treats an absent or
 * empty `dns.gardener.cloud/class` as its default class, and we take such objects as ours too.
 */
export function gardenerClassMatches(obj: KubeObject, gardenerClass: string): boolean {
  const c = annotation(obj, GARDENER_CLASS)?.trim();
  return c === undefined || c === '' || c === gardenerClass;
}

/**
 * annotationTtl, except that `dns.gardener.cloud/ttl` belongs to Gardener and is ignored on an
 * object of another Gardener class (the external-dns `ttl` still counts).
 */
export function classAwareTtl(obj: KubeObject, gardenerClass: string, problems: Problem[]): number | undefined {
  if (gardenerClassMatches(obj, gardenerClass)) return annotationTtl(obj, problems);
  return reportedTtl(externalDnsAnnotation(obj, 'ttl'), problems);
}

/** A comma-separated annotation value (hostname lists): all whitespace removed, empty entries dropped. */
export function commaList(raw: string): string[] {
  return raw
    .replace(/\s+/g, '')
    .split(',')
    .filter((s) => s !== '');
}

/** Targets without repeats, in first-seen order (several slices or status entries may repeat an address). */
export function uniqueTargets(targets: readonly Target[]): Target[] {
  const seen = new Set<string>();
  const out: Target[] = [];
  for (const t of targets) {
    const key = targetKey(t);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(t);
  }
  return out;
}

/**
 * A NameContribution with only the fields that apply: `wildcard` (at the given depth) only for a
 * `*.` name, `ttl` only when one is set.
 */
export function nameContribution(
  name: string,
  targets: readonly Target[],
  ttl: number | undefined,
  wildcardDepth: 'one' | 'any',
): NameContribution {
  return {
    name,
    ...(name.startsWith('*.') ? { wildcard: wildcardDepth } : {}),
    ...(ttl !== undefined ? { ttl } : {}),
    targets,
  };
}
