/**
 * Server block keys to zones and ports, as CoreDNS does it (`plugin/pkg/parse/transport.go`,
 * `plugin/normalize.go` SplitHostPort, `plugin/pkg/cidr`, `core/dnsserver/register.go`).
 *
 * A key is `[SCHEME://]HOST[:PORT]`. The port is whatever follows the last colon when it is a
 * number; everything else is the host, which is taken as a zone name (so `[::1]:53` is the zone
 * `[::1].`). A host that parses as an IP prefix (`10.0.0.0/24`, `2001:db8::/32`) becomes the
 * reverse zone(s) for it; a prefix that does not fall on a label boundary (/27 for IPv4, /30 for
 * IPv6) becomes every reverse zone at the next boundary.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { CorefileError } from './types.js';

export type Transport = 'dns' | 'tls' | 'quic' | 'grpc' | 'https' | 'https3';

export interface ZoneAddress {
  transport: Transport;
  /** Lowercase FQDN with trailing dot, "." for the root. */
  zone: string;
  port: number;
  /** For CIDR keys, the original key. */
  cidr?: string;
}

/** Default ports for the transports other than dns (whose default is the -dns.port flag). */
export const DEFAULT_PORTS: Readonly<Record<Exclude<Transport, 'dns'>, number>> = {
  tls: 853,
  quic: 853,
  grpc: 443,
  https: 443,
  https3: 443,
};

// parse.Transport's order; unix:// is recognised so that it can be rejected.
const SCHEMES: readonly (Transport | 'unix')[] = ['tls', 'dns', 'quic', 'grpc', 'https3', 'https', 'unix'];

/** Strips a known `SCHEME://` prefix; no (or an unknown) prefix means dns. */
export function splitTransport(s: string): { transport: Transport | 'unix'; rest: string } {
  for (const t of SCHEMES) {
    if (s.startsWith(t + '://')) return { transport: t, rest: s.slice(t.length + 3) };
  }
  return { transport: 'dns', rest: s };
}

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

/** miekg/dns IsFqdn: ends in a dot that is not escaped. */
function isFqdn(s: string): boolean {
  if (!s.endsWith('.')) return false;
  let n = 0;
  for (let i = s.length - 2; i >= 0 && s[i] === '\\'; i--) n++;
  return n % 2 === 0;
}

