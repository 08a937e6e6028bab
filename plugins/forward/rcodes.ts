/** Rcode names the `next` and `failover` options accept: miekg/dns's StringToRcode (names only, any case). */
const BY_NAME: ReadonlyMap<string, number> = new Map([
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
  ['BADKEY', 17],
  ['BADTIME', 18],
  ['BADMODE', 19],
  ['BADNAME', 20],
  ['BADALG', 21],
  ['BADTRUNC', 22],
  ['BADCOOKIE', 23],
]);

export function rcodeByName(s: string): number | undefined {
  return BY_NAME.get(s.toUpperCase());
}
