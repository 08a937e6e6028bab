/**
 * Reading the records of a reply in wire form without decoding it: where every TTL sits, the
 * lowest TTL, what the authority section holds, and whether the answer section answers the
 * question along its CNAME chain (CoreDNS 1.14.7's answersQuestion).
 */
import { QType } from '../../src/wire/constants.js';
import { readName, skipName } from '../../src/wire/name.js';

export interface TailScan {
  /** Offsets in the tail of the TTL field of every record but OPT (its TTL holds EDNS flags). */
  readonly ttlOffsets: Uint32Array;
  /** Lowest TTL of the records other than OPT; undefined when there are none. */
  readonly minTtl: number | undefined;
  readonly authoritySoa: boolean;
  readonly authorityNs: number;
}

/** Walks the `total` records of `tail` (everything after the question). Throws on malformed bytes. */
export function scanTail(tail: Buffer, ancount: number, nscount: number, arcount: number): TailScan {
  const total = ancount + nscount + arcount;
  const offsets = new Uint32Array(total);
  let n = 0;
  let minTtl: number | undefined;
  let authoritySoa = false;
  let authorityNs = 0;
  let off = 0;
  for (let i = 0; i < total; i++) {
    off = skipName(tail, off);
    if (off + 10 > tail.length) throw new RangeError('record runs past the end of the reply');
    const type = tail.readUInt16BE(off);
    const end = off + 10 + tail.readUInt16BE(off + 8);
    if (end > tail.length) throw new RangeError('record data runs past the end of the reply');
    if (type !== QType.OPT) {
      offsets[n++] = off + 4;
      const ttl = tail.readUInt32BE(off + 4);
      if (minTtl === undefined || ttl < minTtl) minTtl = ttl;
    }
    if (i >= ancount && i < ancount + nscount) {
      if (type === QType.SOA) authoritySoa = true;
      else if (type === QType.NS) authorityNs++;
    }
    off = end;
  }
  return { ttlOffsets: offsets.subarray(0, n), minTtl, authoritySoa, authorityNs };
}

interface AnswerRecord {
  readonly owner: string;
  readonly type: number;
  readonly cls: number;
  /** Lowercased target of a CNAME. */
  readonly target: string | undefined;
}

function answerRecords(msg: Buffer, start: number, ancount: number): AnswerRecord[] {
  const out: AnswerRecord[] = [];
  let off = start;
  for (let i = 0; i < ancount; i++) {
    const owner = readName(msg, off, true);
    off = owner.end;
    const type = msg.readUInt16BE(off);
    const cls = msg.readUInt16BE(off + 2);
    const rdata = off + 10;
    const target = type === QType.CNAME ? readName(msg, rdata, true).name : undefined;
    out.push({ owner: owner.name, type, cls, target });
    off = rdata + msg.readUInt16BE(off + 8);
  }
  return out;
}

function classMatches(rrClass: number, qclass: number): boolean {
  return qclass === 255 || rrClass === qclass;
}

/** The one CNAME target of `owner`: '' for none, undefined when it has several different ones. */
function cnameTarget(answers: readonly AnswerRecord[], owner: string, qclass: number): string | undefined {
  let target = '';
  for (const r of answers) {
    if (r.type !== QType.CNAME || r.owner !== owner || !classMatches(r.cls, qclass)) continue;
    if (target !== '' && target !== r.target) return undefined;
    target = r.target!;
  }
  return target;
}

/**
 * True when the answer section holds the queried type at the end of the CNAME chain starting at
 * `qname` (a CNAME query needs one unambiguous target, ANY any record at `qname`). A loop or an
 * owner with two targets is no answer. `msg` is the whole reply: names may point into the question.
 */
export function answersQuestion(msg: Buffer, answerStart: number, ancount: number, qname: string, qtype: number, qclass: number): boolean {
  if (ancount === 0) return false;
  const answers = answerRecords(msg, answerStart, ancount);
  if (qtype === QType.ANY) return answers.some((r) => r.owner === qname && classMatches(r.cls, qclass));
  if (qtype === QType.CNAME) {
    const t = cnameTarget(answers, qname, qclass);
    return t !== undefined && t !== '';
  }
  const visited = new Set<string>();
  let name = qname;
  for (;;) {
    if (visited.has(name)) return false;
    visited.add(name);
    const t = cnameTarget(answers, name, qclass);
    if (t === undefined) return false;
    if (t === '') break;
    name = t;
  }
  return answers.some((r) => r.type === qtype && r.owner === name && classMatches(r.cls, qclass));
}
