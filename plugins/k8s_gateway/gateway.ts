/**
 * The k8s_gateway handler: answers in-zone queries from the index's prepared replies.
 *
 * Fast path: a name that holds records and a type it has cost one map lookup and a buffer
 * copy. Everything else (zone apex SOA/NS, NODATA, empty non-terminals, wildcards, NXDOMAIN,
 * fallthrough) takes the slow path below, which still only reads prepared buffers, except for
 * wildcard answers, which are synthesised once per name and kept in an LRU.
 */
import { LRUCache } from 'lru-cache';
import type { Fallthrough } from '../../src/plugin/fallthrough.js';
import { type Handler, nextOrFailure, PluginError } from '../../src/plugin/plugin.js';
import type { Request } from '../../src/plugin/request.js';
import type { PreparedAnswers } from '../../src/plugin/plugin.js';
import type { Query } from '../../src/wire/query.js';
import type { ResponseWriter } from '../../src/plugin/writer.js';
import { QType, Rcode } from '../../src/wire/constants.js';
import { isSubdomain, parentName } from '../../src/wire/name.js';
import type { PreparedReply } from '../../src/wire/reply.js';
import { buildNameAnswers, type ChainLink, type NameAnswers, ZoneAnswers, type ZoneSpec } from './answers.js';
import type { RecordSet } from './records.js';
import type { HostIndex } from './index.js';

export const name = 'k8s_gateway';

const WILDCARD_CACHE_SIZE = 10_000;
/** CNAME hops followed inside the index (CoreDNS's file plugin stops at 8 as well). */
const MAX_CHAIN = 8;

/** The answering state of one plugin instance, fed by its index. */
export class AnswerTable {
  private readonly names = new Map<string, NameAnswers>();
  /** CNAME chains inside the index: target -> names whose answer includes it, and back. */
  private readonly aliasUsers = new Map<string, Set<string>>();
  private readonly aliasTargets = new Map<string, string[]>();
  private readonly zones = new Map<string, ZoneAnswers>();
  /** Zones, longest first, so the first match is the most specific. */
  private readonly zoneOrder: readonly string[];
  private readonly wildcards = new LRUCache<string, NameAnswers>({ max: WILDCARD_CACHE_SIZE });
  private serial: number;

  constructor(
    readonly index: HostIndex,
    private readonly specs: readonly ZoneSpec[],
    readonly fallthrough: Fallthrough,
    now: () => number = Date.now,
  ) {
    this.zoneOrder = specs.map((s) => s.zone).sort((a, b) => b.length - a.length);
    this.serial = Math.floor(now() / 1000) >>> 0;
    this.rebuildZones();
    index.onChange((changed) => {
      const todo = new Set(changed);
      for (const n of changed) for (const user of this.aliasUsers.get(n) ?? []) todo.add(user);
      for (const n of todo) this.rebuild(n);
      this.wildcards.clear();
      this.serial = Math.max(this.serial + 1, Math.floor(now() / 1000)) >>> 0;
      this.rebuildZones();
    });
  }

  private rebuild(name: string): void {
    for (const t of this.aliasTargets.get(name) ?? []) this.aliasUsers.get(t)?.delete(name);
    this.aliasTargets.delete(name);
    const rs = this.index.records(name);
    if (rs === undefined) {
      this.names.delete(name);
      return;
    }
    const chain = this.chase(rs);
    if (chain.targets.length > 0) {
      this.aliasTargets.set(name, chain.targets);
      for (const t of chain.targets) {
        let users = this.aliasUsers.get(t);
        if (users === undefined) {
          users = new Set();
          this.aliasUsers.set(t, users);
        }
        users.add(name);
      }
    }
    this.names.set(name, buildNameAnswers(name, rs, chain.links));
  }

  /**
   * Follows a CNAME through the index, at most MAX_CHAIN hops and never in a loop. `targets`
   * lists every name looked up, found or not, so the answer is rebuilt when any of them changes.
   */
  private chase(rs: RecordSet): { links: ChainLink[]; targets: string[] } {
    const links: ChainLink[] = [];
    const targets: string[] = [];
    let cname = rs.get(QType.CNAME);
    while (cname !== undefined && links.length < MAX_CHAIN) {
      const target = cname.data[0] as string;
      if (targets.includes(target)) break;
      targets.push(target);
      const next = this.index.records(target);
      if (next === undefined) break;
      links.push({ name: target, records: next });
      cname = next.get(QType.CNAME);
    }
    return { links, targets };
  }

  get currentSerial(): number {
    return this.serial;
  }

