/**
 * Answers in wire form, built when data changes and served as-is: one prepared reply per
 * (name, type) for names that hold records, and per zone the SOA, NS (with glue) and the
 * negative replies. Negative replies carry only the zone's SOA, written without compression,
 * so one buffer serves every question in the zone.
 */
import { Flag, HEADER_SIZE, QType, Rcode } from '../../src/wire/constants.js';
import { encodeName } from '../../src/wire/name.js';
import { ANY_QUESTION, PreparedReply } from '../../src/wire/reply.js';
import { RRWriter, rdata } from '../../src/wire/rrwriter.js';
import { Slab } from '../../src/wire/slab.js';
import type { MxData, RData, RecordSet, RRSet, SrvData } from './records.js';

/** Upstream's fixed SOA timers and the TTL of SOA and NS records. */
export const SOA_TIMERS = { refresh: 7200, retry: 1800, expire: 86400, minimum: 60 } as const;
export const SOA_TTL = 60;

function encodeRData(type: number, d: RData): Buffer {
  switch (type) {
    case QType.A:
      return rdata.a(d as string);
    case QType.AAAA:
      return rdata.aaaa(d as string);
    case QType.TXT:
      return rdata.txt(d as string);
    case QType.SRV: {
      const s = d as SrvData;
      return rdata.srv(s.priority, s.weight, s.port, s.target);
    }
    case QType.MX: {
      const m = d as MxData;
      return rdata.mx(m.preference, m.exchange);
    }
    default:
      return rdata.name(d as string);
  }
}

function writeSet(w: RRWriter, owner: string, set: RRSet): void {
  for (const d of set.data) w.rr(owner, set.type, set.ttl, encodeRData(set.type, d));
}

/** Where every prepared answer's bytes live (see slab.ts). */
const slab = new Slab();
/** Answers are built one at a time, synchronously: one writer serves them all. */
const scratch = new RRWriter(0, 512);

/** Replies by query type, as [type, reply, type, reply, ...]. */
type Typed = (number | PreparedReply)[];

/**
 * The prepared replies of one name. It is itself the reply for its first type: most names
 * answer one type, and one object per name instead of two (or a Map) saves both the memory and
 * a cache miss on every query.
 */
export class NameAnswers extends PreparedReply {
  private any: PreparedReply | undefined;
  private more: Typed | undefined;

  constructor(
    readonly name: string,
    readonly records: RecordSet,
    /** When the name is a CNAME: the reply for types the chain's end does not hold. */
    private readonly alias: PreparedReply | undefined,
    /** The type this object answers itself; its records were last written to `w`. */
    private readonly type0: number,
    w: RRWriter,
    base: number,
  ) {
    const len = w.length;
    const at = w.storeIn(slab);
    super(Flag.AA, w.count, 0, 0, slab.last, base - HEADER_SIZE, at, len);
  }

  /** Builders only: the reply for another type. */
  add(qtype: number, reply: PreparedReply): void {
    (this.more ??= []).push(qtype, reply);
  }

  /** The positive reply for this type, or undefined (NODATA). */
  get(qtype: number): PreparedReply | undefined {
    const r = qtype === this.type0 ? this : this.more === undefined ? undefined : this.find(this.more, qtype);
    if (this.alias !== undefined) return r ?? this.alias;
    if (r !== undefined || qtype !== QType.ANY) return r;
    // ANY is rare: every RRset, built on first use.
    if (this.any === undefined) {
      const base = HEADER_SIZE + encodeName(this.name).length + 4;
      const w = new RRWriter(base);
      for (const set of this.records.values()) writeSet(w, this.name, set);
      this.any = new PreparedReply(Flag.AA, w.count, 0, 0, w.finish(), base - HEADER_SIZE);
    }
    return this.any;
  }

  private find(more: Typed, qtype: number): PreparedReply | undefined {
    for (let i = 0; i < more.length; i += 2) if (more[i] === qtype) return more[i + 1] as PreparedReply;
    return undefined;
  }
}

/** A name reached by following a CNAME inside the index, with its records. */
export interface ChainLink {
  readonly name: string;
  readonly records: RecordSet;
}

