/**
 * A reply written below rewrite, taken apart into records (records.ts). The reply was built for
 * the rewritten question: a prepared reply's compression pointers may point into that question,
 * so it is read behind a copy of it. The reply itself is never modified.
 */
import type { Request } from '../../src/plugin/request.js';
import { Flag, HEADER_SIZE, QType } from '../../src/wire/constants.js';
import { encodeMessage } from '../../src/wire/message.js';
import { readName, readPlainName, skipName } from '../../src/wire/name.js';
import { ANY_QUESTION, PreparedReply, replyRcode, type Reply } from '../../src/wire/reply.js';
import { LAYOUTS, type ParsedReply, type ReplyRecord } from './records.js';

/** Header bits a reply owns (the rest comes from the query when the reply is sent). */
const OWN_FLAGS = Flag.AA | Flag.TC | Flag.RA | Flag.AD;

/**
 * A reply is taken apart, edited and put back together in one synchronous step, so one buffer
 * serves every prepared reply; the records' RDATA chunks are views into it, valid until the
 * next reply is parsed.
 */
let scratch = Buffer.allocUnsafe(4096);

export function parseReply(reply: Reply, down: Request): ParsedReply {
  let buf: Buffer;
  let off: number;
  let flags: number;
  let rcode: number;
  if (reply instanceof PreparedReply) {
    const qEnd = down.query.questionEnd;
    if (reply.questionLength !== qEnd - HEADER_SIZE && reply.questionLength !== ANY_QUESTION) {
      throw new Error('prepared reply does not match the question');
    }
    if (scratch.length < qEnd + reply.length) scratch = Buffer.allocUnsafe(Math.max(qEnd + reply.length, scratch.length * 2));
    buf = scratch.subarray(0, qEnd + reply.length);
    down.query.raw.copy(buf, 0, 0, qEnd);
    reply.bytes.copy(buf, qEnd, reply.offset, reply.offset + reply.length);
    buf.writeUInt16BE(reply.ancount, 6);
    buf.writeUInt16BE(reply.nscount, 8);
    buf.writeUInt16BE(reply.arcount, 10);
    off = qEnd;
    flags = reply.flags & OWN_FLAGS;
    rcode = reply.rcode;
  } else {
    rcode = replyRcode(reply);
    buf = encodeMessage(reply);
    flags = buf.readUInt16BE(2) & OWN_FLAGS;
    off = HEADER_SIZE;
    for (let n = buf.readUInt16BE(4); n > 0; n--) off = skipName(buf, off) + 4;
  }
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  const ar = buf.readUInt16BE(10);
  const out: ParsedReply = { flags, rcode, answer: [], authority: [], additional: [] };
  off = readRecords(buf, off, an, out.answer);
  off = readRecords(buf, off, ns, out.authority);
  readRecords(buf, off, ar, out.additional);
  return out;
}

function readRecords(buf: Buffer, off: number, count: number, into: ReplyRecord[]): number {
  for (let i = 0; i < count; i++) {
    const owner = readPlainName(buf, off) ?? readName(buf, off);
    off = owner.end;
    if (off + 10 > buf.length) throw new Error('record runs past the end of the reply');
    const type = buf.readUInt16BE(off);
    const klass = buf.readUInt16BE(off + 2);
    const ttl = buf.readUInt32BE(off + 4);
    const start = off + 10;
    const end = start + buf.readUInt16BE(off + 8);
    if (end > buf.length) throw new Error('record data runs past the end of the reply');
    off = end;
    // OPT is hop-by-hop: the server writes the client's own; its extended rcode is in `rcode`.
    if (type === QType.OPT) continue;
    const { names, chunks } = readRdata(buf, type, start, end);
    into.push({ name: owner.name, type, klass, ttl, names, chunks });
  }
  return off;
}

function readRdata(buf: Buffer, type: number, start: number, end: number): { names: string[]; chunks: Buffer[] } {
  const layout = LAYOUTS.get(type);
  if (layout === undefined) return { names: [], chunks: [buf.subarray(start, end)] };
  const names: string[] = [];
  const chunks: Buffer[] = [];
  let pos = start;
  let chunk = start;
  for (const f of layout) {
    if (f === 'name') {
      chunks.push(buf.subarray(chunk, pos));
      const n = readPlainName(buf, pos) ?? readName(buf, pos);
      names.push(n.name);
      pos = chunk = n.end;
    } else pos += f === 'str' ? 1 + (buf[pos] ?? 0) : f;
    if (pos > end) throw new Error(`malformed RDATA of a type ${type} record`);
  }
  if (pos !== end) throw new Error(`malformed RDATA of a type ${type} record`);
  chunks.push(buf.subarray(chunk, end));
  return { names, chunks };
}
