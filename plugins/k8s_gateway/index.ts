/**
 * The hostname index: Kubernetes objects in, one record set per DNS name out.
 *
 * Each object is extracted once when it arrives (never at query time); its contributions are
 * filed under the names they claim, per precedence slot (the `resources` order). A name's
 * records are those of the first slot with any data, merged across that slot's objects. Joins
 * (route -> Gateway, Service -> EndpointSlices, VirtualService -> Istio Gateway -> Services) are
 * recorded as dependencies while extracting, so a Gateway change re-extracts just its routes.
 * After every batch of changes, only the names touched are recomputed, and listeners hear which
 * names changed so prepared answers can follow.
 */
import { QType } from '../../src/wire/constants.js';
import { ipv6Bytes } from '../../src/wire/ip.js';
import { isSubdomain, parentName } from '../../src/wire/name.js';
import { extractorFor } from './extract/index.js';
import { canonicalIp } from './names.js';
import { type Contribution, type MergeOptions, mergeContributions, ptrRecords, type RecordSet, sameRecords } from './records.js';
import {
  type Extraction,
  type ExtractOptions,
  type JoinContext,
  type KubeObject,
  type ObjectKind,
  objectKey,
  type Problem,
  type ResourceKind,
  type SourceSink,
} from './types.js';

export interface IndexOptions {
  /** Plugin zones, lowercase FQDNs. */
  readonly zones: readonly string[];
  /** Precedence order. */
  readonly resources: readonly ResourceKind[];
  /** Object kinds the sources deliver (readiness waits for each). */
  readonly kinds: readonly ObjectKind[];
  readonly extract: ExtractOptions;
  readonly defaultTtl: number;
  readonly hostnameTargets: 'cname' | 'resolve';
  /** serviceLabelSelectors: a Service is indexed when this accepts it. */
  readonly acceptService?: (obj: KubeObject) => boolean;
}

/** Reports from the index, for logs and metrics. */
export interface IndexObserver {
  problem?(kind: ObjectKind, key: string, p: Problem): void;
  update?(kind: ObjectKind): void;
  objects?(kind: ObjectKind, count: number): void;
  names?(count: number): void;
  /** A hostname target is wanted (resolve mode) or no longer wanted. */
  hostWanted?(host: string, wanted: boolean): void;
}

export type ChangeListener = (changed: ReadonlySet<string>) => void;

interface ObjectEntry {
  readonly kind: ObjectKind;
  readonly key: string;
  obj: KubeObject;
  /** Names (index keys) this object contributes to. */
  names: string[];
  deps: string[];
}

const NO_HOSTS: readonly string[] = [];

class NameNode {
  /**
   * Per precedence slot, the contributions to this name (each names its object). Plain arrays:
   * most names have one contributor, and a Map per name would cost more than the data.
   */
  readonly slots: (Contribution[] | undefined)[] = [];
  /** Forward names holding an address whose reverse name this is: name -> TTL. */
  ptr: Map<string, number> | undefined;
  records: RecordSet | undefined;
  /** For wildcard owners: the records of contributions whose wildcard reaches any depth. */
  recordsAny: RecordSet | undefined;
  hosts: readonly string[] = NO_HOSTS;

  isEmpty(): boolean {
    return this.slots.every((s) => s === undefined || s.length === 0) && (this.ptr === undefined || this.ptr.size === 0);
  }
}

const REVERSE_SUFFIXES = ['in-addr.arpa.', 'ip6.arpa.'];

const NO_NAMES: string[] = [];

/** Deep equality of JSON-like values (objects from sources are plain data). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k) || !sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** Kinds whose names outside every zone are taken relative to each zone (see expand). */
const RELATIVE_KINDS: ReadonlySet<ObjectKind> = new Set(['Service', 'Node']);

/** A zone under in-addr.arpa or ip6.arpa: it holds PTR records for the forward names' addresses. */
export function isReverseZone(z: string): boolean {
  return REVERSE_SUFFIXES.some((s) => isSubdomain(s, z));
}

/** The reverse-lookup name of an address. */
export function reverseName(ip: string): string | undefined {
  const c = canonicalIp(ip);
  if (c === undefined) return undefined;
  if (c.family === 4) return c.ip.split('.').reverse().join('.') + '.in-addr.arpa.';
  return ipv6Bytes(c.ip)!.toString('hex').split('').reverse().join('.') + '.ip6.arpa.';
}

