/**
 * One list+watch feed of one kind (client-go's reflector): a paginated list replaces the kind's
 * objects at once, then a watch from the list's resourceVersion streams changes, with bookmarks
 * keeping that version fresh. A watch that ends is reopened from where it stopped; one that
 * expired (410) is followed by a relist. Failures back off from 0.5 s to 30 s, and nothing is
 * taken out of the index until a complete relist says so: the last known objects keep being
 * served through any outage.
 *
 * CRD-backed kinds are first looked up as CustomResourceDefinitions. A missing one counts as
 * synced and empty, so readiness does not wait for software that is not installed, and is
 * looked up again every `crdPollMs` until it appears.
 */
import { deserialize, serialize } from 'node:v8';
import type { Logger } from '../../../src/log.js';
import { objectKey, type KubeObject } from '../types.js';
import { ApiError, type KubeApi, type WatchHandle } from './kube-api.js';
import { collectionPath, crdPath, servedVersion, type ApiResource } from './kube-resources.js';

export interface FeedSink {
  /** Every object of the feed, read once, in order; they may be materialised only as read. */
  replace(objects: Iterable<KubeObject>): void;
  upsert(obj: KubeObject): void;
  /** `obj` is the object's last state as the server sent it with the deletion. */
  delete(key: string, obj?: KubeObject): void;
  /** The first complete list (or the finding that the kind's CRD is missing); called once. */
  synced(): void;
}

export interface FeedEvents {
  /** A watch is opened again after one ended (expiry, error or outage). */
  restart(): void;
  /** A list after the first one. */
  relist(): void;
  /** Anything arrived (list, event, bookmark); drives the last-event timestamp. */
  activity(): void;
}

export interface ReflectorOptions {
  readonly api: KubeApi;
  readonly resource: ApiResource;
  /** Server-side label filter. */
  readonly labelSelector?: string;
  readonly transform: (obj: KubeObject) => KubeObject;
  readonly sink: FeedSink;
  readonly events: FeedEvents;
  readonly log: Logger;
  readonly pageSize?: number;
  readonly crdPollMs?: number;
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
  /** Server-side watch expiry; a random 0–60 s is added so feeds do not reconnect in lockstep. */
  readonly watchTimeoutSeconds?: number;
  /** A watch with no bytes at all (bookmarks come every minute or so) for this long is dead. */
  readonly watchIdleMs?: number;
}

const PAGE_SIZE = 500;
/** Continue tokens expire (410) on lists slower than the compaction interval; start over a few times. */
const MAX_LIST_RESTARTS = 3;
/** A watch shorter than this ended too soon to be the server's routine expiry. */
const QUICK_END_MS = 1000;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function resourceVersionOf(obj: unknown): string | undefined {
  if (!isRecord(obj) || !isRecord(obj.metadata)) return undefined;
  const rv = obj.metadata.resourceVersion;
  return typeof rv === 'string' && rv !== '' ? rv : undefined;
}

export class Reflector {
  private readonly o: ReflectorOptions;
  private readonly name: string;
  private version: string;
  private rv = '';
  private attempt = 0;
  /** Consecutive failures, and when the first of them happened (for the recovery log line). */
  private failures = 0;
  private failingSince = 0;
  private stopped = true;
  private everSynced = false;
  /** The CRD was found missing, and that was logged; cleared when it shows up. */
  private missing = false;
  private hasListed = false;
  private listedAt = 0;
  /** When the current (or last) watch stream opened; 0 when none did since the last failure. */
  private watchOpenedAt = 0;
  private watch: WatchHandle | undefined;
  /** Aborts whatever GET is in flight when the reflector stops. */
  private readonly abort = new AbortController();
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(opts: ReflectorOptions) {
    this.o = opts;
    this.version = opts.resource.versions[0]!;
    this.name = opts.resource.kind + (opts.labelSelector ? ` (${opts.labelSelector})` : '');
  }

