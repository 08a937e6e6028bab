/**
 * Resource records straight to wire bytes, for answers built once and served many times.
 * Owner names are compressed against earlier owners of the same writer, at absolute offsets
 * computed from `base` (where the bytes will sit in the final message); RDATA names are written
 * in full, which is valid for every type (RFC 3597 §4) and mandatory for SRV (RFC 2782).
 */
import { QClass } from './constants.js';
import { ipv4Bytes, ipv6Bytes } from './ip.js';
import { encodeName } from './name.js';
import type { Slab } from './slab.js';

/** Largest offset a compression pointer can reach. */
const MAX_POINTER = 0x3fff;

export class RRWriter {
  private buf: Buffer;
  private len = 0;
  private readonly owners = new Map<string, number>();
  count = 0;

  /**
   * `base`: the message offset at which these bytes will start, or -1 for position-independent
   * output (no compression pointers at all).
   */
  constructor(
    private base: number,
    initialSize = 128,
  ) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  private bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  private u16(v: number): void {
    this.reserve(2);
    this.buf.writeUInt16BE(v, this.len);
    this.len += 2;
  }

  private u32(v: number): void {
    this.reserve(4);
    this.buf.writeUInt32BE(v >>> 0, this.len);
    this.len += 4;
  }

  /** Owner name (lowercase FQDN): a pointer when this writer already wrote it. */
  private owner(name: string): void {
    const at = this.owners.get(name);
    if (at !== undefined) {
      this.u16(0xc000 | at);
      return;
    }
    const abs = this.base + this.len;
    if (this.base >= 0 && abs <= MAX_POINTER) this.owners.set(name, abs);
    this.bytes(encodeName(name));
  }

  /** One record with ready RDATA. */
  rr(owner: string, type: number, ttl: number, rdata: Uint8Array): this {
    this.owner(owner);
    this.u16(type);
    this.u16(QClass.IN);
    this.u32(ttl);
    this.u16(rdata.length);
    this.bytes(rdata);
    this.count++;
    return this;
  }

  get length(): number {
    return this.len;
  }

  /** The bytes written, in a buffer of their own. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }

  /** Starts over at `base`: one writer serves many answers built in a row. */
  reset(base: number): this {
    this.base = base;
    this.len = 0;
    this.count = 0;
    this.owners.clear();
    return this;
  }

  /** The bytes written, copied into `slab`; returns their offset in `slab.last`. */
  storeIn(slab: Slab): number {
    return slab.put(this.buf, this.len);
  }
}

/** RDATA encoders; each throws on input it cannot encode (callers validate first). */
export const rdata = {
  a(ip: string): Buffer {
    const b = ipv4Bytes(ip);
    if (b === undefined) throw new Error(`not an IPv4 address: ${ip}`);
    return b;
  },
  aaaa(ip: string): Buffer {
    const b = ipv6Bytes(ip);
    if (b === undefined) throw new Error(`not an IPv6 address: ${ip}`);
    return b;
  },
  name(n: string): Buffer {
    return encodeName(n);
  },
  /** One TXT record: the text cut into character-strings of at most 255 bytes. */
  txt(text: string): Buffer {
    const raw = Buffer.from(text, 'utf8');
    const parts: Buffer[] = [];
    if (raw.length === 0) parts.push(Buffer.from([0]));
    for (let i = 0; i < raw.length; i += 255) {
      const chunk = raw.subarray(i, i + 255);
      parts.push(Buffer.from([chunk.length]), chunk);
    }
    return Buffer.concat(parts);
  },
  srv(priority: number, weight: number, port: number, target: string): Buffer {
    const head = Buffer.allocUnsafe(6);
    head.writeUInt16BE(priority, 0);
    head.writeUInt16BE(weight, 2);
    head.writeUInt16BE(port, 4);
    return Buffer.concat([head, encodeName(target)]);
  },
  mx(preference: number, exchange: string): Buffer {
    const head = Buffer.allocUnsafe(2);
    head.writeUInt16BE(preference, 0);
    return Buffer.concat([head, encodeName(exchange)]);
  },
  soa(mname: string, rname: string, serial: number, refresh: number, retry: number, expire: number, minimum: number): Buffer {
    const tail = Buffer.allocUnsafe(20);
    tail.writeUInt32BE(serial >>> 0, 0);
    tail.writeUInt32BE(refresh, 4);
    tail.writeUInt32BE(retry, 8);
    tail.writeUInt32BE(expire, 12);
    tail.writeUInt32BE(minimum, 16);
    return Buffer.concat([encodeName(mname), encodeName(rname), tail]);
  },
};

