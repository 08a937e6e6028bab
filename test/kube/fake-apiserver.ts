/**
 * A scripted fake Kubernetes API server for driving the k8s_gateway Kubernetes source
 * deterministically: plain HTTP on 127.0.0.1 (ephemeral port, kept across `down()`/`up()`),
 * an in-memory store per resource with one global resourceVersion counter, paginated and
 * label-filtered lists, watch streams of newline-delimited JSON events, compaction (410),
 * bookmarks, CustomResourceDefinitions that come and go, `/readyz`, and knobs to fail, hang or
 * count requests.
 *
 * What it mimics from a real kube-apiserver (libraries.md section 2, kube-testbed.md section 5):
 * - list items of built-in kinds carry no `kind`/`apiVersion` (watch event objects do);
 * - `limit` + `continue` paginate over one snapshot taken at the first page, whose
 *   resourceVersion every page reports; a continue token older than the compaction point is a
 *   410 Expired;
 * - a watch from a resourceVersion replays every later change, then streams live ones; from one
 *   older than the compaction point it answers 200 then an in-stream ERROR 410;
 * - a label-filtered watch turns a MODIFIED that leaves the selector into DELETED and one that
 *   enters it into ADDED (the watch cache's filtering);
 * - a CRD's collections answer 404 unless the CRD exists, is Established and serves that version;
 *   deleting the CRD ends the watches on it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface FakeMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  [field: string]: unknown;
}

export interface FakeObject {
  apiVersion?: string;
  kind?: string;
  metadata: FakeMeta;
  [field: string]: unknown;
}

/** A request as the fake saw it. */
export interface RecordedRequest {
  readonly method: string;
  /** URL path without the query. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: http.IncomingHttpHeaders;
  /** `watch=1` / `watch=true`. */
  readonly watch: boolean;
  readonly at: number;
}

/** Which requests a rule applies to: an exact path, or any test. */
export type RequestMatch = string | ((r: RecordedRequest) => boolean);

export interface CrdVersion {
  readonly name: string;
  readonly served: boolean;
}

export interface CrdSpec {
  readonly group: string;
  readonly plural: string;
  readonly kind: string;
  /** Default: v1 only. Strings are served versions. */
  readonly versions?: readonly (string | CrdVersion)[];
  /** Default true. */
  readonly established?: boolean;
  /** Default true. */
  readonly namespaced?: boolean;
}

interface Resource {
  readonly group: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** Built-in kinds: the one version served. */
  readonly builtinVersion?: string;
}

interface Change {
  readonly rv: number;
  readonly store: string;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: FakeObject;
  /** MODIFIED: the object before. */
  readonly prev?: FakeObject;
}

interface Watcher {
  readonly store: string;
  readonly resource: Resource;
  readonly version: string;
  readonly selector: Selector;
  readonly bookmarks: boolean;
  readonly res: http.ServerResponse;
  readonly request: RecordedRequest;
  hung: boolean;
  timer: NodeJS.Timeout | undefined;
}

interface Snapshot {
  readonly rv: number;
  readonly items: FakeObject[];
}

interface Rule {
  readonly match: RequestMatch;
  remaining: number;
}

const BUILTIN: readonly Resource[] = [
  { group: '', plural: 'services', kind: 'Service', namespaced: true, builtinVersion: 'v1' },
  { group: '', plural: 'nodes', kind: 'Node', namespaced: false, builtinVersion: 'v1' },
  { group: '', plural: 'namespaces', kind: 'Namespace', namespaced: false, builtinVersion: 'v1' },
  { group: 'discovery.k8s.io', plural: 'endpointslices', kind: 'EndpointSlice', namespaced: true, builtinVersion: 'v1' },
  { group: 'networking.k8s.io', plural: 'ingresses', kind: 'Ingress', namespaced: true, builtinVersion: 'v1' },
];

const CRD_PREFIX = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/';

// ---- label selectors (equality, inequality, existence; comma = and) ------------------------------

