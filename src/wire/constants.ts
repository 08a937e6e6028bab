/** DNS wire constants (RFC 1035, 2136, 6891, 8482) with the mnemonic tables used in logs and metrics. */

export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
  BADVERS: 16,
  BADCOOKIE: 23,
} as const;

export const Opcode = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5 } as const;

export const QClass = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const;

export const QType = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, HINFO: 13, MX: 15, TXT: 16, AAAA: 28, SRV: 33,
  NAPTR: 35, DNAME: 39, OPT: 41, DS: 43, RRSIG: 46, NSEC: 47, DNSKEY: 48, NSEC3: 50,
  SVCB: 64, HTTPS: 65, SPF: 99, IXFR: 251, AXFR: 252, ANY: 255, CAA: 257,
} as const;

const typeNames = new Map<number, string>(Object.entries(QType).map(([k, v]) => [v, k]));
const typeNumbers = new Map<string, number>(Object.entries(QType).map(([k, v]) => [k, v]));
const rcodeNames = new Map<number, string>(Object.entries(Rcode).map(([k, v]) => [v, k]));
const rcodeNumbers = new Map<string, number>(Object.entries(Rcode).map(([k, v]) => [k, v]));
const classNames = new Map<number, string>(Object.entries(QClass).map(([k, v]) => [v, k]));
const classNumbers = new Map<string, number>(Object.entries(QClass).map(([k, v]) => [k, v]));

/** "A", "AAAA", ... or RFC 3597's "TYPE123" for types without a mnemonic. */
export function typeToString(t: number): string {
  return typeNames.get(t) ?? `TYPE${t}`;
}

/** Accepts mnemonics in any case and RFC 3597 "TYPEnnn"; undefined when unknown. */
export function stringToType(s: string): number | undefined {
  const u = s.toUpperCase();
  const known = typeNumbers.get(u);
  if (known !== undefined) return known;
  const m = /^TYPE(\d{1,5})$/.exec(u);
  if (m && Number(m[1]) <= 0xffff) return Number(m[1]);
  return undefined;
}

export function rcodeToString(r: number): string {
  return rcodeNames.get(r) ?? `RCODE${r}`;
}

export function stringToRcode(s: string): number | undefined {
  const u = s.toUpperCase();
  const known = rcodeNumbers.get(u);
  if (known !== undefined) return known;
  if (/^\d{1,4}$/.test(u) && Number(u) <= 4095) return Number(u);
  return undefined;
}

export function classToString(c: number): string {
  return classNames.get(c) ?? `CLASS${c}`;
}

export function stringToClass(s: string): number | undefined {
  const u = s.toUpperCase();
  const known = classNumbers.get(u);
  if (known !== undefined) return known;
  const m = /^CLASS(\d{1,5})$/.exec(u);
  if (m && Number(m[1]) <= 0xffff) return Number(m[1]);
  return undefined;
}

/** Codes a handler may return without having written: the server writes the reply (CoreDNS's ClientWrite contract). */
export function isUnwrittenErrorRcode(rcode: number): boolean {
  return rcode === Rcode.SERVFAIL || rcode === Rcode.REFUSED || rcode === Rcode.FORMERR || rcode === Rcode.NOTIMP;
}

/** Largest UDP payload exdns ever sends or advertises (DNS Flag Day 2020). */
export const MAX_UDP_PAYLOAD = 1232;
/** RFC 1035 UDP limit for clients without EDNS. */
export const MIN_UDP_PAYLOAD = 512;
export const HEADER_SIZE = 12;

/** Header flag bits in the 16-bit flags word (bytes 2..3). */
export const Flag = {
  QR: 0x8000,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  RA: 0x0080,
  Z: 0x0040,
  AD: 0x0020,
  CD: 0x0010,
} as const;

/**
 * Every rcode name miekg/dns knows (its StringToRcode), which Corefile options accept in any
 * case: the header rcodes plus the TSIG/EDNS ones (16 is both BADSIG and BADVERS).
 */
const RCODE_NAMES: ReadonlyMap<string, number> = new Map([
  ['NOERROR', 0],
  ['FORMERR', 1],
  ['SERVFAIL', 2],
  ['NXDOMAIN', 3],
  ['NOTIMP', 4],
  ['REFUSED', 5],
  ['YXDOMAIN', 6],
  ['YXRRSET', 7],
  ['NXRRSET', 8],
  ['NOTAUTH', 9],
  ['NOTZONE', 10],
  ['BADSIG', 16],
  ['BADVERS', 16],
  ['BADKEY', 17],
  ['BADTIME', 18],
  ['BADMODE', 19],
  ['BADNAME', 20],
  ['BADALG', 21],
  ['BADTRUNC', 22],
  ['BADCOOKIE', 23],
]);

/** An rcode by its miekg/dns name, any case; undefined when unknown. */
export function rcodeByName(s: string): number | undefined {
  return RCODE_NAMES.get(s.toUpperCase());
}