function fqdn(s: string): string {
  return isFqdn(s) ? s : s + '.';
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

/**
 * miekg/dns IsDomainName (v1): very liberal, it only checks label lengths (< 64 octets), the
 * 255-octet total, empty labels and a leading dot; `\DDD` and `\X` escapes are understood.
 */
export function isDomainName(name: string): boolean {
  if (name.length === 0) return false;
  const s = Buffer.from(fqdn(name), 'utf8');
  const lenmsg = 256;
  let off = 0;
  let begin = 0;
  let wasDot = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === 0x5c /* \ */) {
      if (off + 1 > lenmsg) return false;
      if (i + 3 < s.length && isDigit(s[i + 1]) && isDigit(s[i + 2]) && isDigit(s[i + 3])) {
        i += 3;
        begin += 3;
      } else {
        i++;
        begin++;
      }
      wasDot = false;
    } else if (c === 0x2e /* . */) {
      if (i === 0 && s.length > 1) return false; // leading dot, except the root itself
      if (wasDot) return false;
      wasDot = true;
      const labelLen = i - begin;
      if (labelLen >= 64) return false;
      off += 1 + labelLen;
      if (off > lenmsg) return false;
      begin = i + 1;
    } else {
      wasDot = false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// IP prefixes

interface Prefix {
  /** 4 or 16 bytes, host bits cleared. */
  bytes: Uint8Array;
  ones: number;
}

function parseIPv4(s: string): Uint8Array | undefined {
  if (!isIPv4(s)) return undefined;
  return Uint8Array.from(s.split('.').map((p) => Number(p)));
}

function parseIPv6(s: string): Uint8Array | undefined {
  if (s.includes('%') || !isIPv6(s)) return undefined;
  let text = s;
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    // an embedded IPv4 address stands for the last two groups
    const v4 = parseIPv4(tail);
    if (v4 === undefined) return undefined;
    text = s.slice(0, lastColon + 1) + ((v4[0]! << 8) | v4[1]!).toString(16) + ':' + ((v4[2]! << 8) | v4[3]!).toString(16);
  }
  const dbl = text.indexOf('::');
  const split = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const left = dbl === -1 ? split(text) : split(text.slice(0, dbl));
  const right = dbl === -1 ? [] : split(text.slice(dbl + 2));
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (dbl === -1 && missing !== 0)) return undefined;
  const groups = [...left, ...Array<string>(missing).fill('0'), ...right];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

/** Go's net.ParseCIDR (network address only); undefined when `s` is not a prefix. */
function parseCIDR(s: string): Prefix | undefined {
  const slash = s.indexOf('/');
  if (slash === -1) return undefined;
  const addr = s.slice(0, slash);
  const mask = s.slice(slash + 1);
  if (!/^[0-9]+$/.test(mask)) return undefined;
  const bytes = parseIPv4(addr) ?? parseIPv6(addr);
  if (bytes === undefined) return undefined;
  const ones = Number(mask);
  if (ones > bytes.length * 8) return undefined;
  return { bytes: maskBytes(bytes, ones), ones };
}

function maskBytes(b: Uint8Array, ones: number): Uint8Array {
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) {
    const bits = Math.max(0, Math.min(8, ones - i * 8));
    out[i] = b[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/** dns.ReverseAddr without the lookup: every octet (IPv4) or nibble (IPv6), reversed. */
function reverseLabels(b: Uint8Array): string[] {
  const labels: string[] = [];
  if (b.length === 4) {
    for (let i = 3; i >= 0; i--) labels.push(String(b[i]));
    labels.push('in-addr', 'arpa');
  } else {
    for (let i = 15; i >= 0; i--) labels.push((b[i]! & 0xf).toString(16), (b[i]! >> 4).toString(16));
    labels.push('ip6', 'arpa');
  }
  return labels;
}

/** cidr.Split + cidr.Reverse: the reverse zones that together cover the prefix. */
function reverseZones(p: Prefix): string[] {
  const bits = p.bytes.length * 8;
  const digit = p.bytes.length === 4 ? 8 : 4;
  const newOnes = Math.ceil(p.ones / digit) * digit;
  const count = 2 ** (newOnes - p.ones);
  const zones: string[] = [];
  for (let n = 0; n < count; n++) {
    // the n-th subnet of size /newOnes: add n at bit position newOnes
    const b = Uint8Array.from(p.bytes);
    let carry = n;
    let pos = newOnes - 1; // least significant bit of the new prefix
    while (carry > 0) {
      if (carry & 1) {
        const byte = pos >> 3;
        const bit = 7 - (pos & 7);
        b[byte] = b[byte]! | (1 << bit);
      }
      carry >>= 1;
      pos--;
    }
    const labels = reverseLabels(b);
    const skip = (bits - newOnes) / digit;
    zones.push(labels.slice(skip).join('.') + '.');
  }
  return zones;
}

// ---------------------------------------------------------------------------------------------

/**
 * plugin.SplitHostPort: `s` without scheme. Returns the host(s) (reverse zones for a prefix,
 * otherwise the host as written, not yet lowercased or qualified) and the port if one was given.
 * Throws CorefileError with CoreDNS's texts.
 */
export function splitHostPort(s: string): { hosts: string[]; port: number | undefined; cidr: boolean } {
  let host = s;
  let port: number | undefined;
  const colon = s.lastIndexOf(':');
  if (colon !== -1 && colon === s.length - 1) {
    throw new CorefileError(`expecting data after last colon: ${JSON.stringify(s)}`);
  }
  if (colon !== -1) {
    const p = s.slice(colon + 1);
    if (/^[+-]?[0-9]+$/.test(p)) {
      const n = Number(p);
      if (!Number.isSafeInteger(n) || n < 0 || n > 65535) throw new CorefileError(`invalid port "${p}" in "${s}"`);
      port = n;
      host = s.slice(0, colon);
    }
  }
  // exdns: an empty host (":53") is the root zone.
  if (host === '') host = '.';

  const len = utf8Length(host);
  if (len > 255) throw new CorefileError(`specified zone is too long: ${len} > 255`);
  if (!isDomainName(host)) throw new CorefileError(`zone is not a valid domain name: ${host}`);

  const prefix = parseCIDR(host);
  if (prefix === undefined) return { hosts: [host], port, cidr: false };
  if (host[0] === ':' || (host[0] === '0' && host.includes(':'))) {
    throw new CorefileError(`invalid CIDR ${host}`);
  }
  return { hosts: reverseZones(prefix), port, cidr: true };
}

/**
 * Normalises one server block key. One key may expand to several zones (a CIDR key like
 * 10.0.0.0/27 expands to several reverse zones). Throws CorefileError with CoreDNS's texts:
 * `expecting data after last colon: "..."`, `specified zone is too long: N > 255`,
 * `zone is not a valid domain name: ...`, `invalid CIDR ...`, and `invalid port ...`.
 */
export function parseKey(key: string, defaultDnsPort: number): ZoneAddress[] {
  const { transport, rest } = splitTransport(key);
  if (transport === 'unix') throw new CorefileError(`unix:// is not a server transport: ${key}`);
  const { hosts, port, cidr } = splitHostPort(rest);
  // register.go validates every host again once fully qualified (a 255-octet host grows to 256).
  for (const h of hosts) splitHostPort(fqdn(h));
  const p = port ?? (transport === 'dns' ? defaultDnsPort : DEFAULT_PORTS[transport]);
  return hosts.map((h) => {
    const a: ZoneAddress = { transport, zone: fqdn(h).toLowerCase(), port: p };
    if (cidr) a.cidr = key;
    return a;
  });
}

/**
 * CoreDNS's normalisation of a zone argument (plugin.Host(s).NormalizeExact()): scheme and port
 * dropped, reverse zones for a prefix, lowercase FQDNs; an invalid host gives [].
 */
export function normalizeHostExact(s: string): string[] {
  try {
    return splitHostPort(splitTransport(s).rest).hosts.map((h) => fqdn(h).toLowerCase());
  } catch {
    return [];
  }
}

/** "dns://example.org.:53" */
export function addressString(a: { transport: Transport; zone: string; port: number }): string {
  return `${a.transport}://${a.zone}:${a.port}`;
}
