/**
 * The records a name ends up with. Contributions of the winning kind are merged into one RRset
 * per type under the rules of sources.md 7.1: addresses beat hostnames, a CNAME stands alone,
 * duplicates collapse, each RRset takes the smallest TTL any contributor asked for.
 */
import { QType } from '../../src/wire/constants.js';
import type { Target } from './types.js';

export interface SrvData {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  readonly target: string;
}
export interface MxData {
  readonly preference: number;
  readonly exchange: string;
}
/** A, AAAA: the address text; CNAME, PTR, NS: a FQDN; TXT: the text. */
export type RData = string | SrvData | MxData;

export interface RRSet {
  readonly type: number;
  readonly ttl: number;
  readonly data: readonly RData[];
}

/**
 * The RRsets of one name, in a stable type order; never empty. A plain array behind a small
 * read-only view: a name holds one or two types, and a Map per name would cost several times
 * the records themselves once tens of thousands of names are loaded.
 */
export class RecordSet {
  /** One RRset is held as itself (most names hold one type). */
  private readonly sets: RRSet | readonly RRSet[];

  constructor(sets: readonly RRSet[]) {
    // slice: an array grown by push keeps spare capacity, and this one lives as long as the name.
    this.sets = sets.length === 1 ? sets[0]! : sets.slice();
  }

  get size(): number {
    return Array.isArray(this.sets) ? this.sets.length : 1;
  }

  get(type: number): RRSet | undefined {
    const sets = this.sets;
    if (!Array.isArray(sets)) return (sets as RRSet).type === type ? (sets as RRSet) : undefined;
    for (const s of sets as readonly RRSet[]) if (s.type === type) return s;
    return undefined;
  }

  values(): IterableIterator<RRSet> {
    const sets = this.sets;
    return Array.isArray(sets) ? (sets as readonly RRSet[]).values() : [sets as RRSet].values();
  }
}

export interface Contribution {
  /** The object that gave it (compared by identity when the object is withdrawn). */
  readonly owner: object;
  readonly ttl: number | undefined;
  readonly depth: 'one' | 'any' | undefined;
  readonly targets: readonly Target[];
}

export interface MergeOptions {
  readonly defaultTtl: number;
  /** `cname`: a hostname target becomes a CNAME; `resolve`: its background-resolved addresses. */
  readonly hostnameTargets: 'cname' | 'resolve';
  /** Addresses of a hostname target, when resolved (resolve mode). */
  resolved(host: string): { readonly v4: readonly string[]; readonly v6: readonly string[] } | undefined;
  /** A zone apex cannot hold a CNAME (it has SOA and NS). */
  readonly atZoneApex: boolean;
}

/** What merging found wrong, for logs and the conflict counter. */
export interface MergeResult {
  readonly records: RecordSet | undefined;
  readonly conflicts: readonly string[];
  /** Hostname targets read in resolve mode (the name must be rebuilt when they resolve anew). */
  readonly hosts: readonly string[];
}

/** Beyond this many values, duplicates are found through a Set instead of a scan. */
const SCAN_LIMIT = 8;

class Acc<T> {
  readonly values: T[] = [];
  private readonly keys: string[] = [];
  private seen: Set<string> | undefined;
  ttl = Infinity;
  add(key: string, v: T, ttl: number): void {
    if (ttl < this.ttl) this.ttl = ttl;
    // Most names hold one or two values: a scan beats building a Set for each of them.
    if (this.seen !== undefined) {
      if (this.seen.has(key)) return;
      this.seen.add(key);
    } else if (this.keys.includes(key)) {
      return;
    } else if (this.keys.length >= SCAN_LIMIT) {
      this.seen = new Set(this.keys);
      this.seen.add(key);
    }
    this.keys.push(key);
    this.values.push(v);
  }
  get size(): number {
    return this.values.length;
  }
  /** The values in an array of their own size (a grown array keeps spare capacity for good). */
  exact(): T[] {
    return this.values.slice();
  }
}

function fq(name: string): string {
  return name.endsWith('.') ? name : name + '.';
}

const NONE: readonly string[] = [];

/**
 * `filter`: only contributions it accepts count (a name's winning slot, or its any-depth
 * wildcards), so callers need no filtered copy of their list.
 */
export function mergeContributions<C extends Contribution>(
  contribs: Iterable<C>,
  opts: MergeOptions,
  filter?: (c: C) => boolean,
): MergeResult {
  // Accumulators only for the types present: this runs for every name at every load.
  let a: Acc<string> | undefined;
  let aaaa: Acc<string> | undefined;
  let txt: Acc<string> | undefined;
  let cname: Acc<string> | undefined;
  let host: Acc<string> | undefined;
  let srv: Acc<SrvData> | undefined;
  let mx: Acc<MxData> | undefined;
  for (const c of contribs) {
    if (filter !== undefined && !filter(c)) continue;
    const ttl = c.ttl ?? opts.defaultTtl;
    for (const t of c.targets) {
      switch (t.t) {
        case 'a':
          (a ??= new Acc()).add(t.ip, t.ip, ttl);
          break;
        case 'aaaa':
          (aaaa ??= new Acc()).add(t.ip, t.ip, ttl);
          break;
        case 'txt':
          (txt ??= new Acc()).add(t.text, t.text, ttl);
          break;
        case 'cname':
          (cname ??= new Acc()).add(t.name, fq(t.name), ttl);
          break;
        case 'host':
          (host ??= new Acc()).add(t.name, fq(t.name), ttl);
          break;
        case 'srv': {
          const v = { priority: t.priority, weight: t.weight, port: t.port, target: fq(t.target) };
          (srv ??= new Acc()).add(`${v.priority} ${v.weight} ${v.port} ${v.target}`, v, ttl);
          break;
        }
        case 'mx': {
          const v = { preference: t.preference, exchange: fq(t.exchange) };
          (mx ??= new Acc()).add(`${v.preference} ${v.exchange}`, v, ttl);
          break;
        }
      }
    }
  }
  return finishMerge(a, aaaa, txt, cname, host, srv, mx, opts);
}

