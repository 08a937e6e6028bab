/**
 * external-dns DNSEndpoint (`externaldns.k8s.io/v1alpha1`): each `spec.endpoints[]` entry is one
 * record set, `dnsName` -> `targets` of its explicit `recordType`. Every endpoint becomes its own
 * NameContribution, so a name only ever carries its own endpoint's targets (upstream returned
 * the targets of every endpoint in the object for any of its names).
 */
import { canonicalIp, normalizeHostname } from '../names.js';
import { EMPTY_EXTRACTION, type Extractor, type NameContribution, type Problem, type Target } from '../types.js';
import { array, field, isIgnored, nameContribution, parseTtl, str } from './common.js';

export const extractDNSEndpoint: Extractor = (obj) => {
  if (isIgnored(obj)) return EMPTY_EXTRACTION;
  const problems: Problem[] = [];
  const names: NameContribution[] = [];
  array(field(obj.spec, 'endpoints')).forEach((ep, i) => {
    const c = endpointContribution(ep, `spec.endpoints[${i}]`, problems);
    if (c) names.push(c);
  });
  return { names, problems };
};

type TargetParser = (raw: string, where: string, problems: Problem[]) => Target | undefined;

const PARSERS: Readonly<Record<string, TargetParser>> = {
  A: (raw, where, problems) => addressTarget(raw, 4, where, problems),
  AAAA: (raw, where, problems) => addressTarget(raw, 6, where, problems),
  CNAME: cnameTarget,
  TXT: (raw) => ({ t: 'txt', text: unquote(raw) }),
  SRV: srvTarget,
  MX: mxTarget,
};

function endpointContribution(ep: unknown, where: string, problems: Problem[]): NameContribution | undefined {
  const rawName = str(field(ep, 'dnsName'));
  if (rawName === undefined) {
    problems.push({ reason: 'invalid_name', detail: `${where}.dnsName is missing` });
    return undefined;
  }
  const n = normalizeHostname(rawName, { wildcard: true, underscore: true });
  if (!n.ok) {
    problems.push({ reason: 'invalid_name', detail: `${where}.dnsName: ${n.error}` });
    return undefined;
  }
  // external-dns takes recordType verbatim; accepting lowercase costs nothing and helps hand-written YAML.
  const type = (str(field(ep, 'recordType')) ?? '').toUpperCase();
  const parse = Object.hasOwn(PARSERS, type) ? PARSERS[type] : undefined;
  if (parse === undefined) {
    const detail = type === '' ? 'recordType is missing' : `unsupported record type ${JSON.stringify(type)}`;
    problems.push({ reason: 'invalid_target', detail: `${where}: ${detail}` });
    return undefined;
  }
  const targets = endpointTargets(array(field(ep, 'targets')), type, parse, where, problems);
  // Names without targets are left out so they cannot shadow another object's records.
  if (targets.length === 0) return undefined;
  return nameContribution(n.name, targets, recordTtl(field(ep, 'recordTTL'), where, problems), 'any');
}

function endpointTargets(
  raws: readonly unknown[],
  type: string,
  parse: TargetParser,
  where: string,
  problems: Problem[],
): Target[] {
  const targets: Target[] = [];
  for (const [j, v] of raws.entries()) {
    const raw = str(v);
    if (raw === undefined) {
      problems.push({ reason: 'invalid_target', detail: `${where}.targets[${j}] is not a string` });
      continue;
    }
    const t = parse(raw, `${where}.targets[${j}]`, problems);
    if (t) targets.push(t);
  }
  // A name can hold only one CNAME: keep the first, report the rest.
  if (type === 'CNAME' && targets.length > 1) {
    problems.push({ reason: 'conflict', detail: `${where}: ${targets.length} CNAME targets, only the first is used` });
    return targets.slice(0, 1);
  }
  return targets;
}

/** external-dns: a missing or zero `recordTTL` means "not configured". */
function recordTtl(v: unknown, where: string, problems: Problem[]): number | undefined {
  if (v === undefined || v === null || v === 0) return undefined;
  const t = parseTtl(v);
  if (typeof t === 'number') return t === 0 ? undefined : t;
  problems.push({ reason: 'invalid_ttl', detail: `${where}.recordTTL: ${t}` });
  return undefined;
}

/** An A or AAAA target of the right family; a trailing dot is rejected as external-dns does. */
function addressTarget(raw: string, family: 4 | 6, where: string, problems: Problem[]): Target | undefined {
  const ip = raw.endsWith('.') ? undefined : canonicalIp(raw);
  if (ip === undefined || ip.family !== family) {
    const want = family === 4 ? 'an IPv4' : 'an IPv6';
    problems.push({ reason: 'invalid_target', detail: `${where}: ${JSON.stringify(raw)} is not ${want} address` });
    return undefined;
  }
  return family === 4 ? { t: 'a', ip: ip.ip } : { t: 'aaaa', ip: ip.ip };
}

/** Any name, with or without a trailing dot; `_` labels allowed (`_acme-challenge` delegations). */
function cnameTarget(raw: string, where: string, problems: Problem[]): Target | undefined {
  const name = targetName(raw, { underscore: true }, where, problems);
  return name === undefined ? undefined : { t: 'cname', name };
}

/** `"priority weight port target"`. */
function srvTarget(raw: string, where: string, problems: Problem[]): Target | undefined {
  const f = raw.trim().split(/\s+/);
  const [priority, weight, port] = f.slice(0, 3).map(u16);
  if (f.length !== 4 || priority === undefined || weight === undefined || port === undefined) {
    problems.push({ reason: 'invalid_target', detail: `${where}: SRV wants "priority weight port target", got ${JSON.stringify(raw)}` });
    return undefined;
  }
  const target = targetName(f[3] ?? '', {}, where, problems);
  return target === undefined ? undefined : { t: 'srv', priority, weight, port, target };
}

/** `"preference exchange"`. */
function mxTarget(raw: string, where: string, problems: Problem[]): Target | undefined {
  const f = raw.trim().split(/\s+/);
  const preference = u16(f[0] ?? '');
  if (f.length !== 2 || preference === undefined) {
    problems.push({ reason: 'invalid_target', detail: `${where}: MX wants "preference exchange", got ${JSON.stringify(raw)}` });
    return undefined;
  }
  const exchange = targetName(f[1] ?? '', {}, where, problems);
  return exchange === undefined ? undefined : { t: 'mx', preference, exchange };
}

/** A hostname target; an IP address is not a name (a CNAME to `1.2.3.4` is a mistake, not a label). */
function targetName(
  raw: string,
  rules: { underscore?: boolean },
  where: string,
  problems: Problem[],
): string | undefined {
  if (canonicalIp(raw) !== undefined) {
    problems.push({ reason: 'invalid_target', detail: `${where}: ${JSON.stringify(raw)} is an IP address, not a name` });
    return undefined;
  }
  const n = normalizeHostname(raw, rules);
  if (n.ok) return n.name;
  problems.push({ reason: 'invalid_target', detail: `${where}: ${n.error}` });
  return undefined;
}

function u16(s: string): number | undefined {
  if (!/^\d{1,5}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

/** external-dns writes TXT values quoted (`"heritage=..."`); one surrounding pair is not part of the text. */
function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;
}
