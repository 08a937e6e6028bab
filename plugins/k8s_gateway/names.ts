/**
 * Hostnames from Kubernetes objects are untrusted text. Everything that reaches the index goes
 * through here: trimmed, one trailing dot dropped, IDNA-mapped to ASCII, lowercased and checked
 * (labels 1..63, name <= 253, letters/digits/hyphens, `*` only as the whole first label).
 */
import { domainToASCII } from 'node:url';
import { isIP } from 'node:net';

export interface NameRules {
  /** Allow a leading `*.` label. */
  readonly wildcard?: boolean;
  /** Allow labels starting with `_` (DNSEndpoint/DNSEntry names such as `_acme-challenge`). */
  readonly underscore?: boolean;
}

export type NameResult = { readonly ok: true; readonly name: string } | { readonly ok: false; readonly error: string };

const LDH = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const LDH_UNDERSCORE = /^_?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/;
const ASCII_ONLY = /^[\x21-\x7e]*$/;

export function normalizeHostname(raw: string, rules: NameRules = {}): NameResult {
  let s = raw.trim();
  if (s.endsWith('.')) s = s.slice(0, -1);
  if (s === '') return { ok: false, error: 'empty name' };
  let prefix = '';
  if (s.startsWith('*.')) {
    if (!rules.wildcard) return { ok: false, error: `wildcard not allowed in ${JSON.stringify(raw)}` };
    prefix = '*.';
    s = s.slice(2);
  }
  if (!ASCII_ONLY.test(s)) {
    const ascii = domainToASCII(s);
    if (ascii === '') return { ok: false, error: `not a valid internationalised name: ${JSON.stringify(raw)}` };
    s = ascii;
  }
  s = s.toLowerCase();
  const labels = s.split('.');
  const pattern = rules.underscore ? LDH_UNDERSCORE : LDH;
  for (const l of labels) {
    if (l.length === 0) return { ok: false, error: `empty label in ${JSON.stringify(raw)}` };
    if (l.length > 63) return { ok: false, error: `label longer than 63 characters in ${JSON.stringify(raw)}` };
    if (!pattern.test(l)) return { ok: false, error: `invalid characters in ${JSON.stringify(raw)}` };
  }
  const name = prefix + s;
  if (name.length > 253) return { ok: false, error: `name longer than 253 characters: ${JSON.stringify(raw)}` };
  return { ok: true, name };
}

/** Canonical text of an IP address (IPv6 compressed, lowercase), or undefined if `s` is not one. */
export function canonicalIp(s: string): { family: 4 | 6; ip: string } | undefined {
  const t = s.trim();
  const fam = isIP(t);
  if (fam === 4) return { family: 4, ip: t.split('.').map((o) => String(Number(o))).join('.') };
  if (fam === 6) {
    // The URL parser compresses and lowercases IPv6 literals per RFC 5952.
    const host = new URL(`http://[${t}]/`).hostname;
    return { family: 6, ip: host.slice(1, -1) };
  }
  return undefined;
}
