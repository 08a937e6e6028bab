/** The `rcode` label of coredns_proxy_request_duration_seconds: miekg/dns's RcodeToString, else the number. */
const NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'NOERROR'],
  [1, 'FORMERR'],
  [2, 'SERVFAIL'],
  [3, 'NXDOMAIN'],
  [4, 'NOTIMP'],
  [5, 'REFUSED'],
  [6, 'YXDOMAIN'],
  [7, 'YXRRSET'],
  [8, 'NXRRSET'],
  [9, 'NOTAUTH'],
  [10, 'NOTZONE'],
  // 16 is both BADVERS and BADSIG; miekg's reverse map keeps BADSIG.
  [16, 'BADSIG'],
  [17, 'BADKEY'],
  [18, 'BADTIME'],
  [19, 'BADMODE'],
  [20, 'BADNAME'],
  [21, 'BADALG'],
  [22, 'BADTRUNC'],
  [23, 'BADCOOKIE'],
]);

export function rcodeLabel(rcode: number): string {
  return NAMES.get(rcode) ?? String(rcode);
}