type Requirement = { key: string; op: '=' | '!=' | 'exists' | '!exists'; value: string };
type Selector = readonly Requirement[];

export function parseSelector(text: string | null): Selector {
  if (text === null || text.trim() === '') return [];
  return text.split(',').map((part): Requirement => {
    const p = part.trim();
    let m = /^([^=!\s]+)\s*!=\s*(\S*)$/.exec(p);
    if (m) return { key: m[1]!, op: '!=', value: m[2]! };
    m = /^([^=!\s]+)\s*==?\s*(\S*)$/.exec(p);
    if (m) return { key: m[1]!, op: '=', value: m[2]! };
    if (p.startsWith('!')) return { key: p.slice(1).trim(), op: '!exists', value: '' };
    if (/^[^=!\s]+$/.test(p)) return { key: p, op: 'exists', value: '' };
    throw new Error(`fake apiserver: unsupported label selector ${JSON.stringify(text)}`);
  });
}

function selects(sel: Selector, obj: FakeObject | undefined): boolean {
  if (obj === undefined) return false;
  const labels = obj.metadata.labels ?? {};
  return sel.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    switch (r.op) {
      case '=':
        return has && labels[r.key] === r.value;
      case '!=':
        return !has || labels[r.key] !== r.value;
      case 'exists':
        return has;
      case '!exists':
        return !has;
    }
  });
}

// ---- helpers -------------------------------------------------------------------------------------

function clone<T>(v: T): T {
  return structuredClone(v);
}

function keyOf(obj: FakeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}

function storeKey(r: Resource): string {
  return `${r.group}/${r.plural}`;
}

function apiVersionOf(r: Resource, version: string): string {
  return r.group === '' ? version : `${r.group}/${version}`;
}

