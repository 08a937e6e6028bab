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

/** Type -> RRset, in a stable type order. Never empty when present. */
export type RecordSet = ReadonlyMap<number, RRSet>;

export interface Contribution {
  readonly objId: string;
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

class Acc<T> {
  readonly values: T[] = [];
  private readonly seen = new Set<string>();
  ttl = Infinity;
  add(key: string, v: T, ttl: number): void {
    if (ttl < this.ttl) this.ttl = ttl;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.values.push(v);
  }
  get size(): number {
    return this.values.length;
  }
}

function fq(name: string): string {
  return name.endsWith('.') ? name : name + '.';
}

export function mergeContributions(contribs: Iterable<Contribution>, opts: MergeOptions): MergeResult {
  const a = new Acc<string>();
  const aaaa = new Acc<string>();
  const txt = new Acc<string>();
  const cname = new Acc<string>();
  const host = new Acc<string>();
  const srv = new Acc<SrvData>();
  const mx = new Acc<MxData>();
  for (const c of contribs) {
    const ttl = c.ttl ?? opts.defaultTtl;
    for (const t of c.targets) {
      switch (t.t) {
        case 'a':
          a.add(t.ip, t.ip, ttl);
          break;
        case 'aaaa':
          aaaa.add(t.ip, t.ip, ttl);
          break;
        case 'txt':
          txt.add(t.text, t.text, ttl);
          break;
        case 'cname':
          cname.add(t.name, fq(t.name), ttl);
          break;
        case 'host':
          host.add(t.name, fq(t.name), ttl);
          break;
        case 'srv': {
          const v = { priority: t.priority, weight: t.weight, port: t.port, target: fq(t.target) };
          srv.add(`${v.priority} ${v.weight} ${v.port} ${v.target}`, v, ttl);
          break;
        }
        case 'mx': {
          const v = { preference: t.preference, exchange: fq(t.exchange) };
          mx.add(`${v.preference} ${v.exchange}`, v, ttl);
          break;
        }
      }
    }
  }
  const conflicts: string[] = [];
  const hosts: string[] = [];
  // Addresses beat hostnames: a load balancer that reports both is reached by its IPs.
  if (host.size > 0 && a.size + aaaa.size === 0) {
    if (opts.hostnameTargets === 'resolve') {
      for (const h of host.values) {
        hosts.push(h);
        const r = opts.resolved(h);
        if (r === undefined) continue;
        for (const ip of r.v4) a.add(ip, ip, host.ttl);
        for (const ip of r.v6) aaaa.add(ip, ip, host.ttl);
      }
    } else if (opts.atZoneApex) {
      conflicts.push(`hostname target ${host.values[0]} cannot be a CNAME at the zone apex (use hostnameTargets resolve)`);
    } else {
      for (const h of host.values) cname.add(h, h, host.ttl);
    }
  }
  if (cname.size > 0) {
    if (a.size + aaaa.size > 0) {
      conflicts.push(`CNAME ${cname.values.join(', ')} dropped: the name has addresses`);
    } else if (opts.atZoneApex) {
      conflicts.push(`CNAME ${cname.values[0]} dropped: a zone apex cannot hold a CNAME`);
    } else {
      const sorted = [...cname.values].sort();
      if (sorted.length > 1) conflicts.push(`several CNAME targets (${sorted.join(', ')}); using ${sorted[0]}`);
      if (txt.size + srv.size + mx.size > 0) conflicts.push(`CNAME ${sorted[0]} hides the name's other records`);
      return { records: new Map([[QType.CNAME, { type: QType.CNAME, ttl: cname.ttl, data: [sorted[0]!] }]]), conflicts, hosts };
    }
  }
  const out = new Map<number, RRSet>();
  if (a.size > 0) out.set(QType.A, { type: QType.A, ttl: a.ttl, data: a.values });
  if (aaaa.size > 0) out.set(QType.AAAA, { type: QType.AAAA, ttl: aaaa.ttl, data: aaaa.values });
  if (txt.size > 0) out.set(QType.TXT, { type: QType.TXT, ttl: txt.ttl, data: txt.values });
  if (srv.size > 0) out.set(QType.SRV, { type: QType.SRV, ttl: srv.ttl, data: srv.values });
  if (mx.size > 0) out.set(QType.MX, { type: QType.MX, ttl: mx.ttl, data: mx.values });
  return { records: out.size > 0 ? out : undefined, conflicts, hosts };
}

/** A PTR RRset for reverse names, from the forward names holding the address. */
export function ptrRecords(names: ReadonlyMap<string, number>): RecordSet | undefined {
  if (names.size === 0) return undefined;
  const sorted = [...names.keys()].sort();
  let ttl = Infinity;
  for (const t of names.values()) if (t < ttl) ttl = t;
  return new Map([[QType.PTR, { type: QType.PTR, ttl, data: sorted }]]);
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
  for (const [type, x] of a) {
    const y = b.get(type);
    if (y === undefined || x.ttl !== y.ttl || x.data.length !== y.data.length) return false;
    for (let i = 0; i < x.data.length; i++) {
      if (rdataText(type, x.data[i]!) !== rdataText(type, y.data[i]!)) return false;
    }
  }
  return true;
}