export class HostIndex implements SourceSink {
  private readonly objects = new Map<ObjectKind, Map<string, ObjectEntry>>();
  private readonly names = new Map<string, NameNode>();
  /** Name -> number of existing names strictly below it (empty non-terminals). */
  private readonly below = new Map<string, number>();
  private readonly dependents = new Map<string, Set<string>>();
  /** Objects by objId ("Kind/ns/name"). */
  private readonly byId = new Map<string, ObjectEntry>();
  /** Forward name -> hostnames it resolves through (resolve mode). */
  private readonly hostUsers = new Map<string, Set<string>>();
  private readonly slotOf = new Map<ObjectKind, number>();
  private readonly forwardZones: readonly string[];
  private readonly reverseZones: readonly string[];
  private readonly syncedKinds = new Set<ObjectKind>();
  private readonly dirty = new Set<string>();
  private readonly listeners: ChangeListener[] = [];
  private existing = 0;
  private resolvedHosts = new Map<string, { v4: readonly string[]; v6: readonly string[] }>();
  private batchDepth = 0;

  constructor(
    readonly opts: IndexOptions,
    private readonly observer: IndexObserver = {},
  ) {
    opts.resources.forEach((k, i) => this.slotOf.set(k, i));
    const vs = this.slotOf.get('VirtualService');
    if (vs !== undefined) this.slotOf.set('IstioGateway', vs);
    this.forwardZones = opts.zones.filter((z) => !isReverseZone(z));
    this.reverseZones = opts.zones.filter(isReverseZone);
  }

  onChange(l: ChangeListener): void {
    this.listeners.push(l);
  }

  // ---- SourceSink ------------------------------------------------------------------------

  replace(kind: ObjectKind, objects: readonly KubeObject[]): void {
    this.batch(() => {
      const current = this.objects.get(kind) ?? new Map<string, ObjectEntry>();
      const seen = new Set<string>();
      for (const o of objects) {
        const key = objectKey(o);
        seen.add(key);
        this.put(kind, key, o);
      }
      for (const key of [...current.keys()]) if (!seen.has(key)) this.remove(kind, key);
    });
  }

  upsert(kind: ObjectKind, obj: KubeObject): void {
    this.batch(() => this.put(kind, objectKey(obj), obj));
  }

  delete(kind: ObjectKind, key: string): void {
    this.batch(() => this.remove(kind, key));
  }

  synced(kind: ObjectKind): void {
    this.syncedKinds.add(kind);
  }

  /** True once every delivered kind has had its first complete list. */
  get ready(): boolean {
    for (const k of this.opts.kinds) if (!this.syncedKinds.has(k)) return false;
    return true;
  }

  isSynced(kind: ObjectKind): boolean {
    return this.syncedKinds.has(kind);
  }

  // ---- Queries -----------------------------------------------------------------------------

  /** Records at exactly this name (lowercase FQDN). */
  records(name: string): RecordSet | undefined {
    return this.names.get(name)?.records;
  }

  /** The name holds records or has names below it (so it is not NXDOMAIN). */
  exists(name: string): boolean {
    return this.names.get(name)?.records !== undefined || (this.below.get(name) ?? 0) > 0;
  }

  hasDescendants(name: string): boolean {
    return (this.below.get(name) ?? 0) > 0;
  }

  /** Records of the wildcard `*.<parent>`: `oneLevel` when the query is directly below parent. */
  wildcard(parent: string, oneLevel: boolean): RecordSet | undefined {
    const n = this.names.get(parent === '.' ? '*.' : '*.' + parent);
    if (n === undefined) return undefined;
    return oneLevel ? n.records : n.recordsAny;
  }

  /** Every name with records, for zone listings. */
  *entries(): IterableIterator<[string, RecordSet]> {
    for (const [name, n] of this.names) if (n.records !== undefined) yield [name, n.records];
  }

  get nameCount(): number {
    return this.existing;
  }

  // ---- Hostname resolution (resolve mode) ---------------------------------------------------

  /** New addresses for a hostname target: rebuild the names that use it. */
  setResolved(host: string, v4: readonly string[], v6: readonly string[]): void {
    this.resolvedHosts.set(host, { v4, v6 });
    const users = this.hostUsers.get(host);
    if (users === undefined) return;
    this.batch(() => {
      for (const n of users) this.dirty.add(n);
    });
  }

