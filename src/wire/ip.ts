/** IP address text to wire bytes (A and AAAA RDATA). */
import { isIPv4, isIPv6 } from 'node:net';

export function ipv4Bytes(ip: string): Buffer | undefined {
  if (!isIPv4(ip)) return undefined;
  const p = ip.split('.');
  return Buffer.from([Number(p[0]), Number(p[1]), Number(p[2]), Number(p[3])]);
}

/** Accepts "::", embedded IPv4 ("::ffff:1.2.3.4") and zone suffixes ("fe80::1%eth0"). */
export function ipv6Bytes(ip: string): Buffer | undefined {
  const zone = ip.indexOf('%');
  const addr = zone < 0 ? ip : ip.slice(0, zone);
  if (!isIPv6(addr)) return undefined;
  let head = addr;
  let v4: Buffer | undefined;
  const lastColon = addr.lastIndexOf(':');
  if (addr.includes('.', lastColon)) {
    v4 = ipv4Bytes(addr.slice(lastColon + 1));
    head = addr.slice(0, lastColon + 1) + '0:0';
  }
  const [l, r] = head.split('::') as [string, string | undefined];
  const left = l ? l.split(':') : [];
  const right = r !== undefined && r !== '' ? r.split(':') : [];
  const groups = r === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  if (v4) v4.copy(out, 12);
  return out;
}
