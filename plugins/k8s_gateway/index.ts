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
import { fingerprint } from './fingerprint.js';
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

/**
 * One object. Its content is kept only while something may need to read it again: objects other
 * extractors join with, and objects whose own extraction joined (re-extracted when what they read
 * changes). Everything else is extracted once and remembered by fingerprint, which is all a relist
 * needs to skip it unchanged; at tens of thousands of objects that is most of the index's memory.
 */
class ObjectEntry {
  obj: KubeObject | undefined;
  /** Fingerprint of the last object, when `obj` is not kept. */
  fp0 = 0;
  fp1 = 0;
  /** Names (index keys) this object contributes to: one name as itself, the common case. */
  names: string | readonly string[] = NO_NAMES;
  deps: readonly string[] = NO_NAMES;

  constructor(
    readonly kind: ObjectKind,
    readonly key: string,
    obj: KubeObject,
  ) {
    this.obj = obj;
  }
}

const NO_HOSTS: readonly string[] = [];

/** What one object gives one name, filed under its precedence slot. */
interface Filed extends Contribution {
  readonly owner: ObjectEntry;
  readonly slot: number;
}

class NameNode {
  /**
   * Every contribution to this name, in arrival order; one is held as itself. Most names have a
   * single contributor, and an array (let alone a Map) per name would cost more than the data.
   */
  contribs: Filed | Filed[] | undefined;
  /** Forward names holding an address whose reverse name this is: name -> TTL. */
  ptr: Map<string, number> | undefined;
  records: RecordSet | undefined;
  /** For wildcard owners: the records of contributions whose wildcard reaches any depth. */
  recordsAny: RecordSet | undefined;
  hosts: readonly string[] = NO_HOSTS;

  add(c: Filed): void {
    const cur = this.contribs;
    if (cur === undefined) this.contribs = c;
    else if (Array.isArray(cur)) cur.push(c);
    else this.contribs = [cur, c];
  }

  withdraw(owner: ObjectEntry): void {
    const cur = this.contribs;
    if (cur === undefined) return;
    if (!Array.isArray(cur)) {
      if (cur.owner === owner) this.contribs = undefined;
      return;
    }
    const kept = cur.filter((c) => c.owner !== owner);
    this.contribs = kept.length === 0 ? undefined : kept.length === 1 ? kept[0] : kept;
  }

  /** Slots holding contributions, in precedence order. */
  slots(): number[] {
    const cur = this.contribs;
    if (cur === undefined) return [];
    if (!Array.isArray(cur)) return [cur.slot];
    return [...new Set(cur.map((c) => c.slot))].sort((a, b) => a - b);
  }

  list(): readonly Filed[] {
    const cur = this.contribs;
    return cur === undefined ? [] : Array.isArray(cur) ? cur : [cur];
  }

  isEmpty(): boolean {
    return this.contribs === undefined && (this.ptr === undefined || this.ptr.size === 0);
  }
}

/**
 * The one JoinContext of an index: extraction is synchronous and never nested, so a single
 * context records the reads of whichever object is being extracted (no closures per object).
 */
class Joins implements JoinContext {
  /** Dependency keys read by the extraction in progress. */
  private deps: Set<string> | undefined;

  constructor(private readonly objects: ReadonlyMap<ObjectKind, ReadonlyMap<string, ObjectEntry>>) {}

  /** The reads recorded since the last call, and a fresh start. */
  take(): Set<string> | undefined {
    const d = this.deps;
    this.deps = undefined;
    return d;
  }

  private read(dep: string): void {
    (this.deps ??= new Set()).add(dep);
  }

  get(kind: ObjectKind, namespace: string, name: string): KubeObject | undefined {
    const key = namespace ? `${namespace}/${name}` : name;
    this.read(`${kind}/${key}`);
    return this.objects.get(kind)?.get(key)?.obj;
  }

  endpointSlices(namespace: string, service: string): readonly KubeObject[] {
    this.read(`EndpointSlice/${namespace}/${service}`);
    const out: KubeObject[] = [];
    for (const e of this.objects.get('EndpointSlice')?.values() ?? []) {
      const m = e.obj?.metadata;
      if (m?.namespace === namespace && m.labels?.['kubernetes.io/service-name'] === service) out.push(e.obj!);
    }
    return out;
  }

  all(kind: ObjectKind): Iterable<KubeObject> {
    this.read(`all:${kind}`);
    const m = this.objects.get(kind);
    const out: KubeObject[] = [];
    if (m !== undefined) for (const e of m.values()) if (e.obj !== undefined) out.push(e.obj);
    return out;
  }
}

const REVERSE_SUFFIXES = ['in-addr.arpa.', 'ip6.arpa.'];

const NO_NAMES: readonly string[] = [];

/** Kinds other extractors read through the JoinContext: their objects are always kept. */
const JOINED_KINDS: ReadonlySet<ObjectKind> = new Set(['Gateway', 'IstioGateway', 'EndpointSlice']);

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

const LATIN1 = /^[\0-\xff]*$/;

