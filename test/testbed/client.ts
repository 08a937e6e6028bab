/**
 * Typed helpers for tests against the real kube-apiserver of scripts/testbed.mjs.
 *
 * - `ensureTestbed()` starts the testbed (or reuses the running one) through the script's exported
 *   `up()`; `loadTestbed()` only reads the kubeconfigs an earlier `npm run testbed -- up` wrote.
 * - `KubeClient` talks REST through a `KubeConfig` (client cert or bearer token alike, via
 *   `applyToHTTPSOptions`): server-side apply from objects or YAML, create-or-replace, get, list,
 *   merge-patch of the status subresource, delete, and a one-second watch probe. Resource plurals
 *   come from API discovery, so it works for any kind, CRDs included.
 * - `installCrd()` / `deleteCrd()`, `stopApiserver()` / `startApiserver()` call the script.
 *
 * Plain REST instead of @kubernetes/client-node's typed APIs keeps one code path for built-in kinds
 * and CRDs and lets tests see every status code; the `KubeConfig` objects are still handed out for
 * tests that want the typed clients (client-node 2.x: promise-based, object parameters).
 */
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import * as script from '../../scripts/testbed.mjs';
import type { CrdSelection } from '../../scripts/testbed.mjs';

export { KUBE_VERSION, ETCD_VERSION } from '../../scripts/testbed.mjs';
export type { CrdSelection, TestbedInfo, TestbedStatus } from '../../scripts/testbed.mjs';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  [field: string]: unknown;
}

/** Names one object: apiVersion + kind (+ namespace) + name. A KubeObject's fields give the same. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly body: unknown,
  ) {
    super(`${method} ${path}: HTTP ${status}: ${messageOf(body)}`);
    this.name = 'KubeApiError';
  }
}

export interface KubeResponse {
  status: number;
  body: unknown;
}

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  query?: Record<string, string>;
  timeoutMs?: number;
}

interface ResourceInfo {
  plural: string;
  namespaced: boolean;
}

const FIELD_MANAGER = 'exdns-e2e';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function messageOf(body: unknown): string {
  if (isRecord(body) && typeof body.message === 'string') return body.message;
  return typeof body === 'string' ? body.slice(0, 300) : JSON.stringify(body)?.slice(0, 300) ?? '';
}

export function isKubeObject(v: unknown): v is KubeObject {
  return (
    isRecord(v) &&
    typeof v.apiVersion === 'string' &&
    typeof v.kind === 'string' &&
    isRecord(v.metadata) &&
    typeof v.metadata.name === 'string'
  );
}

function asKubeObject(v: unknown, what: string): KubeObject {
  if (!isKubeObject(v)) throw new Error(`${what}: not a Kubernetes object: ${JSON.stringify(v)?.slice(0, 200)}`);
  return v;
}

/** Every document of a YAML string that is an object (empty documents are skipped). */
export function parseYaml(text: string): KubeObject[] {
  return loadAll(text)
    .filter((d) => d !== null && d !== undefined)
    .map((d, i) => asKubeObject(d, `YAML document ${i + 1}`));
}

function refOf(obj: ObjectRef | KubeObject): ObjectRef {
  if ('metadata' in obj && isRecord(obj.metadata)) {
    const { name, namespace } = obj.metadata;
    return { apiVersion: obj.apiVersion, kind: obj.kind, name: String(name), ...(typeof namespace === 'string' ? { namespace } : {}) };
  }
  return obj as ObjectRef;
}

/** REST client for one identity (the KubeConfig's current context). */
export class KubeClient {
  private readonly discovery = new Map<string, Map<string, ResourceInfo>>();
  private readonly server: URL;