/**
 * `chain`: for a CNAME name, the in-zone names its alias leads to (RFC 1034 §4.3.2: the server
 * follows the chain as far as its own data goes, so the client needs no second query).
 */
export function buildNameAnswers(name: string, records: RecordSet, chain: readonly ChainLink[] = []): NameAnswers {
  const base = HEADER_SIZE + encodeName(name).length + 4;
  const write = (sets: readonly [string, RRSet][]): RRWriter => {
    const w = scratch.reset(base);
    for (const [owner, set] of sets) writeSet(w, owner, set);
    return w;
  };
  const cname = records.get(QType.CNAME);
  if (cname === undefined) {
    let na: NameAnswers | undefined;
    for (const set of records.values()) {
      const w = write([[name, set]]);
      if (na === undefined) na = new NameAnswers(name, records, undefined, set.type, w, base);
      else na.add(set.type, stored(w, base));
    }
    return na!;
  }
  // The CNAME itself, then each alias in the chain; the last link's data answers by type.
  const aliases: [string, RRSet][] = [[name, cname]];
  let last: ChainLink | undefined;
  for (const link of chain) {
    const next = link.records.get(QType.CNAME);
    if (next === undefined) {
      last = link;
      break;
    }
    aliases.push([link.name, next]);
  }
  const alias = stored(write(aliases), base);
  const na = new NameAnswers(name, records, alias, QType.CNAME, write([[name, cname]]), base);
  if (last !== undefined) {
    for (const set of last.records.values()) {
      if (set.type !== QType.CNAME) na.add(set.type, stored(write([...aliases, [last.name, set]]), base));
    }
  }
  return na;
}

/** The writer's records as a positive reply, its bytes moved to the slab. */
function stored(w: RRWriter, base: number): PreparedReply {
  const len = w.length;
  const at = w.storeIn(slab);
  return new PreparedReply(Flag.AA, w.count, 0, 0, slab.last, base - HEADER_SIZE, at, len);
}

export interface ZoneSpec {
  readonly zone: string;
  /** `<apex>.<zone>`: SOA MNAME and first NS. */
  readonly apex: string;
  readonly secondary: string | undefined;
}

/** Per-zone replies; rebuilt when the serial or the nameservers' addresses change. */
export class ZoneAnswers {
  readonly soa: PreparedReply;
  readonly nodata: PreparedReply;
  readonly nxdomain: PreparedReply;
  readonly ns: PreparedReply;
  readonly soaRecord: string;
  /** The zone's nameservers: the apex name, then the secondary's. */
  readonly servers: readonly string[];

  constructor(
    readonly spec: ZoneSpec,
    readonly serial: number,
    glue: (name: string) => RecordSet | undefined,
  ) {
    const { zone, apex, secondary } = spec;
    const rname = `hostmaster.${apex}`;
    const t = SOA_TIMERS;
    const soaRdata = rdata.soa(apex, rname, serial, t.refresh, t.retry, t.expire, t.minimum);
    const soa = new RRWriter(-1).rr(zone, QType.SOA, SOA_TTL, soaRdata).finish();
    this.soaRecord = `${zone} ${SOA_TTL} IN SOA ${apex} ${rname} ${serial} ${t.refresh} ${t.retry} ${t.expire} ${t.minimum}`;
    this.soa = new PreparedReply(Flag.AA, 1, 0, 0, soa, ANY_QUESTION);
    this.nodata = new PreparedReply(Flag.AA, 0, 1, 0, soa, ANY_QUESTION);
    this.nxdomain = new PreparedReply(Flag.AA | Rcode.NXDOMAIN, 0, 1, 0, soa, ANY_QUESTION);

    this.servers = secondary === undefined ? [apex] : [apex, secondary];
    const w = new RRWriter(-1);
    for (const s of this.servers) w.rr(zone, QType.NS, SOA_TTL, rdata.name(s));
    const answers = w.count;
    for (const s of this.servers) {
      const rs = glue(s);
      for (const type of [QType.A, QType.AAAA]) {
        const set = rs?.get(type);
        if (set !== undefined) writeSet(w, s, set);
      }
    }
    this.ns = new PreparedReply(Flag.AA, answers, 0, w.count - answers, w.finish(), ANY_QUESTION);
  }
}