/**
 * The key as one flat string. `namespace/name` is built by concatenation, which V8 keeps as a
 * tree of three strings: twice the memory of the flat text, for every object held. Kubernetes
 * names are ASCII; anything else is kept as it came.
 */
function flatKey(key: string): string {
  return LATIN1.test(key) ? Buffer.from(key, 'latin1').toString('latin1') : key;
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
  private readonly dependents = new Map<string, Set<ObjectEntry>>();
  private readonly joins: Joins;
  /** Kinds whose objects are kept whole (see ObjectEntry). */
  private readonly joined = new Set<ObjectKind>(JOINED_KINDS);
  /** Forward name -> hostnames it resolves through (resolve mode). */
  private readonly hostUsers = new Map<string, Set<string>>();
  private readonly slotOf = new Map<ObjectKind, number>();
  private readonly forwardZones: readonly string[];
  private readonly reverseZones: readonly string[];
  private readonly syncedKinds = new Set<ObjectKind>();
  private allSynced: boolean;
  private readonly dirty = new Set<string>();
  private readonly listeners: ChangeListener[] = [];
  private existing = 0;
  private resolvedHosts = new Map<string, { v4: readonly string[]; v6: readonly string[] }>();
  private batchDepth = 0;
  /** Objects whose joined objects changed in the current batch (see propagate). */
  private readonly stale = new Set<ObjectEntry>();

  constructor(
    readonly opts: IndexOptions,
    private readonly observer: IndexObserver = {},
  ) {
    opts.resources.forEach((k, i) => this.slotOf.set(k, i));
    const vs = this.slotOf.get('VirtualService');
    if (vs !== undefined) this.slotOf.set('IstioGateway', vs);
    // Istio Gateways select among every Service.
    if (vs !== undefined) this.joined.add('Service');
    this.joins = new Joins(this.objects);
    this.allSynced = opts.kinds.length === 0;
    this.forwardZones = opts.zones.filter((z) => !isReverseZone(z));
    this.reverseZones = opts.zones.filter(isReverseZone);
  }

  onChange(l: ChangeListener): void {
    this.listeners.push(l);
  }

  // ---- SourceSink ------------------------------------------------------------------------

  /** Returns how many objects were delivered. */
  replace(kind: ObjectKind, objects: Iterable<KubeObject>): number {
    let count = 0;
    this.batch(() => {
      const current = this.objects.get(kind) ?? new Map<string, ObjectEntry>();
      const seen = new Set<string>();
      for (const o of objects) {
        const key = objectKey(o);
        seen.add(key);
        this.put(kind, key, o);
        count++;
      }
      for (const key of [...current.keys()]) if (!seen.has(key)) this.remove(kind, key);
    });
    return count;
  }

  upsert(kind: ObjectKind, obj: KubeObject): void {
    this.batch(() => this.put(kind, objectKey(obj), obj));
  }

  delete(kind: ObjectKind, key: string): void {
    this.batch(() => this.remove(kind, key));
  }

  synced(kind: ObjectKind): void {
    this.syncedKinds.add(kind);
    this.allSynced = this.opts.kinds.every((k) => this.syncedKinds.has(k));
  }

  /** True once every delivered kind has had its first complete list (asked on every query). */
  get ready(): boolean {
    return this.allSynced;
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
    if (this.batchDepth === 0) {
      this.refreshStale();
      this.flush();
    }
  }

  private put(kind: ObjectKind, key: string, obj: KubeObject): void {
    let byKey = this.objects.get(kind);
    if (byKey === undefined) {
      byKey = new Map();
      this.objects.set(kind, byKey);
    }
    const prev = byKey.get(key);
    // Relists and file reloads repeat unchanged objects; they must cost no re-extraction.
    if (prev !== undefined && this.unchanged(prev, obj)) return;
    const oldDeps = prev === undefined ? NO_NAMES : this.changeKeys(kind, key, prev.obj);
    let entry = prev;
    if (entry === undefined) {
      entry = new ObjectEntry(kind, flatKey(key), obj);
      byKey.set(entry.key, entry);
      this.observer.objects?.(kind, byKey.size);
    } else {
      entry.obj = obj;
    }
    this.observer.update?.(kind);
    this.extract(entry);
    this.settle(entry, obj);
    this.propagate(entry, [...oldDeps, ...this.changeKeys(kind, key, obj)]);
  }

  private unchanged(prev: ObjectEntry, obj: KubeObject): boolean {
    if (prev.obj !== undefined) return sameValue(prev.obj, obj);
    const f = fingerprint(obj);
    return f.fp0 === prev.fp0 && f.fp1 === prev.fp1;
  }

  /** Keeps the object only while it may be read again (see ObjectEntry). */
  private settle(entry: ObjectEntry, obj: KubeObject): void {
    if (this.joined.has(entry.kind) || entry.deps.length > 0) {
      entry.obj = obj;
      return;
    }
    const f = fingerprint(obj);
    entry.fp0 = f.fp0;
    entry.fp1 = f.fp1;
    entry.obj = undefined;
  }

  private remove(kind: ObjectKind, key: string): void {
    const byKey = this.objects.get(kind);
    const entry = byKey?.get(key);
    if (byKey === undefined || entry === undefined) return;
    byKey.delete(key);
    this.observer.objects?.(kind, byKey.size);
    this.observer.update?.(kind);
    this.withdraw(entry);
    this.propagate(entry, this.changeKeys(kind, key, entry.obj));
  }

  /** Dependency keys a change of this object touches. */
  private changeKeys(kind: ObjectKind, key: string, obj: KubeObject | undefined): string[] {
    const keys = [`${kind}/${key}`, `all:${kind}`];
    if (kind === 'EndpointSlice' && obj !== undefined) {
      const svc = obj.metadata?.labels?.['kubernetes.io/service-name'];
      if (typeof svc === 'string') keys.push(`EndpointSlice/${obj.metadata?.namespace ?? ''}/${svc}`);
    }
    return keys;
  }

  /**
   * Marks the objects that read these keys for extraction again. That happens once, when the
   * batch ends: a relist of 10,000 Services must re-run each Istio Gateway (which reads every
   * Service) once, not once per Service.
   */
  private propagate(self: ObjectEntry, keys: readonly string[]): void {
    for (const k of keys) for (const e of this.dependents.get(k) ?? []) if (e !== self) this.stale.add(e);
    if (this.batchDepth === 0) this.refreshStale();
  }

  private refreshStale(): void {
    const todo = [...this.stale];
    this.stale.clear();
    for (const e of todo) {
      // Removed later in the same batch: its names are gone and must stay gone.
      if (this.objects.get(e.kind)?.get(e.key) !== e) continue;
      // Dependents keep their objects (settle), so there is always one to extract again.
      const obj = e.obj;
      if (obj === undefined) continue;
      this.extract(e);
      this.settle(e, obj);
    }
  }

  private withdraw(entry: ObjectEntry): void {
    const names = entry.names;
    if (typeof names === 'string') this.withdrawName(entry, names);
    else for (const name of names) this.withdrawName(entry, name);
    for (const d of entry.deps) {
      const set = this.dependents.get(d);
      set?.delete(entry);
      if (set !== undefined && set.size === 0) this.dependents.delete(d);
    }
    entry.names = NO_NAMES;
    entry.deps = NO_NAMES;
  }

  private withdrawName(entry: ObjectEntry, name: string): void {
    this.names.get(name)?.withdraw(entry);
    this.dirty.add(name);
  }

  private extractable(entry: ObjectEntry, obj: KubeObject): boolean {
    if (!this.slotOf.has(entry.kind)) return false;
    if (entry.kind === 'Service' && this.opts.acceptService !== undefined) return this.opts.acceptService(obj);
    return true;
  }

  /** Files the object's contributions under their names; `entry.obj` is the object to read. */
  private extract(entry: ObjectEntry): void {
    this.withdraw(entry);
    const obj = entry.obj;
    if (obj === undefined || !this.extractable(entry, obj)) return;
    const extractor = extractorFor(entry.kind);
    if (extractor === undefined) return;
    const joins = this.joins;
    joins.take();
    let result: Extraction;
    try {
      result = extractor(obj, joins, this.opts.extract);
    } catch (e) {
      // Extractors are written not to throw; if one does, the object is skipped, never the server.
      result = { names: [], problems: [{ reason: 'invalid_object', detail: `extraction failed: ${(e as Error).message}` }] };
    }
    const deps = joins.take();
    for (const p of result.problems) this.observer.problem?.(entry.kind, entry.key, p);
    const slot = this.slotOf.get(entry.kind)!;
    let names: string | string[] | undefined;
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
        // slice: extractors build their target lists by push, leaving spare capacity that would
        // otherwise be kept for as long as the object is.
        node.add({ owner: entry, slot, ttl: c.ttl, depth, targets: c.targets.slice() });
        if (names === undefined) names = key;
        else if (typeof names === 'string') names = names === key ? names : [names, key];
        else if (!names.includes(key)) names.push(key);
        this.dirty.add(key);
      }
    }
    entry.names = names ?? NO_NAMES;
    if (deps === undefined) return;
    entry.deps = [...deps];
    for (const d of deps) {
      let set = this.dependents.get(d);
      if (set === undefined) {
        set = new Set();
        this.dependents.set(d, set);
      }
      set.add(entry);
    }
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
    const all = node.list();
    // The first slot (in precedence order) whose contributions merge into records wins.
    for (const slot of node.slots()) {
      if (records === undefined) {
        const r = mergeContributions(all, opts, (c) => c.slot === slot);
        if (r.hosts.length > 0) (hosts ??= []).push(...r.hosts);
        this.reportConflicts(name, all, slot, r.conflicts);
        records = r.records;
      }
      if (wildcard && recordsAny === undefined) {
        const r = mergeContributions(all, opts, (c) => c.slot === slot && c.depth === 'any');
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

  private reportConflicts(name: string, all: readonly Filed[], slot: number, conflicts: readonly string[]): void {
    if (conflicts.length === 0) return;
    const entry = all.find((c) => c.slot === slot)!.owner;
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