  constructor(readonly kc: KubeConfig) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('KubeConfig has no current cluster');
    this.server = new URL(cluster.server);
  }

  /** One request; resolves whatever the status code (JSON bodies parsed, others as text). */
  async request(method: string, apiPath: string, opts: RequestOptions = {}): Promise<KubeResponse> {
    const url = new URL(apiPath, this.server);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (payload !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const reqOpts: https.RequestOptions = { method, headers, agent: false };
    await this.kc.applyToHTTPSOptions(reqOpts);
    const timeoutMs = opts.timeoutMs ?? 30_000;
    return new Promise<KubeResponse>((resolve, reject) => {
      const req = https.request(url, reqOpts, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('error', reject);
        res.on('end', () => {
          let body: unknown = text;
          if (text !== '' && (res.headers['content-type'] ?? '').includes('json')) {
            try {
              body = JSON.parse(text);
            } catch {
              // a watch stream or truncated JSON stays text
            }
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${apiPath}: timeout after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Like request(), but a non-2xx status throws KubeApiError. */
  async call(method: string, apiPath: string, opts: RequestOptions = {}): Promise<unknown> {
    const r = await this.request(method, apiPath, opts);
    if (r.status < 200 || r.status > 299) throw new KubeApiError(r.status, method, apiPath, r.body);
    return r.body;
  }

  private static groupVersionPath(apiVersion: string): string {
    return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  }

  /** Plural and scope of a kind, from discovery (asked again when a kind is missing: CRDs come and go). */
  async resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    let kinds = this.discovery.get(apiVersion);
    if (!kinds?.has(kind)) {
      const list = await this.call('GET', KubeClient.groupVersionPath(apiVersion));
      kinds = new Map<string, ResourceInfo>();
      const resources = isRecord(list) && Array.isArray(list.resources) ? list.resources : [];
      for (const r of resources) {
        if (!isRecord(r) || typeof r.name !== 'string' || typeof r.kind !== 'string' || r.name.includes('/')) continue;
        kinds.set(r.kind, { plural: r.name, namespaced: r.namespaced === true });
      }
      this.discovery.set(apiVersion, kinds);
    }
    const info = kinds.get(kind);
    if (!info) throw new Error(`${kind} is not served at ${apiVersion}`);
    return info;
  }

  /** Collection path (no name) of a kind, in a namespace when it is namespaced. */
  async collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const { plural, namespaced } = await this.resource(apiVersion, kind);
    const base = KubeClient.groupVersionPath(apiVersion);
    if (!namespaced || namespace === undefined) return `${base}/${plural}`;
    return `${base}/namespaces/${encodeURIComponent(namespace)}/${plural}`;
  }

  /** Path of one object, optionally of its subresource (`status`). */
  async objectPath(target: ObjectRef | KubeObject, subresource?: string): Promise<string> {
    const ref = refOf(target);
    const { namespaced } = await this.resource(ref.apiVersion, ref.kind);
    if (namespaced && !ref.namespace) throw new Error(`${ref.kind} ${ref.name} needs a namespace`);
    const coll = await this.collectionPath(ref.apiVersion, ref.kind, ref.namespace);
    return `${coll}/${encodeURIComponent(ref.name)}${subresource ? `/${subresource}` : ''}`;
  }

  /**
   * Server-side apply (force, field manager exdns-e2e) of objects, or of every document of a YAML
   * string, in order. `status` in an object is ignored by the main resource: use patchStatus().
   */
  async apply(input: KubeObject | readonly KubeObject[] | string): Promise<KubeObject[]> {
    const objs = typeof input === 'string' ? parseYaml(input) : Array.isArray(input) ? [...input] : [input as KubeObject];
    const out: KubeObject[] = [];
    for (const obj of objs) {
      const p = await this.objectPath(obj);
      const body = await this.call('PATCH', p, {
        body: obj,
        contentType: 'application/apply-patch+yaml',
        query: { fieldManager: FIELD_MANAGER, force: 'true' },
      });
      out.push(asKubeObject(body, `apply ${p}`));
    }
    return out;
  }

  /** POST, or on 409 GET + PUT with the current resourceVersion (a plain replace). */
  async createOrReplace(obj: KubeObject): Promise<KubeObject> {
    const coll = await this.collectionPath(obj.apiVersion, obj.kind, obj.metadata.namespace);
    const created = await this.request('POST', coll, { body: obj });
    if (created.status >= 200 && created.status < 300) return asKubeObject(created.body, `create ${coll}`);
    if (created.status !== 409) throw new KubeApiError(created.status, 'POST', coll, created.body);
    const current = await this.get(obj);
    const replacement: KubeObject = { ...obj, metadata: { ...obj.metadata, resourceVersion: current.metadata.resourceVersion } };
    return asKubeObject(await this.call('PUT', await this.objectPath(obj), { body: replacement }), 'replace');
  }

  async get(target: ObjectRef | KubeObject): Promise<KubeObject> {
    const p = await this.objectPath(target);
    return asKubeObject(await this.call('GET', p), `get ${p}`);
  }

  /** The object, or undefined on 404. */
  async getOrUndefined(target: ObjectRef | KubeObject): Promise<KubeObject | undefined> {
    const p = await this.objectPath(target);
    const r = await this.request('GET', p);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new KubeApiError(r.status, 'GET', p, r.body);
    return asKubeObject(r.body, `get ${p}`);
  }

  /** Items of a list (all namespaces when namespace is undefined). */
  async list(apiVersion: string, kind: string, namespace?: string, query: Record<string, string> = {}): Promise<KubeObject[]> {
    const p = await this.collectionPath(apiVersion, kind, namespace);
    const body = await this.call('GET', p, { query });
    const items = isRecord(body) && Array.isArray(body.items) ? body.items : [];
    // List items carry no apiVersion/kind: put them back.
    return items.map((it: unknown) => asKubeObject(isRecord(it) ? { apiVersion, kind, ...it } : it, `list ${p}`));
  }

  /** Merge patch of the status subresource: `patchStatus(svc, { loadBalancer: { ingress: [...] } })`. */
  async patchStatus(target: ObjectRef | KubeObject, status: Record<string, unknown>): Promise<KubeObject> {
    const p = await this.objectPath(target, 'status');
    return asKubeObject(await this.call('PATCH', p, { body: { status }, contentType: 'application/merge-patch+json' }), `patch ${p}`);
  }

  /** Merge patch of the object itself (metadata, spec). */
  async mergePatch(target: ObjectRef | KubeObject, patch: Record<string, unknown>): Promise<KubeObject> {
    const p = await this.objectPath(target);
    return asKubeObject(await this.call('PATCH', p, { body: patch, contentType: 'application/merge-patch+json' }), `patch ${p}`);
  }

  /** Deletes (Background propagation; a bare apiserver has no garbage collector anyway); 404 is fine. */
  async delete(target: ObjectRef | KubeObject): Promise<void> {
    const p = await this.objectPath(target);
    const r = await this.request('DELETE', p);
    if (r.status !== 404 && (r.status < 200 || r.status > 299)) throw new KubeApiError(r.status, 'DELETE', p, r.body);
  }

  /** Opens a watch that the server closes after one second; returns the HTTP status (200 = allowed). */
  async probeWatch(apiVersion: string, kind: string, namespace?: string): Promise<number> {
    const p = await this.collectionPath(apiVersion, kind, namespace);
    const r = await this.request('GET', p, { query: { watch: 'true', timeoutSeconds: '1' }, timeoutMs: 15_000 });
    return r.status;
  }
}

export interface Testbed {
  /** Admin KubeConfig (client cert in system:masters). */
  kc: KubeConfig;
  /** KubeConfig of ServiceAccount exdns/exdns (token; the read-only ClusterRole of rbac.yaml). */
  exdnsKc: KubeConfig;
  admin: KubeClient;
  exdns: KubeClient;
  kubeconfig: string;
  exdnsKubeconfig: string;
  /** https://127.0.0.1:PORT */
  server: string;
  dir: string;
}

function loadKubeConfig(file: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

/** The running testbed's kubeconfigs; throws when `npm run testbed -- up` has not written them. */
export function loadTestbed(): Testbed {
  const { kubeconfig, exdnsKubeconfig, dir } = script.paths;
  for (const f of [kubeconfig, exdnsKubeconfig]) {
    if (!fs.existsSync(f)) throw new Error(`${f} is missing: run \`npm run testbed -- up\` (or call ensureTestbed())`);
  }
  const kc = loadKubeConfig(kubeconfig);
  const exdnsKc = loadKubeConfig(exdnsKubeconfig);
  const server = kc.getCurrentCluster()?.server ?? '';
  return { kc, exdnsKc, admin: new KubeClient(kc), exdns: new KubeClient(exdnsKc), kubeconfig, exdnsKubeconfig, server, dir };
}

/**
 * Starts the testbed or reuses the running one (the script's `up()`: builds binaries on first use,
 * which takes 10-20 min cold), then loads it. `startedHere` tells whether it was not running before,
 * so a suite can stop what it started.
 */
export async function ensureTestbed(opts: { crds?: CrdSelection } = {}): Promise<{ testbed: Testbed; startedHere: boolean }> {
  const before = await script.status();
  await script.up(opts);
  return { testbed: loadTestbed(), startedHere: !before.running };
}

/** Path of a shipped CRD manifest by file name (with or without .yaml) or CRD name. */
export function crdFile(name: string): string {
  const files = script.crdFiles();
  const hit = files.find((f) => path.basename(f) === name || path.basename(f, '.yaml') === name || path.basename(f, '.yaml').split('_').reverse().join('.') === name);
  if (!hit) throw new Error(`no CRD ${name} in ${script.CRD_DIR}`);
  return hit;
}

/** Installs a CRD (file path, file name or CRD name) and waits until it is Established and served. */
export async function installCrd(fileOrName: string, opts: { timeoutMs?: number } = {}): Promise<string> {
  const file = fs.existsSync(fileOrName) ? fileOrName : crdFile(fileOrName);
  return script.installCrd(file, opts);
}

export async function deleteCrd(name: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  await script.deleteCrd(name, opts);
}

/** Stops kube-apiserver; etcd, its data, the port and the certificates stay. */
export async function stopApiserver(): Promise<void> {
  await script.stopApiserver();
}

/** Starts kube-apiserver again on the same port, with the same certificates and data. */
export async function startApiserver(): Promise<void> {
  await script.startApiserver();
}

export const stopTestbed = (): Promise<void> => script.down();
export const testbedStatus = script.status;
export const testbedPaths = script.paths;

/**
 * Compacts etcd's history up to a new revision, through etcd's JSON gateway: every
 * resourceVersion handed out so far becomes too old to watch from (410 Gone), as happens on a
 * real cluster to a client that stayed away longer than the compaction interval.
 */
export async function compactEtcd(): Promise<number> {
  const state = script.readState();
  if (state === null) throw new Error('the testbed is not running');
  const base = `http://127.0.0.1:${state.etcdPort}/v3/kv`;
  const post = async (op: string, body: unknown): Promise<Record<string, unknown>> => {
    const r = await fetch(`${base}/${op}`, { method: 'POST', body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`etcd ${op}: HTTP ${r.status}: ${await r.text()}`);
    return (await r.json()) as Record<string, unknown>;
  };
  // A write of our own moves the revision past anything a watcher has seen.
  const put = await post('put', { key: Buffer.from('/exdns-e2e/compact').toString('base64'), value: Buffer.from(String(Date.now())).toString('base64') });
  const revision = Number((put.header as { revision?: string } | undefined)?.revision);
  if (!Number.isFinite(revision)) throw new Error(`etcd put: no revision in ${JSON.stringify(put)}`);
  await post('compaction', { revision: String(revision), physical: true });
  return revision;
}
