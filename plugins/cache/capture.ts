/**
 * Turning the reply a plugin below the cache wrote into what the client gets and what the cache
 * keeps: the reply in wire form with every TTL rewritten to the cache lifetime (CoreDNS does
 * this on the miss path too, so TTLs never jump between a miss and the hits after it), and an
 * Entry over those same bytes when the reply may be cached.
 */
import type { Request } from '../../src/plugin/request.js';
import { Flag, HEADER_SIZE, QType } from '../../src/wire/constants.js';
import { fromDns2Name, type Message } from '../../src/wire/message.js';
import { lowerAscii } from '../../src/wire/name.js';
import { ANY_QUESTION, PreparedReply, type Reply, replyRcode } from '../../src/wire/reply.js';
import { cacheable, lifetime, type ReplyFacts, type ResponseType, responseType } from './classify.js';
import { Entry, MAX_TTL } from './entry.js';
import { answersQuestion, scanTail } from './scan.js';
import type { Config } from './setup.js';

export interface Captured {
  /** What to send to the client. */
  readonly reply: Reply;
  /** undefined when the reply was passed on unread (zone transfer, extended rcode, unreadable). */
  readonly type: ResponseType | undefined;
  readonly rcode: number;
  readonly truncated: boolean;
  /** The reply is for the request's question (CoreDNS's state.Match). */
  readonly matches: boolean;
  /** Set when the reply may be stored: cacheable, matching and with a lifetime above zero. */
  readonly entry: Entry | undefined;
  /** Cacheable but for another question (coredns_cache_drops_total). */
  readonly dropped: boolean;
}

function passed(reply: Reply, matches: boolean, truncated: boolean, dropped = false, type?: ResponseType): Captured {
  return { reply, type, rcode: replyRcode(reply), truncated, matches, entry: undefined, dropped };
}

/** Facts of a decoded message, for a reply that cannot be put in wire form for this question. */
function messageFacts(m: Message, rcode: number): ReplyFacts {
  let authoritySoa = false;
  let authorityNs = 0;
  for (const r of m.authorities) {
    if (r.type === QType.SOA) authoritySoa = true;
    else if (r.type === QType.NS) authorityNs++;
  }
  return { rcode, ancount: m.answers.length, authoritySoa, authorityNs, answers: () => true };
}

function sameQuestion(m: Message, req: Request): boolean {
  if (m.questions.length !== 1) return false;
  const q = m.questions[0]!;
  return q.type === req.qtype && q.class === req.qclass && lowerAscii(fromDns2Name(q.name)) === req.name;
}

/**
 * `keepAd`: the client asked for DNSSEC (DO) or set AD itself; otherwise AD is cleared in what
 * is sent (the entry keeps the bit for later clients that do).
 */
export function capture(reply: Reply, req: Request, config: Config, now: number, keepAd: boolean): Captured {
  const qtype = req.qtype;
  if (qtype === QType.AXFR || qtype === QType.IXFR) return passed(reply, true, false);
  const rcode = replyRcode(reply);
  // Extended rcodes (BADVERS, BADCOOKIE...) live in an OPT the wire form does not keep.
  if (rcode > 0xf) return passed(reply, true, false, false, 'other');
  const qLen = req.query.questionEnd - HEADER_SIZE;

  let prepared: PreparedReply;
  let tail: Buffer;
  if (reply instanceof PreparedReply) {
    if (reply.questionLength !== qLen && reply.questionLength !== ANY_QUESTION) return passed(reply, false, false);
    prepared = reply;
    // A copy: the TTL rewrite must not touch the producer's (shared, immutable) bytes.
    tail = Buffer.from(reply.tail);
  } else {
    const truncated = reply.header.tc === 1;
    if (!sameQuestion(reply, req)) {
      const facts = messageFacts(reply, rcode);
      const type = responseType(facts);
      const dropped = !truncated && cacheable(type, facts) && lifetime(type, 0, config) > 0;
      return passed(reply, false, truncated, dropped, type);
    }
    // PreparedReply has no TC bit to carry, and truncated replies are never stored anyway.
    if (truncated) return passed(reply, true, true);
    try {
      prepared = PreparedReply.fromMessage(reply);
    } catch {
      return passed(reply, true, false);
    }
    tail = prepared.tail;
  }

  const { ancount, nscount, arcount, questionLength } = prepared;
  let scan: ReturnType<typeof scanTail>;
  try {
    scan = scanTail(tail, ancount, nscount, arcount);
  } catch {
    return passed(reply, true, (prepared.flags & Flag.TC) !== 0);
  }
  const truncated = (prepared.flags & Flag.TC) !== 0;
  let answered: boolean | undefined;
  const facts: ReplyFacts = {
    rcode,
    ancount,
    authoritySoa: scan.authoritySoa,
    authorityNs: scan.authorityNs,
    answers() {
      if (answered === undefined) {
        const qEnd = req.query.questionEnd;
        // Names in the tail may point into the question: read them in a whole message.
        const msg = Buffer.concat([req.query.raw.subarray(0, qEnd), tail]);
        try {
          answered = answersQuestion(msg, qEnd, ancount, req.name, qtype, req.qclass);
        } catch {
          answered = false;
        }
      }
      return answered;
    },
  };
  const type = responseType(facts);
  const duration = lifetime(type, scan.minTtl, config);
  const ttl = Math.min(Math.trunc(duration), MAX_TTL);
  for (const off of scan.ttlOffsets) tail.writeUInt32BE(ttl, off);

  const flags = prepared.flags;
  const entry =
    !truncated && duration > 0 && cacheable(type, facts)
      ? new Entry(flags, ancount, nscount, arcount, tail, scan.ttlOffsets, questionLength, ttl, now)
      : undefined;
  const sendFlags = keepAd ? flags : flags & ~Flag.AD;
  const out = new PreparedReply(sendFlags, ancount, nscount, arcount, tail, questionLength);
  return { reply: out, type, rcode, truncated, matches: true, entry, dropped: false };
}
