/**
 * The edited reply for the client, as a prepared reply that follows the client's own question:
 * owner names are compressed against that question and earlier owners; names inside RDATA are
 * written in full, which is valid for every type (RFC 3597 §4) and required for SRV, NAPTR and
 * DNAME.
 */
import type { Request } from '../../src/plugin/request.js';
import { HEADER_SIZE } from '../../src/wire/constants.js';
import { decodeMessage } from '../../src/wire/message.js';
import { lowerAscii, writeName } from '../../src/wire/name.js';
import type { Query } from '../../src/wire/query.js';
import { PreparedReply, type Reply } from '../../src/wire/reply.js';
import type { ParsedReply, ReplyRecord } from './records.js';

/** Largest offset a compression pointer can reach. */
const MAX_POINTER = 0x3fff;
/** Longest wire form of a name. */
const MAX_NAME = 255;

class TailWriter {
  private buf = Buffer.allocUnsafe(4096);
  private len = 0;
  /** The message offset where the tail starts (just after the question). */
  private base = 0;
  /** Lowercased owner names already written, by message offset. */
  private readonly owners = new Map<string, number>();

  reset(base: number): this {
    this.base = base;
    this.len = 0;
    this.owners.clear();
    return this;
  }

  /** Lets owners equal to the question name point at it (the client then sees its own case). */
  question(q: Query): void {
    const raw = q.raw;
    for (let p = HEADER_SIZE; raw[p] !== 0; p += raw[p]! + 1) {
      // A question that is itself compressed is no pointer target.
      if ((raw[p]! & 0xc0) !== 0) return;
    }
    this.owners.set(q.name, HEADER_SIZE);
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

  private owner(name: string): void {
    const key = lowerAscii(name);
    const at = this.owners.get(key);
    if (at !== undefined) {
      this.u16(0xc000 | at);
      return;
    }
    const abs = this.base + this.len;
    if (abs <= MAX_POINTER) this.owners.set(key, abs);
    this.name(name);
  }

  private name(name: string): void {
    this.reserve(MAX_NAME);
    this.len = writeName(this.buf, this.len, name);
  }

  record(rr: ReplyRecord): void {
    this.owner(rr.name);
    this.reserve(10);
    this.buf.writeUInt16BE(rr.type, this.len);
    this.buf.writeUInt16BE(rr.klass, this.len + 2);
    this.buf.writeUInt32BE(rr.ttl >>> 0, this.len + 4);
    const rdlenAt = this.len + 8;
    this.len += 10;
    const { chunks, names } = rr;
    for (let i = 0; i < chunks.length; i++) {
      this.bytes(chunks[i]!);
      if (i < names.length) this.name(names[i]!);
    }
    const rdlen = this.len - rdlenAt - 2;
    if (rdlen > 0xffff) throw new Error(`record data of ${rr.name} is longer than 65535 bytes`);
    this.buf.writeUInt16BE(rdlen, rdlenAt);
  }

  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

/** Replies are encoded one at a time, synchronously: one writer serves them all. */
const writer = new TailWriter();

export function encodeReply(r: ParsedReply, client: Request): Reply {
  const q = client.query;
  const w = writer.reset(q.questionEnd);
  w.question(q);
  for (const rr of r.answer) w.record(rr);
  for (const rr of r.authority) w.record(rr);
  for (const rr of r.additional) w.record(rr);
  const tail = w.finish();
  const an = r.answer.length;
  const ns = r.authority.length;
  const ar = r.additional.length;
  if (r.rcode <= 0xf) return new PreparedReply(r.flags | r.rcode, an, ns, ar, tail, q.questionEnd - HEADER_SIZE);
  // An extended rcode travels in the OPT record, which only a full message carries.
  const head = Buffer.allocUnsafe(q.questionEnd);
  q.raw.copy(head, 0, 0, q.questionEnd);
  head.writeUInt16BE(r.flags | (r.rcode & 0xf), 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(an, 6);
  head.writeUInt16BE(ns, 8);
  head.writeUInt16BE(ar, 10);
  const m = decodeMessage(Buffer.concat([head, tail]));
  m.header.rcode = r.rcode;
  return m;
}
