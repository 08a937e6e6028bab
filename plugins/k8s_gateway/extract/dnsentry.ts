/**
 * Gardener DNSEntry (`dns.gardener.cloud/v1alpha1`): `spec.dnsName` -> `spec.targets` (addresses,
 * one CNAME, or several names to flatten) or `spec.text` (TXT), following Gardener's translation
 * rules. Only entries of this server's Gardener class count.
 */
import { canonicalIp, normalizeHostname } from '../names.js';
import { EMPTY_EXTRACTION, type Extractor, type Problem, type Target } from '../types.js';
import { array, field, gardenerClassMatches, isIgnored, nameContribution, parseTtl, str, uniqueTargets } from './common.js';

/** Gardener's `spec.ttl` bounds (100 days). */
const MAX_ENTRY_TTL = 8640000;

export const extractDNSEntry: Extractor = (obj, _ctx, opts) => {
  if (isIgnored(obj) || !gardenerClassMatches(obj, opts.gardenerClass)) return EMPTY_EXTRACTION;
  const problems: Problem[] = [];
  const name = entryName(field(obj.spec, 'dnsName'), problems);
  if (name === undefined) return { names: [], problems };
  const targets = entryTargets(obj.spec, problems);
  // Names without targets are left out so they cannot shadow another object's records.
  if (targets.length === 0) return { names: [], problems };
  const ttl = entryTtl(field(obj.spec, 'ttl'), problems);
  // A DNSEntry wildcard is a real DNS wildcard record: any depth.
  return { names: [nameContribution(name, targets, ttl, 'any')], problems };
};

function entryName(v: unknown, problems: Problem[]): string | undefined {
  const raw = str(v);
  if (raw === undefined) {
    problems.push({ reason: 'invalid_name', detail: 'spec.dnsName is missing' });
    return undefined;
  }
  // Gardener accepts the zone-file escape `\052.` for a leading `*.`.
  const n = normalizeHostname(raw.trim().replace(/^\\052\./, '*.'), { wildcard: true, underscore: true });
  if (n.ok) return n.name;
  problems.push({ reason: 'invalid_name', detail: `spec.dnsName: ${n.error}` });
  return undefined;
}

/** `spec.targets` or `spec.text`, never both (the CRD says so; a hand-written file may not). */
function entryTargets(spec: unknown, problems: Problem[]): Target[] {
  const targets = array(field(spec, 'targets'));
  const text = array(field(spec, 'text'));
  if (targets.length > 0 && text.length > 0) {
    problems.push({ reason: 'invalid_object', detail: 'spec.targets and spec.text are mutually exclusive' });
    return [];
  }
  if (text.length > 0) return textTargets(text, problems);
  return addressOrNameTargets(targets, field(spec, 'resolveTargetsToAddresses') === true, problems);
}

function textTargets(text: readonly unknown[], problems: Problem[]): Target[] {
  const out: Target[] = [];
  for (const [i, v] of text.entries()) {
    const s = str(v);
    if (s !== undefined) out.push({ t: 'txt', text: s });
    else problems.push({ reason: 'invalid_target', detail: `spec.text[${i}] is not a string` });
  }
  return out;
}

/**
 * Gardener's rules: addresses give A/AAAA; exactly one name gives a CNAME (unless
 * `resolveTargetsToAddresses`); several names are looked up and flattened (`host` targets, which
 * the index resolves); names mixed with addresses are an error and publish nothing.
 */
function addressOrNameTargets(raws: readonly unknown[], resolve: boolean, problems: Problem[]): Target[] {
  const ips: Target[] = [];
  const names: string[] = [];
  for (const [i, v] of raws.entries()) {
    const s = str(v);
    if (s === undefined || s.trim() === '') {
      problems.push({ reason: 'invalid_target', detail: `spec.targets[${i}] is not a name or an address` });
      continue;
    }
    const ip = canonicalIp(s);
    if (ip !== undefined) {
      ips.push(ip.family === 4 ? { t: 'a', ip: ip.ip } : { t: 'aaaa', ip: ip.ip });
      continue;
    }
    // `_` labels allowed: CNAMEs to `_acme-challenge` delegation targets are a common DNSEntry use.
    const n = normalizeHostname(s, { underscore: true });
    if (n.ok) names.push(n.name);
    else problems.push({ reason: 'invalid_target', detail: `spec.targets[${i}]: ${n.error}` });
  }
  if (ips.length > 0 && names.length > 0) {
    problems.push({ reason: 'invalid_target', detail: 'spec.targets mixes names and IP addresses' });
    return [];
  }
  if (ips.length > 0) return uniqueTargets(ips);
  const unique = [...new Set(names)];
  if (unique.length === 1 && !resolve) return unique.map((name) => ({ t: 'cname', name }));
  return unique.map((name) => ({ t: 'host', name }));
}

function entryTtl(v: unknown, problems: Problem[]): number | undefined {
  if (v === undefined || v === null) return undefined;
  const t = parseTtl(v);
  if (typeof t === 'number' && t >= 1 && t <= MAX_ENTRY_TTL) return t;
  problems.push({ reason: 'invalid_ttl', detail: `spec.ttl ${JSON.stringify(v)} is outside 1..${MAX_ENTRY_TTL}` });
  return undefined;
}