  // ---- Internals ---------------------------------------------------------------------------

  private batch(fn: () => void): void {
    this.batchDepth++;
    try {
      fn();
    } finally {
      this.batchDepth--;
    }
    if (this.batchDepth === 0) this.flush();
  }

  private put(kind: ObjectKind, key: string, obj: KubeObject): void {
    let byKey = this.objects.get(kind);
    if (byKey === undefined) {
      byKey = new Map();
      this.objects.set(kind, byKey);
    }
    const prev = byKey.get(key);
    // Relists and file reloads repeat unchanged objects; they must cost no re-extraction.
    if (prev !== undefined && sameValue(prev.obj, obj)) return;
    const oldDeps = prev === undefined ? [] : this.changeKeys(kind, key, prev.obj);
    let entry = prev;
    if (entry === undefined) {
      entry = { kind, key, obj, names: NO_NAMES, deps: NO_NAMES };
      byKey.set(key, entry);
      this.byId.set(`${kind}/${key}`, entry);
      this.observer.objects?.(kind, byKey.size);
    } else {
      entry.obj = obj;
    }
    this.observer.update?.(kind);
    this.extract(entry);
    this.propagate(kind, key, [...oldDeps, ...this.changeKeys(kind, key, obj)]);
  }

  private remove(kind: ObjectKind, key: string): void {
    const byKey = this.objects.get(kind);
    const entry = byKey?.get(key);
    if (byKey === undefined || entry === undefined) return;
    byKey.delete(key);
    this.byId.delete(`${kind}/${key}`);
    this.observer.objects?.(kind, byKey.size);
    this.observer.update?.(kind);
    this.withdraw(entry);
    this.propagate(kind, key, this.changeKeys(kind, key, entry.obj));
  }

  /** Dependency keys a change of this object touches. */
  private changeKeys(kind: ObjectKind, key: string, obj: KubeObject): string[] {
    const keys = [`${kind}/${key}`, `all:${kind}`];
    if (kind === 'EndpointSlice') {
      const svc = obj.metadata?.labels?.['kubernetes.io/service-name'];
      if (typeof svc === 'string') keys.push(`EndpointSlice/${obj.metadata?.namespace ?? ''}/${svc}`);
    }
    return keys;
  }

  private propagate(kind: ObjectKind, key: string, keys: readonly string[]): void {
    const self = `${kind}/${key}`;
    const todo = new Set<string>();
    for (const k of keys) for (const id of this.dependents.get(k) ?? []) if (id !== self) todo.add(id);
    for (const id of todo) {
      const e = this.byId.get(id);
      if (e !== undefined) this.extract(e);
    }
  }

  private withdraw(entry: ObjectEntry): void {
    const id = `${entry.kind}/${entry.key}`;
    const slot = this.slotOf.get(entry.kind);
    if (slot !== undefined) {
      for (const name of entry.names) {
        const node = this.names.get(name);
        const list = node?.slots[slot];
        if (node !== undefined && list !== undefined) node.slots[slot] = list.filter((c) => c.objId !== id);
        this.dirty.add(name);
      }
    }
    for (const d of entry.deps) {
      const set = this.dependents.get(d);
      set?.delete(id);
      if (set !== undefined && set.size === 0) this.dependents.delete(d);
    }
    entry.names = NO_NAMES;
    entry.deps = NO_NAMES;
  }

  private extractable(entry: ObjectEntry): boolean {
    if (!this.slotOf.has(entry.kind)) return false;
    if (entry.kind === 'Service' && this.opts.acceptService !== undefined) return this.opts.acceptService(entry.obj);
    return true;
  }

