/**
 * The general-path message model: dns2's Packet, with the header fields dns2 has at runtime but
 * not in its typings (AD, CD), typed record constructors and name conversion at the boundary
 * (dns2 names carry no trailing dot; exdns names always do).
 */
import dns2 from 'dns2';
import { Flag, QClass, QType } from './constants.js';
import { fqdn } from './name.js';

export const Packet = dns2.Packet;
export type Packet = dns2.Packet;
export type Resource = dns2.Packet.Resource;
export type Question = dns2.Packet.Question;

/** A dns2 header as it really is at runtime. */
export interface MessageHeader extends dns2.Packet.Header {
  ad: 0 | 1;
  cd: 0 | 1;
}

export interface Message extends Packet {
  header: MessageHeader;
}

export function newMessage(): Message {
  return new Packet() as Message;
}

/** dns2 name ("example.org", "" for root) -> exdns FQDN ("example.org.", "."). */
export function fromDns2Name(name: string): string {
  return name === '' ? '.' : fqdn(name);
}

/** exdns FQDN -> dns2 name. */
export function toDns2Name(name: string): string {
  if (name === '.' || name === '') return '';
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** Decodes a whole message; throws when it has no usable header. Per-record failures land in `errors`. */
export function decodeMessage(buf: Buffer): Message {
  return Packet.parse(buf) as Message;
}

export function encodeMessage(m: Message): Buffer {
  return m.toBuffer();
}

export function headerFlags(h: MessageHeader): number {
  return (
    (h.qr ? Flag.QR : 0) |
    ((h.opcode & 0xf) << 11) |
    (h.aa ? Flag.AA : 0) |
    (h.tc ? Flag.TC : 0) |
    (h.rd ? Flag.RD : 0) |
    (h.ra ? Flag.RA : 0) |
    (h.ad ? Flag.AD : 0) |
    (h.cd ? Flag.CD : 0) |
    (h.rcode & 0xf)
  );
}

function base(name: string, type: number, ttl: number): Resource {
  return { name: toDns2Name(name), type, class: QClass.IN, ttl } as Resource;
}

/** Typed record constructors; names are exdns FQDNs. */
export const rr = {
  a(name: string, ttl: number, address: string): Resource {
    return { ...base(name, QType.A, ttl), address } as Resource;
  },
  aaaa(name: string, ttl: number, address: string): Resource {
    return { ...base(name, QType.AAAA, ttl), address } as Resource;
  },
  cname(name: string, ttl: number, target: string): Resource {
    return { ...base(name, QType.CNAME, ttl), domain: toDns2Name(target) } as Resource;
  },
  ptr(name: string, ttl: number, target: string): Resource {
    return { ...base(name, QType.PTR, ttl), domain: toDns2Name(target) } as Resource;
  },
  ns(name: string, ttl: number, host: string): Resource {
    return { ...base(name, QType.NS, ttl), ns: toDns2Name(host) } as Resource;
  },
  txt(name: string, ttl: number, data: string[]): Resource {
    return { ...base(name, QType.TXT, ttl), data } as Resource;
  },
  hinfo(name: string, ttl: number, cpu: string, os: string): Resource {
    // dns2 has no HINFO codec; it re-emits `data` verbatim (RFC 3597 style).
    const c = Buffer.from(cpu, 'latin1');
    const o = Buffer.from(os, 'latin1');
    const data = Buffer.concat([Buffer.from([c.length]), c, Buffer.from([o.length]), o]);
    return { ...base(name, QType.HINFO, ttl), data } as Resource;
  },
  srv(name: string, ttl: number, priority: number, weight: number, port: number, target: string): Resource {
    return { ...base(name, QType.SRV, ttl), priority, weight, port, target: toDns2Name(target) } as Resource;
  },
  mx(name: string, ttl: number, priority: number, exchange: string): Resource {
    return { ...base(name, QType.MX, ttl), priority, exchange: toDns2Name(exchange) } as Resource;
  },
  soa(
    name: string,
    ttl: number,
    v: { primary: string; admin: string; serial: number; refresh: number; retry: number; expiration: number; minimum: number },
  ): Resource {
    return {
      ...base(name, QType.SOA, ttl),
      primary: toDns2Name(v.primary),
      admin: toDns2Name(v.admin),
      serial: v.serial,
      refresh: v.refresh,
      retry: v.retry,
      expiration: v.expiration,
      minimum: v.minimum,
    } as Resource;
  },
};
