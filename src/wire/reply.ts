/**
 * Turning a plugin's reply into the bytes sent to one client (CoreDNS's ScrubWriter):
 * ID, opcode, RD and CD from the query; the question exactly as the client sent it (0x20);
 * OPT mirrored only when the query had one; truncation at RRset boundaries with TC=1.
 */
import { Flag, HEADER_SIZE, MAX_UDP_PAYLOAD, MIN_UDP_PAYLOAD, QType } from './constants.js';
import { type Message, encodeMessage } from './message.js';
import { readName, skipName } from './name.js';
import type { Query } from './query.js';

/**
 * An answer prepared in advance: everything after the question, with header flags and counts.
 * Compression pointers in the tail may point into the question at offset 12, which is valid for
 * any query whose name matches the one the tail was built for (same wire length).
 *
 * The tail is `bytes[offset, offset + length)`: prepared answers held by the ten thousand live
 * in shared chunks (see slab.ts) rather than in a Buffer each.
 */
export class PreparedReply {
  readonly offset: number;
  readonly length: number;

  constructor(
    /** Flags word without QR, opcode, RD, CD (those come from the query): AA, RA, AD, rcode (low 4 bits). */
    readonly flags: number,
    readonly ancount: number,
    readonly nscount: number,
    readonly arcount: number,
    readonly bytes: Buffer,
    /**
     * Wire length of the question this tail was built for (name + 4), or ANY_QUESTION when the
     * tail holds no compression pointers and fits every question.
     */
    readonly questionLength: number,
    offset = 0,
    length = bytes.length - offset,
  ) {
    this.offset = offset;
    this.length = length;
  }

  /** Everything after the question. */
  get tail(): Buffer {
    return this.offset === 0 && this.length === this.bytes.length ? this.bytes : this.bytes.subarray(this.offset, this.offset + this.length);
  }

  get rcode(): number {
    return this.flags & 0xf;
  }

  /** Builds a prepared reply from a full message whose question is the one it answers. */
  static fromMessage(m: Message): PreparedReply {
    // OPT is hop-by-hop: finalizeReply writes the client's. It is taken out on the message itself
    // (a copy would lose the dns2 Packet's prototype, and with it the encoder) and put back.
    const additionals = m.additionals;
    const hasOpt = additionals.some((r) => r.type === QType.OPT);
    let buf: Buffer;
    if (hasOpt) m.additionals = additionals.filter((r) => r.type !== QType.OPT);
    try {
      buf = encodeMessage(m);
    } finally {
      if (hasOpt) m.additionals = additionals;
    }
    const qEnd = skipName(buf, HEADER_SIZE) + 4;
    const flags = ((buf[2]! << 8) | buf[3]!) & (Flag.AA | Flag.RA | Flag.AD | 0xf);
    return new PreparedReply(
      flags,
      (buf[6]! << 8) | buf[7]!,
      (buf[8]! << 8) | buf[9]!,
      (buf[10]! << 8) | buf[11]!,
      buf.subarray(qEnd),
      qEnd - HEADER_SIZE,
    );
  }
}

/** `questionLength` of a position-independent tail (negative answers shared by a whole zone). */
export const ANY_QUESTION = -1;

export type Reply = Message | PreparedReply;

export function isPrepared(r: Reply): r is PreparedReply {
  return r instanceof PreparedReply;
}

const OPT_LEN = 11;
/** Up to this many bytes, a loop copies faster than Buffer.copy (see finalizeReply). */
const SMALL_COPY = 256;

/** Maximum reply size for this query: UDP max(512, EDNS size) capped at 1232; TCP 65535. */
export function replySizeLimit(q: Query, tcp: boolean): number {
  if (tcp) return 0xffff;
  if (q.edns === undefined) return MIN_UDP_PAYLOAD;
  const s = q.edns.udpSize;
  return s < MIN_UDP_PAYLOAD ? MIN_UDP_PAYLOAD : s > MAX_UDP_PAYLOAD ? MAX_UDP_PAYLOAD : s;
}

function writeOpt(out: Buffer, off: number, extRcode: number, dnssecOk: boolean): void {
  out[off] = 0; // root owner
  out.writeUInt16BE(QType.OPT, off + 1);
  out.writeUInt16BE(MAX_UDP_PAYLOAD, off + 3);
  out[off + 5] = extRcode;
  out[off + 6] = 0; // version 0
  out[off + 7] = dnssecOk ? 0x80 : 0;
  out[off + 8] = 0;
  out.writeUInt16BE(0, off + 9); // no options
}