function finishMerge(
  a: Acc<string> | undefined,
  aaaa: Acc<string> | undefined,
  txt: Acc<string> | undefined,
  cname: Acc<string> | undefined,
  host: Acc<string> | undefined,
  srv: Acc<SrvData> | undefined,
  mx: Acc<MxData> | undefined,
  opts: MergeOptions,
): MergeResult {
  let conflicts: string[] | undefined;
  let hosts: string[] | undefined;
  const addresses = (a?.size ?? 0) + (aaaa?.size ?? 0);
  // Addresses beat hostnames: a load balancer that reports both is reached by its IPs.
  if (host !== undefined && addresses === 0) {
    if (opts.hostnameTargets === 'resolve') {
      hosts = [];
      for (const h of host.values) {
        hosts.push(h);
        const r = opts.resolved(h);
        if (r === undefined) continue;
        for (const ip of r.v4) (a ??= new Acc()).add(ip, ip, host.ttl);
        for (const ip of r.v6) (aaaa ??= new Acc()).add(ip, ip, host.ttl);
      }
    } else if (opts.atZoneApex) {
      (conflicts ??= []).push(`hostname target ${host.values[0]} cannot be a CNAME at the zone apex (use hostnameTargets resolve)`);
    } else {
      cname ??= new Acc();
      for (const h of host.values) cname.add(h, h, host.ttl);
    }
  }
  if (cname !== undefined) {
    if ((a?.size ?? 0) + (aaaa?.size ?? 0) > 0) {
      (conflicts ??= []).push(`CNAME ${cname.values.join(', ')} dropped: the name has addresses`);
    } else if (opts.atZoneApex) {
      (conflicts ??= []).push(`CNAME ${cname.values[0]} dropped: a zone apex cannot hold a CNAME`);
    } else {
      const sorted = [...cname.values].sort();
      if (sorted.length > 1) (conflicts ??= []).push(`several CNAME targets (${sorted.join(', ')}); using ${sorted[0]}`);
      if ((txt?.size ?? 0) + (srv?.size ?? 0) + (mx?.size ?? 0) > 0) (conflicts ??= []).push(`CNAME ${sorted[0]} hides the name's other records`);
      const set: RRSet = { type: QType.CNAME, ttl: cname.ttl, data: [sorted[0]!] };
      return { records: new RecordSet([set]), conflicts: conflicts ?? NONE, hosts: hosts ?? NONE };
    }
  }
  const out: RRSet[] = [];
  if (a !== undefined && a.size > 0) out.push({ type: QType.A, ttl: a.ttl, data: a.exact() });
  if (aaaa !== undefined && aaaa.size > 0) out.push({ type: QType.AAAA, ttl: aaaa.ttl, data: aaaa.exact() });
  if (txt !== undefined && txt.size > 0) out.push({ type: QType.TXT, ttl: txt.ttl, data: txt.exact() });
  if (srv !== undefined && srv.size > 0) out.push({ type: QType.SRV, ttl: srv.ttl, data: srv.exact() });
  if (mx !== undefined && mx.size > 0) out.push({ type: QType.MX, ttl: mx.ttl, data: mx.exact() });
  return { records: out.length > 0 ? new RecordSet(out) : undefined, conflicts: conflicts ?? NONE, hosts: hosts ?? NONE };
}

/** A PTR RRset for reverse names, from the forward names holding the address. */
export function ptrRecords(names: ReadonlyMap<string, number>): RecordSet | undefined {
  if (names.size === 0) return undefined;
  const sorted = [...names.keys()].sort();
  let ttl = Infinity;
  for (const t of names.values()) if (t < ttl) ttl = t;
  return new RecordSet([{ type: QType.PTR, ttl, data: sorted }]);
}

/** Presentation form of one RDATA (RFC 1035 master-file syntax). */
export function rdataText(type: number, d: RData): string {
  if (typeof d === 'string') return type === QType.TXT ? quoteTxt(d) : d;
  if ('exchange' in d) return `${d.preference} ${d.exchange}`;
  return `${d.priority} ${d.weight} ${d.port} ${d.target}`;
}

/** TXT text as master-file character-strings, 255 bytes each, with escapes. */
export function quoteTxt(text: string): string {
  const raw = Buffer.from(text, 'utf8');
  const parts: string[] = [];
  for (let i = 0; i < raw.length || i === 0; i += 255) {
    let s = '';
    for (const b of raw.subarray(i, i + 255)) {
      if (b === 0x22 || b === 0x5c) s += '\\' + String.fromCharCode(b);
      else if (b < 0x20 || b > 0x7e) s += '\\' + String(b).padStart(3, '0');
      else s += String.fromCharCode(b);
    }
    parts.push(`"${s}"`);
    if (raw.length === 0) break;
  }
  return parts.join(' ');
}

/** Equal record sets (change detection: an unchanged name keeps its prepared answers). */
export function sameRecords(a: RecordSet | undefined, b: RecordSet | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.size !== b.size) return false;
  for (const x of a.values()) {
    const type = x.type;
    const y = b.get(type);
    if (y === undefined || x.ttl !== y.ttl || x.data.length !== y.data.length) return false;
    for (let i = 0; i < x.data.length; i++) {
      if (rdataText(type, x.data[i]!) !== rdataText(type, y.data[i]!)) return false;
    }
  }
  return true;
}
