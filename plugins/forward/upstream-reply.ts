/**
 * An upstream's response as the reply exdns writes. The common case costs no copy and no
 * decode: the records after the question are passed on as they are, as a PreparedReply whose
 * bytes are the upstream message itself (the writer puts the client's own ID, flags and question
 * in front). OPT is hop-by-hop and left out (the writer adds exdns's own for EDNS clients).
 */
import { Flag, HEADER_SIZE, QType } from '../../src/wire/constants.js';
import { decodeMessage } from '../../src/wire/message.js';
import { skipName } from '../../src/wire/name.js';
import { PreparedReply, type Reply } from '../../src/wire/reply.js';

export interface UpstreamReply {
  /** Full rcode, extended bits from the OPT record included. */
  readonly rcode: number;
  readonly truncated: boolean;
  readonly answers: number;
  readonly reply: Reply;
}

/** Flag bits of an upstream reply that a forwarded reply keeps; the rest come from the client's query. */
const KEPT_FLAGS = Flag.AA | Flag.TC | Flag.RA | Flag.AD | 0xf;

/**
 * Reads a response whose header and question were already matched to the query (its question
 * ends at `questionEnd`, where the query's does). Returns undefined when the records do not
 * parse (CoreDNS's unpack error).
 */
export function readUpstreamReply(msg: Buffer, questionEnd: number): UpstreamReply | undefined {
  const flags = (msg[2]! << 8) | msg[3]!;
  const an = (msg[6]! << 8) | msg[7]!;
  const ns = (msg[8]! << 8) | msg[9]!;
  const ar = (msg[10]! << 8) | msg[11]!;
  let off = questionEnd;
  let optStart = -1;
  let optEnd = -1;
  let extRcode = 0;
  const total = an + ns + ar;
  try {
    for (let i = 0; i < total; i++) {
      const start = off;
      off = skipName(msg, off);
      if (off + 10 > msg.length) return undefined;
      const type = (msg[off]! << 8) | msg[off + 1]!;
      const end = off + 10 + ((msg[off + 8]! << 8) | msg[off + 9]!);
      if (end > msg.length) return undefined;
      if (type === QType.OPT && i >= an + ns) {
        optStart = start;
        optEnd = end;
        extRcode = msg[off + 4]!;
      }
      off = end;
    }
  } catch {
    return undefined;
  }
  const rcode = (extRcode << 4) | (flags & 0xf);
  const common = { rcode, truncated: (flags & Flag.TC) !== 0, answers: an };
  if (optStart < 0) {
    return { ...common, reply: new PreparedReply(flags & KEPT_FLAGS, an, ns, ar, msg, questionEnd - HEADER_SIZE, questionEnd, off - questionEnd) };
  }
  if (optEnd === off && extRcode === 0) {
    return { ...common, reply: new PreparedReply(flags & KEPT_FLAGS, an, ns, ar - 1, msg, questionEnd - HEADER_SIZE, questionEnd, optStart - questionEnd) };
  }
  // OPT in the middle of the additional section, or an extended rcode the prepared form cannot
  // carry: rare enough for a full decode (the writer re-encodes it and keeps the extended rcode).
  return { ...common, reply: decodeMessage(msg) };
}
