/**
 * Subnets for `prefer`, with Go's net.ParseCIDR and IPNet.Contains semantics: the host bits of
 * the address are dropped, and IPv4-mapped IPv6 (a subnet or an address) is IPv4, so
 * `::ffff:192.0.2.0/120` is 192.0.2.0/24 and matches A records.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ipv4Bytes, ipv6Bytes } from '../../src/wire/ip.js';

export interface Subnet {
  /** Network bytes: 4 for IPv4 (mapped included), 16 for IPv6. */
  readonly network: Buffer;
  readonly bits: number;
}

function isMapped(b: Buffer): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** An address as Go's To4() leaves it: IPv4-mapped IPv6 becomes its 4 IPv4 bytes. */
export function addressBytes(text: string): Buffer | undefined {
  const v4 = ipv4Bytes(text);
  if (v4 !== undefined) return v4;
  const v6 = ipv6Bytes(text);
  if (v6 === undefined) return undefined;
  return isMapped(v6) ? v6.subarray(12) : v6;
}

function mask(bytes: Buffer, bits: number): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    out[i] = out[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

/** Throws Go's `invalid CIDR address: S` for anything ParseCIDR rejects. */
export function parseSubnet(s: string): Subnet {
  const invalid = () => new Error(`invalid CIDR address: ${s}`);
  const slash = s.indexOf('/');
  if (slash < 0) throw invalid();
  const addr = s.slice(0, slash);
  const len = s.slice(slash + 1);
  if (!/^[0-9]+$/.test(len)) throw invalid();
  let bits = Number(len);
  let bytes: Buffer | undefined;
  if (isIPv4(addr)) {
    if (bits > 32) throw invalid();
    bytes = ipv4Bytes(addr);
  } else if (isIPv6(addr) && !addr.includes('%')) {
    if (bits > 128) throw invalid();
    bytes = ipv6Bytes(addr);
    if (bytes !== undefined && isMapped(bytes)) {
      bytes = bytes.subarray(12);
      bits = Math.max(0, bits - 96);
    }
  }
  if (bytes === undefined) throw invalid();
  return { network: mask(bytes, bits), bits };
}

/** `ip` as addressBytes() returns it. */
export function contains(subnet: Subnet, ip: Buffer): boolean {
  const net = subnet.network;
  if (ip.length !== net.length) return false;
  for (let i = 0, bits = subnet.bits; bits > 0; i++, bits -= 8) {
    const m = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((ip[i]! & m) !== net[i]) return false;
  }
  return true;
}
