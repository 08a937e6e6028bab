/**
 * One cached reply in wire form: the bytes after the question with the offset of every TTL,
 * the time it was stored and its lifetime. A hit patches the TTLs in place (only when the
 * remaining seconds changed since the last hit) and hands out a PreparedReply over the same
 * bytes; the server's finalizeReply then copies them once, with the client's ID, question
 * (0x20 case), OPT and truncation. Writers finalise synchronously inside write(), so the next
 * patch never races a reply still being assembled.
 */
import { Flag } from '../../src/wire/constants.js';
import { PreparedReply } from '../../src/wire/reply.js';

/** RFC 2181 §8: TTLs are 31-bit. */
export const MAX_TTL = 0x7fffffff;

export class Entry {
  /** Hits with no gap longer than the prefetch window (CoreDNS's freq.Freq). */
  hits = 0;
  private lastHit = Number.NEGATIVE_INFINITY;
  /** A background refresh (prefetch, serve_stale immediate) is running. */
  refreshing = false;
  /** The TTL currently written in `tail`. */
  private written: number;
  private keepAd: PreparedReply | undefined;
  private clearAd: PreparedReply | undefined;

  constructor(
    /** AA, RA, AD and rcode bits of the stored reply. */
    readonly flags: number,
    readonly ancount: number,
    readonly nscount: number,
    readonly arcount: number,
    /** Everything after the question; every TTL in it is `written`. */
    readonly tail: Buffer,
    private readonly ttlOffsets: Uint32Array,
    /** Wire length of the question the tail was built for, or ANY_QUESTION. */
    readonly questionLength: number,
    /** Seconds the entry is fresh. */
    readonly origTtl: number,
    /** Clock reading (ms) when it was stored. */
    readonly stored: number,
  ) {
    this.written = origTtl;
  }

  get rcode(): number {
    return this.flags & 0xf;
  }

  /** Remaining seconds, negative once expired (CoreDNS truncates the elapsed seconds). */
  ttl(now: number): number {
    return this.origTtl - Math.trunc((now - this.stored) / 1000);
  }

  /**
   * The reply for a hit with every TTL set to `ttl`. Cached replies are always authoritative
   * (CoreDNS 1.14.7 sets AA on hits for old stub resolvers); AD is kept only for clients that
   * asked for DNSSEC or set AD themselves (RFC 6840 §5.7-5.8).
   */
  reply(ttl: number, keepAd: boolean): PreparedReply {
    if (ttl !== this.written) {
      const t = ttl < 0 ? 0 : ttl;
      const tail = this.tail;
      const offs = this.ttlOffsets;
      for (let i = 0; i < offs.length; i++) tail.writeUInt32BE(t, offs[i]!);
      this.written = ttl;
    }
    if (keepAd) return (this.keepAd ??= this.prepared(this.flags | Flag.AA));
    return (this.clearAd ??= this.prepared((this.flags | Flag.AA) & ~Flag.AD));
  }

  private prepared(flags: number): PreparedReply {
    return new PreparedReply(flags, this.ancount, this.nscount, this.arcount, this.tail, this.questionLength);
  }

  /** Counts a hit; returns the hits in the current run (a gap over `window` ms starts a new run). */
  touch(window: number, now: number): number {
    if (this.lastHit < now - window) this.hits = 1;
    else this.hits++;
    this.lastHit = now;
    return this.hits;
  }

  /** Carries the popularity of the entry this one replaced (after a prefetch). */
  inherit(hits: number, now: number): void {
    this.hits = hits;
    this.lastHit = now;
  }
}
