/**
 * Response classes for the `class` filter, following CoreDNS's response.Typify and Classify:
 * answers with NOERROR and delegations are success; NXDOMAIN with an SOA and NODATA are denial;
 * everything else (SERVFAIL, REFUSED, NXDOMAIN without SOA, transfers, NOTIFY, UPDATE, nothing
 * written) is error.
 */
import type { Request } from '../../src/plugin/request.js';
import { Opcode, QType, Rcode } from '../../src/wire/constants.js';
import { skipName } from '../../src/wire/name.js';
import { PreparedReply, replyRcode, type Reply } from '../../src/wire/reply.js';

export type ResponseClass = 'success' | 'denial' | 'error';

/** Answer count and the authority section's record types of a reply. */
function sections(reply: Reply): { answers: number; authority: number[] } {
  if (!(reply instanceof PreparedReply)) return { answers: reply.answers.length, authority: reply.authorities.map((r) => r.type) };
  const tail = reply.tail;
  const authority: number[] = [];
  let off = 0;
  for (let i = 0; i < reply.ancount + reply.nscount; i++) {
    off = skipName(tail, off);
    if (i >= reply.ancount) authority.push(tail.readUInt16BE(off));
    off += 10 + tail.readUInt16BE(off + 8);
  }
  return { answers: reply.ancount, authority };
}

/** Class of the reply written for `req`; `undefined` (nothing written) is an error. */
export function classify(reply: Reply | undefined, req: Request): ResponseClass {
  if (reply === undefined) return 'error';
  const opcode = req.query.opcode;
  if (opcode === Opcode.UPDATE || opcode === Opcode.NOTIFY) return 'error'; // Update, Meta
  if (req.qtype === QType.AXFR || req.qtype === QType.IXFR) return 'error'; // Meta
  const rcode = replyRcode(reply);
  const { answers, authority } = sections(reply);
  if (answers > 0 && rcode === Rcode.NOERROR) return 'success';
  let soa = false;
  let ns = 0;
  for (const t of authority) {
    if (t === QType.SOA) soa = true;
    else if (t === QType.NS) ns++;
  }
  if (soa && (rcode === Rcode.NOERROR || rcode === Rcode.NXDOMAIN)) return 'denial'; // NoData, NameError
  if (rcode === Rcode.SERVFAIL || rcode === Rcode.NOTIMP) return 'error';
  if (ns > 0 && rcode === Rcode.NOERROR) return 'success'; // Delegation
  if (rcode === Rcode.NOERROR) return 'success';
  return 'error';
}