  private rebuildZones(): void {
    for (const s of this.specs) this.zones.set(s.zone, new ZoneAnswers(s, this.serial, (n) => this.index.records(n)));
  }

  zoneOf(qname: string): string | undefined {
    for (const z of this.zoneOrder) if (isSubdomain(z, qname)) return z;
    return undefined;
  }

  zoneAnswers(zone: string): ZoneAnswers | undefined {
    return this.zones.get(zone);
  }

  /** The prepared positive reply, when the name holds records of this type. */
  fast(qname: string, qtype: number): PreparedReply | undefined {
    return this.names.get(qname)?.get(qtype);
  }

  /**
   * The reply for an in-zone query, or undefined when the query falls through to the next
   * plugin. `qname` is the lowercased FQDN.
   */
  answer(qname: string, qtype: number, zone: string): PreparedReply | undefined {
    const z = this.zones.get(zone)!;
    const na = this.names.get(qname);
    if (qname === zone) {
      // The zone's own SOA and NS are always ours to answer, fallthrough or not.
      if (qtype === QType.SOA) return z.soa;
      if (qtype === QType.NS) return z.ns;
      if (na !== undefined) return na.get(qtype) ?? z.nodata;
      return this.fallthrough.through(qname) ? undefined : z.nodata;
    }
    if (na !== undefined) return na.get(qtype) ?? z.nodata;
    // The nameservers' names exist even before their Services have addresses, and what lies
    // below it is never handed on (upstream's apex sub-tree).
    if (z.servers.includes(qname)) return z.nodata;
    if (isSubdomain(z.spec.apex, qname)) return z.nxdomain;
    // Its ancestors are then empty non-terminals: NXDOMAIN there would deny it (RFC 8020).
    if (this.index.hasDescendants(qname) || this.nameserverAncestor(qname, z)) {
      return this.fallthrough.through(qname) ? undefined : z.nodata;
    }
    const wild = this.wildcard(qname, zone);
    if (wild !== undefined) return wild.get(qtype) ?? z.nodata;
    return this.fallthrough.through(qname) ? undefined : z.nxdomain;
  }

  /** `name` lies above one of the zone's nameserver names (NS targets must resolve). */
  private nameserverAncestor(name: string, z: ZoneAnswers): boolean {
    return z.servers.some((s) => isSubdomain(name, s));
  }

  /**
   * RFC 4592: the closest encloser is the nearest existing ancestor; only `*.<closest encloser>`
   * may answer, and a one-label wildcard (Ingress style) only for names directly below it.
   */
  private wildcard(qname: string, zone: string): NameAnswers | undefined {
    const parent = parentName(qname);
    const z = this.zones.get(zone)!;
    for (let a = parent; a !== undefined; a = parentName(a)) {
      // The nameservers' names and their ancestors exist (see answer), Service or not.
      if (a === zone || this.index.exists(a) || this.nameserverAncestor(a, z)) {
        const rs = this.index.wildcard(a, a === parent);
        if (rs === undefined) return undefined;
        let na = this.wildcards.get(qname);
        if (na === undefined || na.records !== rs) {
          na = buildNameAnswers(qname, rs, this.chase(rs).links);
          this.wildcards.set(qname, na);
        }
        return na;
      }
    }
    return undefined;
  }
}

export class K8sGateway implements Handler, PreparedAnswers {
  readonly name = name;

  constructor(
    private readonly table: AnswerTable,
    private readonly ready: () => boolean,
    private readonly next: Handler | undefined,
  ) {}

  /** The fast path of serveDNS (the server may take it without calling serveDNS). */
  preparedReply(q: Query): PreparedReply | undefined {
    return this.fast(q.name, q.qtype);
  }

  private fast(qname: string, qtype: number): PreparedReply | undefined {
    const fast = this.table.fast(qname, qtype);
    return fast !== undefined && this.ready() ? fast : undefined;
  }

  async serveDNS(req: Request, w: ResponseWriter): Promise<number> {
    const qname = req.name;
    const qtype = req.qtype;
    const fast = this.fast(qname, qtype);
    if (fast !== undefined) {
      w.write(fast);
      return Rcode.NOERROR;
    }
    const zone = this.table.zoneOf(qname);
    if (zone === undefined) return nextOrFailure(name, this.next, req, w);
    if (!this.ready()) throw new PluginError(Rcode.SERVFAIL, `plugin/${name}: could not sync required resources`);
    const reply = this.table.answer(qname, qtype, zone);
    if (reply === undefined) return nextOrFailure(name, this.next, req, w);
    w.write(reply);
    return Rcode.NOERROR;
  }
}