  private extract(entry: ObjectEntry): void {
    this.withdraw(entry);
    if (!this.extractable(entry)) return;
    const extractor = extractorFor(entry.kind);
    if (extractor === undefined) return;
    const deps = new Set<string>();
    const ctx = this.joinContext(deps);
    let result: Extraction;
    try {
      result = extractor(entry.obj, ctx, this.opts.extract);
    } catch (e) {
      // Extractors are written not to throw; if one does, the object is skipped, never the server.
      result = { names: [], problems: [{ reason: 'invalid_object', detail: `extraction failed: ${(e as Error).message}` }] };
    }
    for (const p of result.problems) this.observer.problem?.(entry.kind, entry.key, p);
    const id = `${entry.kind}/${entry.key}`;
    const slot = this.slotOf.get(entry.kind)!;
    const names = new Set<string>();
    const relative = RELATIVE_KINDS.has(entry.kind);
    for (const c of result.names) {
      const wild = c.name.startsWith('*.');
      const depth = wild ? (c.wildcard ?? 'one') : undefined;
      for (const key of this.expand(c.name, relative)) {
        if (key.length > 254) {
          this.observer.problem?.(entry.kind, entry.key, { reason: 'invalid_name', detail: `${key} is longer than 253 characters` });
          continue;
        }
        let node = this.names.get(key);
        if (node === undefined) {
          node = new NameNode();
          this.names.set(key, node);
        }
        const contribution: Contribution = { objId: id, ttl: c.ttl, depth, targets: c.targets };
        const list = node.slots[slot];
        if (list === undefined) node.slots[slot] = [contribution];
        else list.push(contribution);
        names.add(key);
        this.dirty.add(key);
      }
    }
    entry.names = names.size === 0 ? NO_NAMES : [...names];
    entry.deps = deps.size === 0 ? NO_NAMES : [...deps];
    for (const d of deps) {
      let set = this.dependents.get(d);
      if (set === undefined) {
        set = new Set();
        this.dependents.set(d, set);
      }
      set.add(id);
    }
  }

  private joinContext(deps: Set<string>): JoinContext {
    return {
      get: (kind, namespace, name) => {
        const key = namespace ? `${namespace}/${name}` : name;
        deps.add(`${kind}/${key}`);
        return this.objects.get(kind)?.get(key)?.obj;
      },
      endpointSlices: (namespace, service) => {
        deps.add(`EndpointSlice/${namespace}/${service}`);
        const out: KubeObject[] = [];
        for (const e of this.objects.get('EndpointSlice')?.values() ?? []) {
          const m = e.obj.metadata;
          if (m?.namespace === namespace && m.labels?.['kubernetes.io/service-name'] === service) out.push(e.obj);
        }
        return out;
      },
      all: (kind) => {
        deps.add(`all:${kind}`);
        const m = this.objects.get(kind);
        return m === undefined ? [] : [...m.values()].map((e) => e.obj);
      },
    };
  }

  /**
   * Index keys of a contributed name: itself when it lies in a zone. Outside every zone, names
   * of Services and Nodes are relative (upstream's `svc.namespace`, bare hostname annotations,
   * node hostnames) and live under every forward zone; other kinds' names are FQDNs that this
   * server is not authoritative for, so they are not served.
   */
  private expand(name: string, relative: boolean): string[] {
    const wild = name.startsWith('*.');
    const base = (wild ? name.slice(2) : name) + '.';
    let keys: string[];
    if (this.opts.zones.some((z) => isSubdomain(z, base))) keys = [base];
    else if (relative) keys = [...new Set(this.forwardZones.map((z) => (z === '.' ? base : base + z)))];
    else return [];
    return wild ? keys.map((k) => '*.' + k) : keys;
  }

  private isZoneApex(name: string): boolean {
    return this.opts.zones.includes(name);
  }

  private mergeOptions(name: string): MergeOptions {
    return {
      defaultTtl: this.opts.defaultTtl,
      hostnameTargets: this.opts.hostnameTargets,
      resolved: (h) => this.resolvedHosts.get(h),
      atZoneApex: this.isZoneApex(name),
    };
  }

  private compute(name: string, node: NameNode): void {
    const opts = this.mergeOptions(name);
    let records: RecordSet | undefined;
    let recordsAny: RecordSet | undefined;
    let hosts: string[] | undefined;
    const wildcard = name.startsWith('*.');
    for (const all of node.slots) {
      if (all === undefined || all.length === 0) continue;
      if (records === undefined) {
        const r = mergeContributions(all, opts);
        if (r.hosts.length > 0) (hosts ??= []).push(...r.hosts);
        this.reportConflicts(name, all, r.conflicts);
        records = r.records;
      }
      if (wildcard && recordsAny === undefined) {
        const r = mergeContributions(
          all.filter((c) => c.depth === 'any'),
          opts,
        );
        if (r.hosts.length > 0) (hosts ??= []).push(...r.hosts);
        recordsAny = r.records;
      }
      if (records !== undefined && (!wildcard || recordsAny !== undefined)) break;
    }
    if (records === undefined && node.ptr !== undefined) records = ptrRecords(node.ptr);
    node.recordsAny = recordsAny;
    this.trackHosts(name, node.hosts, hosts ?? NO_HOSTS);
    node.hosts = hosts ?? NO_HOSTS;
    node.records = records;
  }

