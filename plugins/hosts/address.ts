/**
 * IP addresses as the hosts plugin keeps them: the bytes of Go's net.IP after To4(), so an
 * IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is the IPv4 address it maps, gets A records and
 * shares its PTR with the plain IPv4 spelling.
 */
import { ipv4Bytes, ipv6Bytes } from '../../src/wire/ip.js';

export interface HostAddress {
  /** 4 bytes (IPv4, mapped IPv6 included) or 16 bytes. */
  readonly bytes: Buffer;
  /** Presentation form for the A/AAAA record. */
  readonly text: string;
  /** Lookup key shared by every spelling of the address (hex of `bytes`). */
  readonly key: string;
}

/** `::ffff:a.b.c.d`: the 16-byte form Go's To4() turns back into IPv4. */
function isMapped(b: Buffer): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** Bytes to a HostAddress, collapsing IPv4-mapped addresses to IPv4. */
export function fromBytes(raw: Buffer): HostAddress {
  const bytes = raw.length === 16 && isMapped(raw) ? raw.subarray(12) : raw;
  if (bytes.length === 4) return { bytes, text: bytes.join('.'), key: bytes.toString('hex') };
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return { bytes, text: groups.join(':'), key: bytes.toString('hex') };
}

/**
 * A literal address from a hosts file line (Go's net.ParseIP after dropping an IPv6 zone, as
 * CoreDNS does): dotted IPv4 without leading zeros, or any IPv6 form. Undefined otherwise.
 */
export function parseLiteralIP(s: string): HostAddress | undefined {
  const zone = s.indexOf('%');
  const text = zone < 0 ? s : s.slice(0, zone);
  const raw = ipv4Bytes(text) ?? (text.includes(':') ? ipv6Bytes(text) : undefined);
  return raw === undefined ? undefined : fromBytes(raw);
}