/** Reply flags: QR, the query's opcode, RD and CD, plus the answer's own bits. */
function replyFlags(q: Query, own: number): number {
  return Flag.QR | (q.flags & (0x7800 | Flag.RD | Flag.CD)) | (own & (Flag.AA | Flag.TC | Flag.RA | Flag.AD | 0xf));
}

/**
 * Header + question + OPT (when the query had one) with the given rcode: the reply the server
 * writes for SERVFAIL/REFUSED/... returned unwritten, and for BADVERS (rcode 16).
 */
export function errorReply(q: Query, rcode: number): Buffer {
  const qEnd = q.questionEnd;
  const hasOpt = q.edns !== undefined;
  const out = Buffer.allocUnsafe(qEnd + (hasOpt ? OPT_LEN : 0));
  out[0] = q.raw[0]!;
  out[1] = q.raw[1]!;
  out.writeUInt16BE(replyFlags(q, rcode & 0xf), 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt32BE(0, 6);
  out.writeUInt16BE(hasOpt ? 1 : 0, 10);
  q.raw.copy(out, HEADER_SIZE, HEADER_SIZE, qEnd);
  if (hasOpt) writeOpt(out, qEnd, rcode >> 4, q.edns!.do);
  return out;
}

/** Header-only reply (FORMERR, NOTIMP) for a message we could not or would not read further. */
export function headerOnlyReply(raw: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(HEADER_SIZE);
  out[0] = raw[0]!;
  out[1] = raw[1]!;
  const flags = (raw[2]! << 8) | raw[3]!;
  out.writeUInt16BE(Flag.QR | (flags & (0x7800 | Flag.RD | Flag.CD)) | (rcode & 0xf), 2);
  return out;
}

/** Sections and counts of an encoded message, for truncation. */
interface RecordWalk {
  /** Offsets where each record ends, in message order. */
  ends: number[];
  /** True where record i starts a new RRset (different section, owner, type or class). */
  setStart: boolean[];
  an: number;
  ns: number;
}

function walkRecords(buf: Buffer, start: number, an: number, ns: number, ar: number): RecordWalk {
  const ends: number[] = [];
  const setStart: boolean[] = [];
  let off = start;
  let prevKey = '';
  const total = an + ns + ar;
  for (let i = 0; i < total; i++) {
    const owner = readName(buf, off, true);
    off = owner.end;
    const type = buf.readUInt16BE(off);
    const cls = buf.readUInt16BE(off + 2);
    const rdlen = buf.readUInt16BE(off + 8);
    off += 10 + rdlen;
    const section = i < an ? 0 : i < an + ns ? 1 : 2;
    const key = `${section}|${owner.name}|${type}|${cls}`;
    setStart.push(key !== prevKey);
    prevKey = key;
    ends.push(off);
  }
  return { ends, setStart, an, ns };
}

/**
 * Cuts an encoded reply (no OPT inside) down to `limit - reserve` bytes, keeping whole RRsets
 * only. TC is set when answer or authority data was dropped (RFC 2181 §9: omitted additional
 * data alone does not set TC).
 */
function truncate(buf: Buffer, questionEnd: number, limit: number): Buffer {
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  const ar = buf.readUInt16BE(10);
  const walk = walkRecords(buf, questionEnd, an, ns, ar);
  let keep = 0;
  let end = questionEnd;
  // Largest prefix of whole RRsets that fits.
  for (let i = 0; i < walk.ends.length; i++) {
    const nextStartsSet = i + 1 === walk.ends.length || walk.setStart[i + 1];
    if (!nextStartsSet) continue;
    if (walk.ends[i]! > limit) break;
    keep = i + 1;
    end = walk.ends[i]!;
  }
  const keptAn = Math.min(keep, an);
  const keptNs = Math.min(Math.max(keep - an, 0), ns);
  const keptAr = Math.max(keep - an - ns, 0);
  const out = buf.subarray(0, end);
  out.writeUInt16BE(keptAn, 6);
  out.writeUInt16BE(keptNs, 8);
  out.writeUInt16BE(keptAr, 10);
  if (keptAn < an || keptNs < ns) out.writeUInt16BE(out.readUInt16BE(2) | Flag.TC, 2);
  return out;
}

/**
 * The bytes to send for `reply` to query `q`. `limit` is replySizeLimit(). The returned buffer
 * is fresh (never shared with the reply), so prepared replies stay immutable.
 */
export function finalizeReply(q: Query, reply: Reply, limit: number): Buffer {
  const hasOpt = q.edns !== undefined;
  const reserve = hasOpt ? OPT_LEN : 0;
  const qEnd = q.questionEnd;
  let out: Buffer;
  let extRcode = 0;

  if (reply instanceof PreparedReply) {
    if (reply.questionLength !== qEnd - HEADER_SIZE && reply.questionLength !== ANY_QUESTION) throw new Error('prepared reply does not match the question');
    const size = qEnd + reply.length;
    out = Buffer.allocUnsafe(size + reserve);
    // Byte stores and loops rather than writeUInt16BE and copy: this runs for every answered
    // query, a few dozen bytes at a time, where Buffer's range checks and the view that a
    // partial copy creates cost more than the bytes themselves.
    const raw = q.raw;
    const flags = replyFlags(q, reply.flags);
    out[0] = raw[0]!;
    out[1] = raw[1]!;
    out[2] = flags >> 8;
    out[3] = flags & 0xff;
    out[4] = 0;
    out[5] = 1;
    out[6] = reply.ancount >> 8;
    out[7] = reply.ancount & 0xff;
    out[8] = reply.nscount >> 8;
    out[9] = reply.nscount & 0xff;
    out[10] = reply.arcount >> 8;
    out[11] = reply.arcount & 0xff;
    for (let i = HEADER_SIZE; i < qEnd; i++) out[i] = raw[i]!;
    const bytes = reply.bytes;
    const from = reply.offset;
    const n = reply.length;
    if (n <= SMALL_COPY) for (let i = 0; i < n; i++) out[qEnd + i] = bytes[from + i]!;
    else bytes.copy(out, qEnd, from, from + n);
    if (size + reserve > limit) {
      out = truncate(out.subarray(0, size), qEnd, limit - reserve);
      if (!hasOpt) return out;
      const withOpt = Buffer.allocUnsafe(out.length + OPT_LEN);
      out.copy(withOpt, 0);
      out = withOpt;
    }
    if (hasOpt) {
      writeOpt(out, out.length - OPT_LEN, 0, q.edns!.do);
      out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
    }
    return out;
  }

  // General path: a full message. OPT is hop-by-hop: drop the reply's own, keep its extended rcode.
  const m = reply;
  let additionals = m.additionals;
  for (const r of additionals) {
    if (r.type === QType.OPT) extRcode = (r as { extendedRcode?: number }).extendedRcode ?? 0;
  }
  if (m.header.rcode > 0xf) extRcode = m.header.rcode >> 4;
  if (additionals.some((r) => r.type === QType.OPT)) additionals = additionals.filter((r) => r.type !== QType.OPT);
  const savedAdditionals = m.additionals;
  const savedRcode = m.header.rcode;
  m.additionals = additionals;
  m.header.rcode = savedRcode & 0xf;
  let enc: Buffer;
  try {
    enc = encodeMessage(m);
  } finally {
    m.additionals = savedAdditionals;
    m.header.rcode = savedRcode;
  }
  const own = enc.readUInt16BE(2);
  enc.writeUInt16BE(replyFlags(q, own), 2);
  enc[0] = q.raw[0]!;
  enc[1] = q.raw[1]!;
  // Restore the client's exact question bytes when the reply answers that question.
  let encQEnd = HEADER_SIZE;
  const qd = enc.readUInt16BE(4);
  for (let i = 0; i < qd; i++) encQEnd = skipName(enc, encQEnd) + 4;
  if (qd === 1 && encQEnd === qEnd && q.raw.compare(enc, HEADER_SIZE, qEnd, HEADER_SIZE, qEnd) !== 0) {
    const sameName = readName(enc, HEADER_SIZE, true).name === q.name;
    if (sameName && enc.readUInt32BE(qEnd - 4) === q.raw.readUInt32BE(qEnd - 4)) q.raw.copy(enc, HEADER_SIZE, HEADER_SIZE, qEnd);
  }
  out = enc;
  if (out.length + reserve > limit) out = truncate(out, encQEnd, limit - reserve);
  if (hasOpt) {
    const withOpt = Buffer.allocUnsafe(out.length + OPT_LEN);
    out.copy(withOpt, 0);
    writeOpt(withOpt, out.length, extRcode, q.edns!.do);
    withOpt.writeUInt16BE(withOpt.readUInt16BE(10) + 1, 10);
    out = withOpt;
  }
  return out;
}

/** The full rcode (extended bits included) of a reply, for logs and metrics. */
export function replyRcode(reply: Reply): number {
  if (reply instanceof PreparedReply) return reply.rcode;
  let ext = 0;
  for (const r of reply.additionals) if (r.type === QType.OPT) ext = (r as { extendedRcode?: number }).extendedRcode ?? 0;
  return reply.header.rcode > 0xf ? reply.header.rcode : (ext << 4) | reply.header.rcode;
}
