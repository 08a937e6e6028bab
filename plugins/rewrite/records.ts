/**
 * A reply taken apart into records the response rules can edit: owner names and the domain
 * names inside RDATA in presentation form, everything else kept as the bytes it was.
 */
import { QType } from '../../src/wire/constants.js';

export interface ReplyRecord {
  /** Owner name, presentation form with its trailing dot, letter case as written. */
  name: string;
  readonly type: number;
  readonly klass: number;
  ttl: number;
  /** Domain names inside the RDATA, decompressed; empty for types that hold none. */
  readonly names: string[];
  /**
   * RDATA bytes around the names: chunks[0] names[0] chunks[1] ... (the whole RDATA when there
   * are no names). Views into the reply being rewritten: valid while it is being rewritten.
   */
  readonly chunks: readonly Buffer[];
}

export interface ParsedReply {
  /** AA, TC, RA and AD as the reply had them. */
  flags: number;
  /** Full rcode, extended bits included. */
  rcode: number;
  readonly answer: ReplyRecord[];
  readonly authority: ReplyRecord[];
  readonly additional: ReplyRecord[];
}

/** One RDATA field: a fixed number of bytes, a character-string, or a domain name. */
export type Field = number | 'str' | 'name';

const NAME: readonly Field[] = ['name'];

/**
 * RDATA layouts of the types that hold domain names (RFC 1035, 1183, 2163, 2230, 2782, 3403,
 * 6672). These names may arrive compressed, so they are read as names; RDATA of other types is
 * copied as it is.
 */
export const LAYOUTS: ReadonlyMap<number, readonly Field[]> = new Map<number, readonly Field[]>([
  [QType.CNAME, NAME],
  [QType.NS, NAME],
  [QType.PTR, NAME],
  [QType.DNAME, NAME],
  [3, NAME], // MD
  [4, NAME], // MF
  [7, NAME], // MB
  [8, NAME], // MG
  [9, NAME], // MR
  [QType.MX, [2, 'name']],
  [18, [2, 'name']], // AFSDB
  [21, [2, 'name']], // RT
  [36, [2, 'name']], // KX
  [QType.SRV, [6, 'name']],
  [QType.SOA, ['name', 'name', 20]],
  [14, ['name', 'name']], // MINFO
  [17, ['name', 'name']], // RP
  [26, [2, 'name', 'name']], // PX
  [QType.NAPTR, [4, 'str', 'str', 'str', 'name']],
]);

/**
 * Types whose "value" `answer value` and `answer auto` rewrite: the first name of the RDATA
 * (CNAME, DNAME, NS and PTR targets, MX exchange, SRV target, NAPTR replacement, SOA MNAME), as
 * CoreDNS's getRecordValueForRewrite.
 */
const VALUE_TYPES: ReadonlySet<number> = new Set<number>([
  QType.CNAME,
  QType.DNAME,
  QType.NS,
  QType.PTR,
  QType.MX,
  QType.SRV,
  QType.NAPTR,
  QType.SOA,
]);

export function recordValue(rr: ReplyRecord): string | undefined {
  return VALUE_TYPES.has(rr.type) ? rr.names[0] : undefined;
}

export function setRecordValue(rr: ReplyRecord, value: string): void {
  rr.names[0] = value;
}