  /** Starts the loop; a stopped reflector is finished (make a new one to watch again). */
  start(): void {
    if (!this.stopped || this.abort.signal.aborted) return;
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.watch?.abort();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { resource, log } = this.o;
    while (!this.stopped) {
      try {
        if (this.rv === '') {
          if (resource.crd && !(await this.discover())) {
            await this.sleep(this.o.crdPollMs ?? 10_000, false);
            continue;
          }
          if (!(await this.list())) return;
        }
        const opened = Date.now();
        await this.watchOnce();
        if (this.stopped) return;
        // The server ended the stream at its timeout: routine, reopened at once. A stream that
        // keeps ending as soon as it opens (a misbehaving proxy) is reopened with backoff instead.
        this.o.events.restart();
        log.debug(`watch ${this.name}: stream ended; reopening at resourceVersion ${this.rv}`);
        if (Date.now() - opened < QUICK_END_MS) await this.sleep(this.backoff(), false);
        else this.attempt = 0;
      } catch (e) {
        if (this.stopped) return;
        const err = e instanceof ApiError ? e : new ApiError((e as Error).message, 0);
        // A watch that ran for a while before failing starts a new streak: back off from the start.
        if (this.watchOpenedAt !== 0 && Date.now() - this.watchOpenedAt >= QUICK_END_MS) this.attempt = 0;
        this.watchOpenedAt = 0;
        if (err.status === 410) {
          // The resourceVersion is older than the server keeps: only a full relist can say what changed.
          log.info(`watch ${this.name}: ${err.message}; relisting`);
          this.rv = '';
          this.o.events.restart();
          // Expiring again right after a relist means something is wrong; do not relist in a loop.
          if (Date.now() - this.listedAt < QUICK_END_MS * 5) await this.sleep(this.backoff(), false);
          else this.attempt = 0;
          continue;
        }
        if (err.status === 404 && resource.crd) this.rv = ''; // CRD gone or not served yet: look it up again
        const delay = this.backoff();
        const hint = err.status === 401 || err.status === 403 ? ' (check the credentials and RBAC: exdns needs list and watch on this resource)' : '';
        // The first failure of a streak is a warning; repeats (an outage) would only flood the log.
        const line = `watch ${this.name}: ${err.message}${hint}; retrying in ${(delay / 1000).toFixed(1)}s`;
        if (this.failures++ === 0) {
          this.failingSince = Date.now();
          log.warning(line);
        } else {
          log.debug(line);
        }
        this.o.events.restart();
        await this.sleep(delay, err.unreachable);
      }
    }
  }

  /** Finds the version to read a CRD kind at; false when the CRD is missing (and the kind empty). */
  private async discover(): Promise<boolean> {
    const { api, resource, log, sink } = this.o;
    const res = await api.get(crdPath(resource), {}, this.abort.signal);
    const crdName = `${resource.plural}.${resource.group}`;
    let version: string | undefined;
    if (res.status === 200) {
      version = servedVersion(resource, res.body);
    } else if (res.status === 403) {
      version = await this.probeVersions();
    } else if (res.status !== 404) {
      throw new ApiError(`GET CRD ${crdName}: HTTP ${res.status}: ${res.text}`, res.status);
    }
    if (this.stopped) return false;
    if (version === undefined) {
      if (!this.missing) {
        this.missing = true;
        log.info(`${resource.kind} skipped: CRD ${crdName} is not installed or serves none of ${resource.versions.join(', ')}; looking again every ${Math.round((this.o.crdPollMs ?? 10_000) / 1000)}s`);
        // Deleting a CRD deletes its objects: stop serving what was there.
        if (this.hasListed) sink.replace([]);
      }
      this.markSynced();
      return false;
    }
    if (this.missing || !this.hasListed || version !== this.version) {
      log.info(`watching ${resource.kind} at ${resource.group}/${version}`);
    }
    this.missing = false;
    this.version = version;
    return true;
  }

  /**
   * Without permission to read CRDs: the first version whose collection answers (a one-item
   * list), or undefined when none is served.
   */
  private async probeVersions(): Promise<string | undefined> {
    const { api, resource } = this.o;
    for (const v of resource.versions) {
      const res = await api.get(collectionPath(resource, v), { limit: '1' }, this.abort.signal);
      if (res.status === 404) continue;
      if (res.status === 200) return v;
      throw new ApiError(`list ${collectionPath(resource, v)}: HTTP ${res.status}: ${res.text}`, res.status);
    }
    return undefined;
  }

