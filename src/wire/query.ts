/**
 * The per-query fast path: read the header, the question and the OPT record of an incoming
 * message without decoding anything else. Everything a server needs to route, reject or answer
 * a query from prepared bytes is here; a full decode (dns2 Packet) happens only on demand.
 */
import { Flag, HEADER_SIZE, Opcode, QType, Rcode } from './constants.js';
import { NameError, readName, readPlainNameLower, skipName } from './name.js';

export interface Edns {
  /** Requestor's UDP payload size as sent (may be below 512). */
  udpSize: number;
  version: number;
  do: boolean;
  /** Offset of the OPT record in the query. */
  offset: number;
}

/** A query whose header, question and EDNS were read successfully. */
export class Query {
  constructor(
    /** The message as received (never mutated). */
    readonly raw: Buffer,
    readonly id: number,
    /** 16-bit header flags word as received. */
    readonly flags: number,
    /** Lowercased presentation name, fully qualified. */
    readonly name: string,
    readonly qtype: number,
    readonly qclass: number,
    /** Offset just past QCLASS: [12, questionEnd) is the question as the client sent it. */
    readonly questionEnd: number,
    readonly edns: Edns | undefined,
  ) {}

  get opcode(): number {
    return (this.flags >> 11) & 0xf;
  }
  get rd(): boolean {
    return (this.flags & Flag.RD) !== 0;
  }
  get cd(): boolean {
    return (this.flags & Flag.CD) !== 0;
  }
  get ad(): boolean {
    return (this.flags & Flag.AD) !== 0;
  }

  /** The question name with the client's letter case (0x20), presentation form. */
  get originalName(): string {
    return readName(this.raw, HEADER_SIZE).name;
  }
}

/** What to do with a message that is not a usable query. */
export type QueryRejection =
  | { readonly action: 'drop'; readonly reason: string }
  | { readonly action: 'reply'; readonly rcode: number; readonly reason: string };

const DROP_SHORT: QueryRejection = { action: 'drop', reason: 'shorter than a DNS header' };
const DROP_RESPONSE: QueryRejection = { action: 'drop', reason: 'message is a response (QR=1)' };

function formerr(reason: string): QueryRejection {
  return { action: 'reply', rcode: Rcode.FORMERR, reason };
}

/**
 * Reads a query. Returns a Query, or what to do instead: drop silently (too short, QR=1) or
 * reply header-only with NOTIMP (opcode) / FORMERR (counts, malformed question or records).
 * Never throws on any input.
 */
export function parseQuery(buf: Buffer): Query | QueryRejection {
  const len = buf.length;
  if (len < HEADER_SIZE) return DROP_SHORT;
  const flags = (buf[2]! << 8) | buf[3]!;
  if ((flags & Flag.QR) !== 0) return DROP_RESPONSE;
  const opcode = (flags >> 11) & 0xf;
  if (opcode !== Opcode.QUERY) return { action: 'reply', rcode: Rcode.NOTIMP, reason: `opcode ${opcode} not implemented` };
  const qdcount = (buf[4]! << 8) | buf[5]!;
  const ancount = (buf[6]! << 8) | buf[7]!;
  const nscount = (buf[8]! << 8) | buf[9]!;
  const arcount = (buf[10]! << 8) | buf[11]!;
  if (qdcount !== 1) return formerr(`qdcount ${qdcount}`);
  // Same acceptance limits as miekg/dns's DefaultMsgAcceptFunc, which CoreDNS runs before any plugin.
  if (ancount > 1 || nscount > 1 || arcount > 2) return formerr('too many records in a query');

  let name: string;
  let off: number;
  try {
    const r = readPlainNameLower(buf, HEADER_SIZE) ?? readName(buf, HEADER_SIZE, true);
    name = r.name;
    off = r.end;
  } catch (e) {
    return formerr(e instanceof NameError ? e.message : 'bad question name');
  }
  if (off + 4 > len) return formerr('question runs past end of message');
  const qtype = (buf[off]! << 8) | buf[off + 1]!;
  const qclass = (buf[off + 2]! << 8) | buf[off + 3]!;
  const questionEnd = off + 4;

  let edns: Edns | undefined;
  off = questionEnd;
  const total = ancount + nscount + arcount;
  for (let i = 0; i < total; i++) {
    const start = off;
    try {
      off = skipName(buf, off);
    } catch {
      return formerr('malformed record name');
    }
    if (off + 10 > len) return formerr('record runs past end of message');
    const type = (buf[off]! << 8) | buf[off + 1]!;
    const rdlen = (buf[off + 8]! << 8) | buf[off + 9]!;
    const rdEnd = off + 10 + rdlen;
    if (rdEnd > len) return formerr('record data runs past end of message');
    if (type === QType.OPT) {
      if (i < ancount + nscount) return formerr('OPT outside the additional section');
      if (edns !== undefined) return formerr('more than one OPT record');
      if (buf[start] !== 0) return formerr('OPT owner is not the root');
      if (!optionsWellFormed(buf, off + 10, rdEnd)) return formerr('malformed EDNS option');
      edns = {
        udpSize: (buf[off + 2]! << 8) | buf[off + 3]!,
        version: buf[off + 5]!,
        do: (buf[off + 6]! & 0x80) !== 0,
        offset: start,
      };
    }
    off = rdEnd;
  }
  return new Query(buf, (buf[0]! << 8) | buf[1]!, flags, name, qtype, qclass, questionEnd, edns);
}

function optionsWellFormed(buf: Buffer, off: number, end: number): boolean {
  while (off < end) {
    if (off + 4 > end) return false;
    const optLen = (buf[off + 2]! << 8) | buf[off + 3]!;
    off += 4 + optLen;
  }
  return off === end;
}

export function isQuery(q: Query | QueryRejection): q is Query {
  return q instanceof Query;
}
