/**
 * Prepared replies (wire bytes after the question) for loadbalance: their record types read
 * without decoding anything, and the reply decoded into a message for the records raw.ts cannot
 * move in place (names inside RDATA may be compressed against any earlier record).
 */
import { Flag, HEADER_SIZE } from '../../src/wire/constants.js';
import { decodeMessage, type Message } from '../../src/wire/message.js';
import { skipName } from '../../src/wire/name.js';
import type { Query } from '../../src/wire/query.js';
import { ANY_QUESTION, type PreparedReply } from '../../src/wire/reply.js';

/** Record types of the answer, authority and additional sections; undefined when the bytes do not parse. */
export function sectionTypes(reply: PreparedReply): [number[], number[], number[]] | undefined {
  const buf = reply.bytes;
  const end = reply.offset + reply.length;
  const counts = [reply.ancount, reply.nscount, reply.arcount];
  const out: [number[], number[], number[]] = [[], [], []];
  let off = reply.offset;
  try {
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < counts[s]!; i++) {
        off = skipName(buf, off);
        if (off + 10 > end) return undefined;
        out[s]!.push(buf.readUInt16BE(off));
        off += 10 + buf.readUInt16BE(off + 8);
      }
    }
  } catch {
    return undefined;
  }
  return off <= end ? out : undefined;
}

/** The reply as a full message for this query; undefined when a record does not decode. */
export function toMessage(reply: PreparedReply, q: Query): Message | undefined {
  const qEnd = q.questionEnd;
  if (reply.questionLength !== ANY_QUESTION && reply.questionLength !== qEnd - HEADER_SIZE) return undefined;
  const buf = Buffer.allocUnsafe(qEnd + reply.length);
  // The tail's compression pointers may point into the question, so it goes in front unchanged.
  q.raw.copy(buf, 0, 0, qEnd);
  reply.bytes.copy(buf, qEnd, reply.offset, reply.offset + reply.length);
  buf.writeUInt16BE(Flag.QR | (reply.flags & (Flag.AA | Flag.TC | Flag.RA | Flag.AD | 0xf)), 2);
  buf.writeUInt16BE(1, 4);
  buf.writeUInt16BE(reply.ancount, 6);
  buf.writeUInt16BE(reply.nscount, 8);
  buf.writeUInt16BE(reply.arcount, 10);
  let m: Message;
  try {
    m = decodeMessage(buf);
  } catch {
    return undefined;
  }
  const complete = m.answers.length === reply.ancount && m.authorities.length === reply.nscount && m.additionals.length === reply.arcount;
  return complete ? m : undefined;
}