  /** Lists the kind and replaces its objects; false when stopped meanwhile (nothing delivered). */
  private async list(): Promise<boolean> {
    const { api, resource, transform, sink } = this.o;
    const path = collectionPath(resource, this.version);
    for (let restarts = 0; ; restarts++) {
      // Pages are kept serialised until the list is complete: held as objects, tens of thousands
      // would outlive many young-generation collections and swell the old generation for good.
      const pages: Buffer[] = [];
      let count = 0;
      let cont = '';
      let rv = '';
      let expired = false;
      do {
        const query: Record<string, string> = { limit: String(this.o.pageSize ?? PAGE_SIZE) };
        if (cont !== '') query.continue = cont;
        if (this.o.labelSelector) query.labelSelector = this.o.labelSelector;
        const res = await api.get(path, query, this.abort.signal);
        if (this.stopped) return false;
        if (res.status === 410 && cont !== '') {
          // Not a 410 to run(): that would relist at once, in a loop; this one backs off.
          if (restarts >= MAX_LIST_RESTARTS) throw new ApiError(`list ${path}: continue token expired ${restarts + 1} times in a row`, 500);
          expired = true;
          break;
        }
        if (res.status !== 200) throw new ApiError(`list ${path}: HTTP ${res.status}: ${res.text}`, res.status);
        const body = res.body;
        if (!isRecord(body) || !Array.isArray(body.items)) throw new ApiError(`list ${path}: not a list`, 200);
        const page: KubeObject[] = [];
        for (const item of body.items as unknown[]) {
          if (isRecord(item)) page.push(transform(item as KubeObject));
        }
        if (page.length > 0) pages.push(serialize(page));
        count += page.length;
        const meta = isRecord(body.metadata) ? body.metadata : {};
        cont = typeof meta.continue === 'string' ? meta.continue : '';
        rv = typeof meta.resourceVersion === 'string' ? meta.resourceVersion : '';
      } while (cont !== '');
      if (expired) continue;
      if (this.hasListed) {
        this.o.events.relist();
        this.o.log.info(`relisted ${this.name}: ${count} objects`);
      }
      this.rv = rv;
      this.hasListed = true;
      this.listedAt = Date.now();
      this.o.events.activity();
      sink.replace(unpackPages(pages));
      this.markSynced();
      this.recovered();
      return true;
    }
  }

  private async watchOnce(): Promise<void> {
    const { api, resource, transform, sink, events } = this.o;
    const timeout = (this.o.watchTimeoutSeconds ?? 300) + Math.floor(Math.random() * 60);
    const query: Record<string, string> = {
      watch: '1',
      resourceVersion: this.rv,
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(timeout),
    };
    if (this.o.labelSelector) query.labelSelector = this.o.labelSelector;
    const idle = this.o.watchIdleMs ?? 120_000;
    this.watch = api.watch(
      collectionPath(resource, this.version),
      query,
      idle,
      (ev) => {
        if (this.stopped) return;
        const rv = resourceVersionOf(ev.object);
        if (rv !== undefined) this.rv = rv;
        events.activity();
        const obj = ev.object as KubeObject;
        try {
          if (ev.type === 'ADDED' || ev.type === 'MODIFIED') sink.upsert(transform(obj));
          else if (ev.type === 'DELETED') sink.delete(objectKey(obj), obj);
        } catch (e) {
          // One object the index cannot take must not look like an outage and restart the watch.
          this.o.log.error(`watch ${this.name}: ${ev.type} ${objectKey(obj)}: ${(e as Error).message}`);
        }
      },
      () => {
        this.watchOpenedAt = Date.now();
        this.recovered();
      },
    );
    try {
      await this.watch.done;
    } finally {
      this.watch = undefined;
    }
  }

  /** The next wait: exponential from backoffMinMs to backoffMaxMs, with jitter in its upper half. */
  private backoff(): number {
    const base = Math.min(this.o.backoffMaxMs ?? 30_000, (this.o.backoffMinMs ?? 500) * 2 ** Math.min(this.attempt++, 16));
    return Math.round(base / 2 + (Math.random() * base) / 2);
  }

  /**
   * A list or a watch succeeded: the end of a failure streak is logged. The backoff itself starts
   * over only once a watch has lasted (see run), so flapping keeps backing off.
   */
  private recovered(): void {
    if (this.failures === 0) return;
    const secs = ((Date.now() - this.failingSince) / 1000).toFixed(1);
    this.o.log.info(`watch ${this.name}: reconnected after ${this.failures} failed attempt${this.failures === 1 ? '' : 's'} (${secs}s)`);
    this.failures = 0;
  }

  private markSynced(): void {
    if (this.everSynced) return;
    this.everSynced = true;
    this.o.sink.synced();
  }

  /** Waits `ms`; cut short by `stop`, and (for connection failures) by the server coming back. */
  private async sleep(ms: number, untilBackUp: boolean): Promise<void> {
    if (this.stopped) return;
    let timer: NodeJS.Timeout | undefined;
    let cancelBackUp: (() => void) | undefined;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      timer = setTimeout(resolve, ms);
      if (untilBackUp) {
        // A little jitter, so a dozen feeds do not relist in the same millisecond.
        cancelBackUp = this.o.api.onBackUp(() => setTimeout(resolve, Math.random() * 250));
      }
    });
    clearTimeout(timer);
    cancelBackUp?.();
    this.wake = undefined;
  }
}

/** The objects of serialised list pages, one page deserialised at a time. */
function* unpackPages(pages: readonly Buffer[]): Generator<KubeObject> {
  for (const p of pages) yield* deserialize(p) as KubeObject[];
}
