/**
 * The query's EDNS0 options, and the query's wire bytes rebuilt with a new question (and new
 * options) for the request passed down the chain.
 */
import { HEADER_SIZE, QType } from '../../src/wire/constants.js';
import { writeName } from '../../src/wire/name.js';
import type { Query } from '../../src/wire/query.js';

export interface EdnsOption {
  readonly code: number;
  data: Buffer;
}

/** Owner, type, class (UDP size), TTL (extended rcode, version, flags): the OPT before RDLENGTH. */
const OPT_FIXED = 9;
/** What CoreDNS's setupEdns0Opt advertises in an OPT it has to add. */
const ADDED_OPT_UDP_SIZE = 4096;
/** Longest wire form of a name. */
const MAX_NAME = 255;

/** The options of the query's OPT record, in order (none without OPT). */
export function queryOptions(q: Query): EdnsOption[] {
  const out: EdnsOption[] = [];
  if (q.edns === undefined) return out;
  const raw = q.raw;
  const rdlen = raw.readUInt16BE(q.edns.offset + OPT_FIXED);
  let off = q.edns.offset + OPT_FIXED + 2;
  const end = off + rdlen;
  // parseQuery checked that the options are well formed.
  while (off < end) {
    const code = raw.readUInt16BE(off);
    const len = raw.readUInt16BE(off + 2);
    out.push({ code, data: raw.subarray(off + 4, off + 4 + len) });
    off += 4 + len;
  }
  return out;
}

/** Writes the OPT record of the rewritten query at `off`; returns the offset after it. */
function writeOpt(out: Buffer, off: number, q: Query, options: readonly EdnsOption[]): number {
  if (q.edns !== undefined) q.raw.copy(out, off, q.edns.offset, q.edns.offset + OPT_FIXED);
  else {
    out[off] = 0;
    out.writeUInt16BE(QType.OPT, off + 1);
    out.writeUInt16BE(ADDED_OPT_UDP_SIZE, off + 3);
    out.writeUInt32BE(0, off + 5);
  }
  const rdlenAt = off + OPT_FIXED;
  let p = rdlenAt + 2;
  for (const o of options) {
    out.writeUInt16BE(o.code, p);
    out.writeUInt16BE(o.data.length, p + 2);
    o.data.copy(out, p + 4);
    p += 4 + o.data.length;
  }
  out.writeUInt16BE(p - rdlenAt - 2, rdlenAt);
  return p;
}

/**
 * The query with question (name, qtype, qclass) and, when `options` is given, an OPT carrying
 * them (added when the query had none). Everything else is kept as the client sent it.
 */
export function queryWire(q: Query, name: string, qtype: number, qclass: number, options?: readonly EdnsOption[]): Buffer {
  const raw = q.raw;
  let optSize = 0;
  if (options !== undefined) {
    optSize = OPT_FIXED + 2;
    for (const o of options) optSize += 4 + o.data.length;
  }
  const out = Buffer.allocUnsafe(HEADER_SIZE + MAX_NAME + 4 + (raw.length - q.questionEnd) + optSize);
  raw.copy(out, 0, 0, HEADER_SIZE);
  let p = writeName(out, HEADER_SIZE, name);
  out.writeUInt16BE(qtype, p);
  out.writeUInt16BE(qclass, p + 2);
  p += 4;
  if (options === undefined) {
    p += raw.copy(out, p, q.questionEnd);
  } else if (q.edns === undefined) {
    p += raw.copy(out, p, q.questionEnd);
    p = writeOpt(out, p, q, options);
    out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  } else {
    const optEnd = q.edns.offset + OPT_FIXED + 2 + raw.readUInt16BE(q.edns.offset + OPT_FIXED);
    p += raw.copy(out, p, q.questionEnd, q.edns.offset);
    p = writeOpt(out, p, q, options);
    p += raw.copy(out, p, optEnd);
  }
  return out.subarray(0, p);
}
