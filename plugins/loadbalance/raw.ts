/**
 * The common reply worth shuffling, a prepared reply holding nothing but A and AAAA records
 * (k8s_gateway, forward, cache), reordered in its wire form: decoding it into a message and
 * encoding that again costs ten times the rest of the query. Address RDATA holds no names, so a
 * record can move once its owner is position independent: a pointer into the question (which
 * stays where it is) is kept, any other compressed owner is written out in full.
 */
import { QType } from '../../src/wire/constants.js';
import { encodeName, readName } from '../../src/wire/name.js';
import type { Query } from '../../src/wire/query.js';
import { PreparedReply } from '../../src/wire/reply.js';

export interface RawRecord {
  readonly type: number;
  /** Owner in a form valid anywhere after the question. */
  readonly owner: Uint8Array;
  /** Type, class, TTL, RDLENGTH and RDATA. */
  readonly body: Buffer;
  /** The address, as cidr.addressBytes() gives it (IPv4-mapped IPv6 as IPv4). */
  readonly ip: Buffer;
}

export type RawSections = [RawRecord[], RawRecord[], RawRecord[]];

const MAPPED_PREFIX = Buffer.from('00000000000000000000ffff', 'hex');

/** Where the owner name at `off` ends, and whether it stays valid wherever the record moves. */
function owner(buf: Buffer, off: number, end: number, questionEnd: number): { stop: number; movable: boolean } {
  for (let pos = off; pos < end; ) {
    const len = buf[pos]!;
    if (len === 0) return { stop: pos + 1, movable: true };
    if ((len & 0xc0) === 0xc0) {
      const target = ((len & 0x3f) << 8) | (buf[pos + 1] ?? 0);
      return { stop: pos + 2, movable: pos === off && target < questionEnd };
    }
    pos += len + 1;
  }
  throw new RangeError('owner name runs past the reply');
}

/** The records of `reply`, or undefined when it holds anything but A and AAAA records. */
export function addressRecords(reply: PreparedReply, q: Query): RawSections | undefined {
  const buf = reply.bytes;
  const end = reply.offset + reply.length;
  let message: Buffer | undefined;
  const out: RawSections = [[], [], []];
  const counts = [reply.ancount, reply.nscount, reply.arcount];
  let off = reply.offset;
  try {
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < counts[s]!; i++) {
        const { stop, movable } = owner(buf, off, end, q.questionEnd);
        if (stop + 10 > end) return undefined;
        const type = buf.readUInt16BE(stop);
        const rdlen = buf.readUInt16BE(stop + 8);
        const rdEnd = stop + 10 + rdlen;
        if (rdEnd > end || !((type === QType.A && rdlen === 4) || (type === QType.AAAA && rdlen === 16))) return undefined;
        let name: Uint8Array = buf.subarray(off, stop);
        if (!movable) {
          // Pointers are message offsets: read the owner behind the question it was built for.
          message ??= Buffer.concat([q.raw.subarray(0, q.questionEnd), buf.subarray(reply.offset, end)]);
          name = encodeName(readName(message, q.questionEnd + (off - reply.offset)).name);
        }
        const rdata = buf.subarray(stop + 10, rdEnd);
        const ip = rdlen === 16 && rdata.subarray(0, 12).equals(MAPPED_PREFIX) ? rdata.subarray(12) : rdata;
        out[s]!.push({ type, owner: name, body: buf.subarray(stop, rdEnd), ip });
        off = rdEnd;
      }
    }
  } catch {
    return undefined;
  }
  return out;
}

/** A prepared reply like `like` holding `sections`. */
export function withRecords(like: PreparedReply, sections: RawSections): PreparedReply {
  const parts: Uint8Array[] = [];
  for (const section of sections) for (const r of section) parts.push(r.owner, r.body);
  return new PreparedReply(like.flags, sections[0].length, sections[1].length, sections[2].length, Buffer.concat(parts), like.questionLength);
}
