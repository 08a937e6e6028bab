/**
 * CoreDNS's record orders for one section. round_robin: CNAMEs first (glibc wants the chain
 * before the addresses), then other records, then the A and AAAA records shuffled as one group,
 * then the MX records shuffled. prefer, applied after it to the answer and additional sections:
 * CNAMEs, then the addresses in the preferred subnets (subnet by subnet, in their shuffled
 * order), then the other addresses, then MX, then everything else.
 *
 * Records are anything with a type: decoded resources or raw wire records. Input arrays are never
 * modified: a plugin may have written a reply it keeps and writes again.
 */
import { QType } from '../../src/wire/constants.js';
import { contains, type Subnet } from './cidr.js';

export interface Typed {
  readonly type: number;
}

/** Groups in round_robin order. */
const CNAME = 0;
const OTHER = 1;
const ADDRESS = 2;
const MX = 3;

function group(type: number): number {
  switch (type) {
    case QType.CNAME:
      return CNAME;
    case QType.A:
    case QType.AAAA:
      return ADDRESS;
    case QType.MX:
      return MX;
    default:
      return OTHER;
  }
}

/** Position of each group in prefer's output. */
const PREFER_RANK = [0, 3, 1, 2];

/** A uniform shuffle in place. */
function shuffle<T>(a: T[], random: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

function partition<T extends Typed>(records: readonly T[]): [T[], T[], T[], T[]] {
  const groups: [T[], T[], T[], T[]] = [[], [], [], []];
  for (const r of records) groups[group(r.type)]!.push(r);
  return groups;
}

export function roundRobin<T extends Typed>(records: readonly T[], random: () => number): T[] {
  if (records.length < 2) return [...records];
  const [cname, other, address, mx] = partition(records);
  shuffle(address, random);
  shuffle(mx, random);
  return [...cname, ...other, ...address, ...mx];
}

/** `ipOf` gives an address record's address as cidr.addressBytes() does. */
export function preferSubnets<T extends Typed>(records: readonly T[], subnets: readonly Subnet[], ipOf: (r: T) => Buffer | undefined): T[] {
  const [cname, other, address, mx] = partition(records);
  const ips = address.map(ipOf);
  const taken = new Array<boolean>(address.length).fill(false);
  const preferred: T[] = [];
  for (const s of subnets) {
    address.forEach((r, i) => {
      const ip = ips[i];
      if (taken[i] || ip === undefined || !contains(s, ip)) return;
      taken[i] = true;
      preferred.push(r);
    });
  }
  return [...cname, ...preferred, ...address.filter((_, i) => !taken[i]), ...mx, ...other];
}

/**
 * True when reordering a section with these record types cannot change it: at most one address
 * and one MX (nothing to shuffle or sort) and the groups already in their output order.
 */
export function settled(types: readonly number[], prefer: boolean): boolean {
  let addresses = 0;
  let mxs = 0;
  let last = 0;
  for (const t of types) {
    const g = group(t);
    if (g === ADDRESS && ++addresses > 1) return false;
    if (g === MX && ++mxs > 1) return false;
    const rank = prefer ? PREFER_RANK[g]! : g;
    if (rank < last) return false;
    last = rank;
  }
  return true;
}