export function statusBody(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  410: 'Expired',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

export class FakeApiServer {
  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = [];
  /** Called for each request before it is answered (after it is recorded): a hook to act between pages. */
  beforeRequest: ((r: RecordedRequest) => void) | undefined;
  /** Status of `/readyz` (200 by default). */
  readyzStatus = 200;
  /** When set, every request but /readyz must carry `Authorization: Bearer <token>` (else 401). */
  token: string | undefined;
  /** When set, watch streams end right after their headers (a misbehaving proxy). */
  watchesEndAtOnce = false;

  private rvCounter = 100;
  private compactedRv = 0;
  private readonly stores = new Map<string, Map<string, FakeObject>>();
  private readonly history: Change[] = [];
  private readonly crds = new Map<string, FakeObject>();
  private readonly watchers = new Set<Watcher>();
  private readonly snapshots = new Map<number, Snapshot>();
  private snapshotSeq = 0;
  private readonly failRules: (Rule & { status: number; message: string })[] = [];
  private readonly hangRules: Rule[] = [];
  private readonly delayRules: (Rule & { ms: number })[] = [];
  private hangingWatches = false;
  private readonly sockets = new Set<net.Socket>();
  private readonly hungResponses = new Set<http.ServerResponse>();
  private server: http.Server | undefined;
  private portNumber = 0;

  /** Starts on an ephemeral port of 127.0.0.1. */
  static async start(): Promise<FakeApiServer> {
    const f = new FakeApiServer();
    await f.up();
    return f;
  }

  get port(): number {
    return this.portNumber;
  }

  get url(): string {
    return `http://127.0.0.1:${this.portNumber}`;
  }

  get resourceVersion(): string {
    return String(this.rvCounter);
  }

  get isUp(): boolean {
    return this.server !== undefined;
  }

  /** Listens again, on the same port as before (ephemeral the first time). */
  async up(): Promise<void> {
    if (this.server) return;
    const server = http.createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 60_000;
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.portNumber, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.portNumber = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and destroys every connection (clients see resets / refused connections). */
  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const w of this.watchers) clearTimeout(w.timer);
    this.watchers.clear();
    this.hungResponses.clear();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }

  /** Final cleanup. */
  async close(): Promise<void> {
    await this.down();
  }

  // ---- store ---------------------------------------------------------------------------------------

  /** Creates an object in the collection at `collectionPath` (any served version of a CRD). */
  create(collectionPath: string, obj: FakeObject): FakeObject {
    const { resource } = this.resolveForWrite(collectionPath);
    const store = this.store(resource);
    const key = keyOf(obj);
    if (store.has(key)) throw new Error(`fake apiserver: ${collectionPath} ${key} already exists`);
    const stored = this.stamp(resource, obj);
    store.set(key, stored);
    this.emit({ rv: this.rvCounter, store: storeKey(resource), type: 'ADDED', object: stored });
    return clone(stored);
  }

  /** Replaces an existing object (a MODIFIED event). */
  update(collectionPath: string, obj: FakeObject): FakeObject {
    const { resource } = this.resolveForWrite(collectionPath);
    const store = this.store(resource);
    const key = keyOf(obj);
    const prev = store.get(key);
    if (prev === undefined) throw new Error(`fake apiserver: ${collectionPath} ${key} does not exist`);
    const stored = this.stamp(resource, obj);
    store.set(key, stored);
    this.emit({ rv: this.rvCounter, store: storeKey(resource), type: 'MODIFIED', object: stored, prev });
    return clone(stored);
  }

  /** Changes an existing object in place through `edit` (a MODIFIED event). */
  modify(collectionPath: string, key: string, edit: (obj: FakeObject) => void): FakeObject {
    const current = this.get(collectionPath, key);
    if (current === undefined) throw new Error(`fake apiserver: ${collectionPath} ${key} does not exist`);
    edit(current);
    return this.update(collectionPath, current);
  }

  /** Creates or updates. */
  apply(collectionPath: string, obj: FakeObject): FakeObject {
    return this.get(collectionPath, keyOf(obj)) === undefined ? this.create(collectionPath, obj) : this.update(collectionPath, obj);
  }

  /** Deletes `namespace/name` (or `name`); a DELETED event carrying the last state. */
  delete(collectionPath: string, key: string): void {
    const { resource } = this.resolveForWrite(collectionPath);
    const store = this.store(resource);
    const prev = store.get(key);
    if (prev === undefined) throw new Error(`fake apiserver: ${collectionPath} ${key} does not exist`);
    store.delete(key);
    this.rvCounter++;
    const gone = clone(prev);
    gone.metadata.resourceVersion = String(this.rvCounter);
    this.emit({ rv: this.rvCounter, store: storeKey(resource), type: 'DELETED', object: gone });
  }

  get(collectionPath: string, key: string): FakeObject | undefined {
    const { resource } = this.resolveForWrite(collectionPath);
    const o = this.store(resource).get(key);
    return o === undefined ? undefined : clone(o);
  }

  /** Keys currently stored in a collection, sorted. */
  keys(collectionPath: string): string[] {
    const { resource } = this.resolveForWrite(collectionPath);
    return [...this.store(resource).keys()].sort();
  }

  /** Advances the global resourceVersion without touching any watched collection (a change elsewhere). */
  bump(): string {
    return String(++this.rvCounter);
  }

  /**
   * Forgets history before `rv` (default: now): watches from an older resourceVersion get an
   * in-stream 410, continue tokens of older snapshots a 410.
   */
  compact(rv: string | number = this.rvCounter): void {
    this.compactedRv = Number(rv);
    while (this.history.length > 0 && this.history[0]!.rv <= this.compactedRv) this.history.shift();
  }

  // ---- CRDs ----------------------------------------------------------------------------------------

  /** Installs (or replaces) a CustomResourceDefinition; its collections start empty unless it existed. */
  installCrd(spec: CrdSpec): void {
    const name = `${spec.plural}.${spec.group}`;
    const versions = (spec.versions ?? ['v1']).map((v) => (typeof v === 'string' ? { name: v, served: true } : v));
    this.rvCounter++;
    this.crds.set(name, {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name, resourceVersion: String(this.rvCounter) },
      spec: {
        group: spec.group,
        names: { plural: spec.plural, kind: spec.kind, listKind: `${spec.kind}List` },
        scope: spec.namespaced === false ? 'Cluster' : 'Namespaced',
        versions: versions.map((v, i) => ({ name: v.name, served: v.served, storage: i === 0 })),
      },
      status: {
        conditions: [
          { type: 'NamesAccepted', status: 'True' },
          { type: 'Established', status: spec.established === false ? 'False' : 'True' },
        ],
      },
    });
  }

  /**
   * Deletes a CRD: its objects go (with DELETED events first when `emitDeletes`, as the CRD
   * finalizer does) and every watch on it ends.
   */
  removeCrd(name: string, opts: { emitDeletes?: boolean } = {}): void {
    const crd = this.crds.get(name);
    if (crd === undefined) throw new Error(`fake apiserver: no CRD ${name}`);
    const resource = this.crdResource(crd);
    const sk = storeKey(resource);
    const store = this.store(resource);
    if (opts.emitDeletes) {
      for (const key of [...store.keys()]) {
        const prev = store.get(key)!;
        store.delete(key);
        this.rvCounter++;
        const gone = clone(prev);
        gone.metadata.resourceVersion = String(this.rvCounter);
        this.emit({ rv: this.rvCounter, store: sk, type: 'DELETED', object: gone });
      }
    }
    store.clear();
    // A CRD installed again starts a new storage: no replay of the old one's history.
    for (let i = this.history.length - 1; i >= 0; i--) if (this.history[i]!.store === sk) this.history.splice(i, 1);
    this.crds.delete(name);
    this.rvCounter++;
    this.endWatches((w) => w.store === sk);
  }

  // ---- watch control -------------------------------------------------------------------------------

  /** Open (answered) watch streams, optionally only those on `path`. */
  openWatches(path?: string): number {
    let n = 0;
    for (const w of this.watchers) if (path === undefined || w.request.path === path) n++;
    return n;
  }

  /** Sends a BOOKMARK at the current resourceVersion to every live watch that allows them. */
  bookmark(): void {
    for (const w of this.watchers) {
      if (w.hung || !w.bookmarks) continue;
      this.write(w, {
        type: 'BOOKMARK',
        object: { kind: w.resource.kind, apiVersion: apiVersionOf(w.resource, w.version), metadata: { resourceVersion: String(this.rvCounter) } },
      });
    }
  }

  /** Ends watch streams cleanly (as the server's timeoutSeconds does). */
  endWatches(filter: (w: { store: string; request: RecordedRequest }) => boolean = () => true): void {
    for (const w of [...this.watchers]) {
      if (!filter(w)) continue;
      this.watchers.delete(w);
      clearTimeout(w.timer);
      w.res.end();
    }
  }

  /** Sends an in-stream ERROR 410 to the matching watches and ends them. */
  expireWatches(filter: (w: { store: string; request: RecordedRequest }) => boolean = () => true): void {
    this.errorWatches(410, 'too old resource version', filter);
  }

  /** Sends an in-stream ERROR event with a Status of `code` to the matching watches and ends them. */
  errorWatches(code: number, message: string, filter: (w: { store: string; request: RecordedRequest }) => boolean = () => true): void {
    for (const w of [...this.watchers]) {
      if (!filter(w)) continue;
      this.write(w, { type: 'ERROR', object: statusBody(code, REASONS[code] ?? 'Unknown', message) });
      this.watchers.delete(w);
      clearTimeout(w.timer);
      w.res.end();
    }
  }

  /**
   * On: every open watch goes silent (nothing more is written to it, the connection stays), and
   * new watches get their headers and then nothing. Off: new watches work again; the silent
   * ones stay silent.
   */
  hangWatches(on: boolean): void {
    this.hangingWatches = on;
    if (on) for (const w of this.watchers) w.hung = true;
  }

  // ---- request rules -------------------------------------------------------------------------------

  /** Answers matching requests with `status` (a Status body), `times` times (default: until removed). */
  fail(match: RequestMatch, status: number, opts: { times?: number; message?: string } = {}): () => void {
    const rule = { match, status, remaining: opts.times ?? Infinity, message: opts.message ?? `injected HTTP ${status}` };
    this.failRules.push(rule);
    return () => {
      const i = this.failRules.indexOf(rule);
      if (i >= 0) this.failRules.splice(i, 1);
    };
  }

  /** Never answers matching requests (not even headers); the connection stays open. */
  hang(match: RequestMatch, opts: { times?: number } = {}): () => void {
    const rule = { match, remaining: opts.times ?? Infinity };
    this.hangRules.push(rule);
    return () => {
      const i = this.hangRules.indexOf(rule);
      if (i >= 0) this.hangRules.splice(i, 1);
    };
  }

  /** Answers matching requests only after `ms` (the answer is decided then). */
  delay(match: RequestMatch, ms: number, opts: { times?: number } = {}): () => void {
    const rule = { match, ms, remaining: opts.times ?? Infinity };
    this.delayRules.push(rule);
    return () => {
      const i = this.delayRules.indexOf(rule);
      if (i >= 0) this.delayRules.splice(i, 1);
    };
  }

  /** Removes every fail, hang and delay rule. */
  clearRules(): void {
    this.failRules.length = 0;
    this.hangRules.length = 0;
    this.delayRules.length = 0;
  }

  /** Requests received for `path` (exact), optionally filtered. */
  count(path: string, filter: (r: RecordedRequest) => boolean = () => true): number {
    return this.requests.filter((r) => r.path === path && filter(r)).length;
  }

  /** Requests received for `path` (exact), optionally filtered. */
  requestsTo(path: string, filter: (r: RecordedRequest) => boolean = () => true): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path && filter(r));
  }

  /** The last watch request on `path`. */
  lastWatch(path: string): RecordedRequest | undefined {
    return this.requestsTo(path, (r) => r.watch).at(-1);
  }

  // ---- internals -----------------------------------------------------------------------------------

  private store(r: Resource): Map<string, FakeObject> {
    const k = storeKey(r);
    let s = this.stores.get(k);
    if (s === undefined) {
      s = new Map();
      this.stores.set(k, s);
    }
    return s;
  }

  private stamp(r: Resource, obj: FakeObject): FakeObject {
    this.rvCounter++;
    const stored = clone(obj);
    stored.kind = r.kind;
    stored.metadata.resourceVersion = String(this.rvCounter);
    return stored;
  }

  private crdResource(crd: FakeObject): Resource {
    const spec = crd.spec as { group: string; names: { plural: string; kind: string }; scope: string };
    return { group: spec.group, plural: spec.names.plural, kind: spec.names.kind, namespaced: spec.scope === 'Namespaced' };
  }

  private parseCollection(p: string): { group: string; version: string; plural: string } | undefined {
    let m = /^\/api\/([^/]+)\/([^/]+)$/.exec(p);
    if (m) return { group: '', version: m[1]!, plural: m[2]! };
    m = /^\/apis\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(p);
    if (m) return { group: m[1]!, version: m[2]!, plural: m[3]! };
    return undefined;
  }

  /** The resource a collection path serves right now, or undefined (404). */
  private resolve(p: string): { resource: Resource; version: string } | undefined {
    const c = this.parseCollection(p);
    if (c === undefined) return undefined;
    const builtin = BUILTIN.find((b) => b.group === c.group && b.plural === c.plural);
    if (builtin) return builtin.builtinVersion === c.version ? { resource: builtin, version: c.version } : undefined;
    const crd = this.crds.get(`${c.plural}.${c.group}`);
    if (crd === undefined) return undefined;
    const status = crd.status as { conditions: { type: string; status: string }[] };
    if (!status.conditions.some((x) => x.type === 'Established' && x.status === 'True')) return undefined;
    const versions = (crd.spec as { versions: CrdVersion[] }).versions;
    if (!versions.some((v) => v.name === c.version && v.served)) return undefined;
    return { resource: this.crdResource(crd), version: c.version };
  }

  private resolveForWrite(p: string): { resource: Resource; version: string } {
    const c = this.parseCollection(p);
    if (c === undefined) throw new Error(`fake apiserver: not a collection path: ${p}`);
    const builtin = BUILTIN.find((b) => b.group === c.group && b.plural === c.plural);
    if (builtin) return { resource: builtin, version: builtin.builtinVersion! };
    const crd = this.crds.get(`${c.plural}.${c.group}`);
    if (crd === undefined) throw new Error(`fake apiserver: CRD ${c.plural}.${c.group} is not installed`);
    return { resource: this.crdResource(crd), version: c.version };
  }

  private emit(change: Change): void {
    this.history.push(change);
    for (const w of this.watchers) {
      if (w.store === change.store && !w.hung) this.deliver(w, change);
    }
  }

  /** Writes `change` to `w` as the watch cache would, after label filtering. */
  private deliver(w: Watcher, change: Change): void {
    let type: Change['type'] | undefined;
    if (change.type === 'MODIFIED') {
      const before = selects(w.selector, change.prev);
      const after = selects(w.selector, change.object);
      type = before && after ? 'MODIFIED' : after ? 'ADDED' : before ? 'DELETED' : undefined;
    } else if (selects(w.selector, change.object)) {
      type = change.type;
    }
    if (type === undefined) return;
    this.write(w, { type, object: this.render(w.resource, w.version, change.object, true) });
  }

  private render(r: Resource, version: string, obj: FakeObject, withType: boolean): FakeObject {
    const out = clone(obj);
    if (withType || r.builtinVersion === undefined) {
      out.apiVersion = apiVersionOf(r, version);
      out.kind = r.kind;
    } else {
      delete out.apiVersion;
      delete out.kind;
    }
    return out;
  }

  private write(w: Watcher, ev: unknown): void {
    if (w.res.writableEnded || w.res.destroyed) return;
    w.res.write(JSON.stringify(ev) + '\n');
  }

  private send(res: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private sendStatus(res: http.ServerResponse, code: number, message: string): void {
    this.send(res, code, statusBody(code, REASONS[code] ?? 'Unknown', message));
  }

  private takeRule<R extends Rule>(rules: R[], r: RecordedRequest): R | undefined {
    for (const rule of rules) {
      if (rule.remaining <= 0) continue;
      const hit = typeof rule.match === 'string' ? rule.match === r.path : rule.match(r);
      if (hit) {
        rule.remaining--;
        return rule;
      }
    }
    return undefined;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const watchParam = url.searchParams.get('watch');
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      watch: watchParam === '1' || watchParam === 'true',
      at: Date.now(),
    };
    this.requests.push(rec);
    this.beforeRequest?.(rec);
    res.on('error', () => undefined);
    const delayed = this.takeRule(this.delayRules, rec);
    if (delayed) {
      const t = setTimeout(() => {
        if (!res.destroyed) this.dispatch(req, res, rec, url);
      }, delayed.ms);
      res.on('close', () => clearTimeout(t));
      return;
    }
    this.dispatch(req, res, rec, url);
  }

  private dispatch(req: http.IncomingMessage, res: http.ServerResponse, rec: RecordedRequest, url: URL): void {
    if (this.takeRule(this.hangRules, rec)) {
      this.hungResponses.add(res);
      res.on('close', () => this.hungResponses.delete(res));
      return;
    }
    const failure = this.takeRule(this.failRules, rec);
    if (failure) return this.sendStatus(res, failure.status, failure.message);

    if (rec.path === '/readyz') {
      res.writeHead(this.readyzStatus, { 'Content-Type': 'text/plain' });
      res.end(this.readyzStatus === 200 ? 'ok' : 'not ready');
      return;
    }
    if (this.token !== undefined && req.headers.authorization !== `Bearer ${this.token}`) {
      return this.sendStatus(res, 401, 'Unauthorized');
    }
    if (rec.method !== 'GET') return this.sendStatus(res, 405, `${rec.method} is not supported by the fake`);

    if (rec.path.startsWith(CRD_PREFIX)) {
      const crd = this.crds.get(rec.path.slice(CRD_PREFIX.length));
      if (crd === undefined) {
        return this.sendStatus(res, 404, `customresourcedefinitions.apiextensions.k8s.io "${rec.path.slice(CRD_PREFIX.length)}" not found`);
      }
      return this.send(res, 200, crd);
    }

    const target = this.resolve(rec.path);
    if (target === undefined) return this.sendStatus(res, 404, 'the server could not find the requested resource');
    let selector: Selector;
    try {
      selector = parseSelector(url.searchParams.get('labelSelector'));
    } catch (e) {
      return this.sendStatus(res, 400, (e as Error).message);
    }
    if (rec.watch) return this.startWatch(rec, res, target.resource, target.version, selector);
    return this.list(rec, res, target.resource, target.version, selector);
  }

  private list(rec: RecordedRequest, res: http.ServerResponse, r: Resource, version: string, selector: Selector): void {
    const limit = Number(rec.query.get('limit') ?? '0');
    const cont = rec.query.get('continue');
    let snap: Snapshot;
    let offset = 0;
    let id: number;
    if (cont !== null && cont !== '') {
      let token: { id: number; offset: number; rv: number };
      try {
        token = JSON.parse(Buffer.from(cont, 'base64url').toString('utf8')) as typeof token;
      } catch {
        return this.sendStatus(res, 400, 'invalid continue token');
      }
      const found = this.snapshots.get(token.id);
      if (found === undefined || token.rv < this.compactedRv) {
        return this.sendStatus(
          res,
          410,
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      }
      snap = found;
      offset = token.offset;
      id = token.id;
    } else {
      const items = [...this.store(r).values()].filter((o) => selects(selector, o)).sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
      snap = { rv: this.rvCounter, items: items.map((o) => this.render(r, version, o, false)) };
      id = ++this.snapshotSeq;
      this.snapshots.set(id, snap);
    }
    const end = limit > 0 ? Math.min(snap.items.length, offset + limit) : snap.items.length;
    const metadata: Record<string, string> = { resourceVersion: String(snap.rv) };
    if (end < snap.items.length) {
      metadata.continue = Buffer.from(JSON.stringify({ id, offset: end, rv: snap.rv })).toString('base64url');
    } else {
      this.snapshots.delete(id);
    }
    this.send(res, 200, { kind: `${r.kind}List`, apiVersion: apiVersionOf(r, version), metadata, items: snap.items.slice(offset, end) });
  }

  private startWatch(rec: RecordedRequest, res: http.ServerResponse, r: Resource, version: string, selector: Selector): void {
    const rvText = rec.query.get('resourceVersion') ?? '';
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    if (this.watchesEndAtOnce) {
      res.end();
      return;
    }
    const w: Watcher = {
      store: storeKey(r),
      resource: r,
      version,
      selector,
      bookmarks: rec.query.get('allowWatchBookmarks') === 'true',
      res,
      request: rec,
      hung: this.hangingWatches,
      timer: undefined,
    };
    const sk = storeKey(r);
    if (w.hung) {
      this.watchers.add(w);
      res.on('close', () => this.watchers.delete(w));
      return;
    }
    if (rvText === '' || rvText === '0') {
      // "Any" version: synthetic ADDED events for what exists now, then live changes.
      for (const o of [...this.store(r).values()]) if (selects(selector, o)) this.write(w, { type: 'ADDED', object: this.render(r, version, o, true) });
    } else {
      const from = Number(rvText);
      if (!Number.isFinite(from) || from < this.compactedRv) {
        this.write(w, { type: 'ERROR', object: statusBody(410, 'Expired', `too old resource version: ${rvText} (${this.compactedRv})`) });
        res.end();
        return;
      }
      for (const c of this.history) if (c.rv > from && c.store === sk) this.deliver(w, c);
    }
    const seconds = Number(rec.query.get('timeoutSeconds') ?? '0');
    if (seconds > 0) {
      w.timer = setTimeout(() => this.endWatches((x) => x === w), seconds * 1000);
      w.timer.unref();
    }
    this.watchers.add(w);
    res.on('close', () => {
      clearTimeout(w.timer);
      this.watchers.delete(w);
    });
  }
}