  private reportConflicts(name: string, slot: readonly Contribution[], conflicts: readonly string[]): void {
    if (conflicts.length === 0) return;
    const entry = this.byId.get(slot[0]!.objId);
    if (entry === undefined) return;
    for (const c of conflicts) this.observer.problem?.(entry.kind, entry.key, { reason: 'conflict', detail: `${name}: ${c}` });
  }

  private trackHosts(name: string, before: readonly string[], after: readonly string[]): void {
    for (const h of before) {
      const s = this.hostUsers.get(h);
      s?.delete(name);
      if (s !== undefined && s.size === 0) {
        this.hostUsers.delete(h);
        this.observer.hostWanted?.(h, false);
      }
    }
    for (const h of after) {
      let s = this.hostUsers.get(h);
      if (s === undefined) {
        s = new Set();
        this.hostUsers.set(h, s);
        this.observer.hostWanted?.(h, true);
      }
      s.add(name);
    }
  }

  private flush(): void {
    if (this.dirty.size === 0) return;
    const changed = new Set<string>();
    while (this.dirty.size > 0) {
      const batch = [...this.dirty];
      this.dirty.clear();
      for (const name of batch) this.recompute(name, changed);
    }
    if (changed.size === 0) return;
    this.observer.names?.(this.existing);
    for (const l of this.listeners) l(changed);
  }

  private recompute(name: string, changed: Set<string>): void {
    const node = this.names.get(name);
    if (node === undefined) return;
    const before = node.records;
    const beforeAny = node.recordsAny;
    this.compute(name, node);
    if (!sameRecords(before, node.records) || !sameRecords(beforeAny, node.recordsAny)) {
      changed.add(name);
      const wasThere = before !== undefined || beforeAny !== undefined;
      const isThere = node.records !== undefined || node.recordsAny !== undefined;
      if (wasThere !== isThere) this.countExisting(name, isThere ? 1 : -1);
      if (!name.startsWith('*.')) this.updatePtr(name, before, node.records);
    }
    if (node.isEmpty() && node.records === undefined) {
      this.trackHosts(name, node.hosts, []);
      this.names.delete(name);
    }
  }

  /** Keeps the empty-non-terminal counts of every ancestor up to the root. */
  private countExisting(name: string, delta: 1 | -1): void {
    this.existing += delta;
    for (let p = parentName(name); p !== undefined; p = parentName(p)) {
      const n = (this.below.get(p) ?? 0) + delta;
      if (n <= 0) this.below.delete(p);
      else this.below.set(p, n);
    }
  }

  /** PTR records follow the A/AAAA records of forward names, inside the plugin's reverse zones. */
  private updatePtr(name: string, before: RecordSet | undefined, after: RecordSet | undefined): void {
    if (this.reverseZones.length === 0 || isReverseZone(name)) return;
    const ips = (rs: RecordSet | undefined): Map<string, number> => {
      const m = new Map<string, number>();
      for (const t of [QType.A, QType.AAAA]) {
        const set = rs?.get(t);
        if (set !== undefined) for (const d of set.data) m.set(d as string, set.ttl);
      }
      return m;
    };
    const old = ips(before);
    const now = ips(after);
    for (const ip of old.keys()) if (!now.has(ip)) this.setPtr(ip, name, undefined);
    for (const [ip, ttl] of now) if (old.get(ip) !== ttl) this.setPtr(ip, name, ttl);
  }

  private setPtr(ip: string, target: string, ttl: number | undefined): void {
    const rev = reverseName(ip);
    if (rev === undefined || !this.reverseZones.some((z) => isSubdomain(z, rev))) return;
    let node = this.names.get(rev);
    if (node === undefined) {
      if (ttl === undefined) return;
      node = new NameNode();
      this.names.set(rev, node);
    }
    node.ptr ??= new Map();
    if (ttl === undefined) node.ptr.delete(target);
    else node.ptr.set(target, ttl);
    this.dirty.add(rev);
  }
}