// ---- kubeconfig and objects for tests --------------------------------------------------------------

/** A fresh temporary folder; remove it with `rm(dir, { recursive: true, force: true })`. */
export function tempDir(prefix = 'exdns-kube-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}

/** Writes `<dir>/kubeconfig` for `server` with a token user; returns its path. */
export async function writeKubeconfig(dir: string, server: string, opts: { token?: string; context?: string; file?: string } = {}): Promise<string> {
  const file = path.join(dir, opts.file ?? 'kubeconfig');
  const context = opts.context ?? 'fake';
  await writeFile(
    file,
    `apiVersion: v1
kind: Config
clusters:
- name: fake-cluster
  cluster:
    server: ${server}
users:
- name: fake-user
  user:
    token: ${opts.token ?? 'fake-token'}
contexts:
- name: ${context}
  context:
    cluster: fake-cluster
    user: fake-user
current-context: ${context}
`,
  );
  return file;
}

/** Collection paths of the kinds tests use. */
export const PATHS = {
  services: '/api/v1/services',
  nodes: '/api/v1/nodes',
  endpointslices: '/apis/discovery.k8s.io/v1/endpointslices',
  ingresses: '/apis/networking.k8s.io/v1/ingresses',
  httproutes: (version = 'v1') => `/apis/gateway.networking.k8s.io/${version}/httproutes`,
  gateways: (version = 'v1') => `/apis/gateway.networking.k8s.io/${version}/gateways`,
  dnsendpoints: '/apis/externaldns.k8s.io/v1alpha1/dnsendpoints',
} as const;

export const CRDS = {
  httproutes: { group: 'gateway.networking.k8s.io', plural: 'httproutes', kind: 'HTTPRoute', versions: ['v1', 'v1beta1'] },
  gateways: { group: 'gateway.networking.k8s.io', plural: 'gateways', kind: 'Gateway', versions: ['v1', 'v1beta1'] },
  dnsendpoints: { group: 'externaldns.k8s.io', plural: 'dnsendpoints', kind: 'DNSEndpoint', versions: ['v1alpha1'] },
} as const satisfies Record<string, CrdSpec>;

/** An Ingress with one rule host and, when given, a load-balancer IP. */
export function ingress(ns: string, name: string, host: string, ip?: string, labels?: Record<string, string>): FakeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: ns, ...(labels ? { labels } : {}), managedFields: [{ manager: 'kubectl' }] },
    spec: { rules: [{ host }] },
    status: { loadBalancer: { ingress: ip === undefined ? [] : [{ ip }] } },
  };
}

/** A LoadBalancer Service, with its load-balancer IP when given. */
export function service(ns: string, name: string, labels?: Record<string, string>, ip?: string): FakeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, ...(labels ? { labels } : {}) },
    spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
    status: { loadBalancer: { ingress: ip === undefined ? [] : [{ ip }] } },
  };
}

export function httpRoute(ns: string, name: string, hostnames: string[]): FakeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: ns },
    spec: { hostnames, parentRefs: [{ name: 'gw' }] },
  };
}

export function node(name: string, ip: string): FakeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: ip }] } };
}
