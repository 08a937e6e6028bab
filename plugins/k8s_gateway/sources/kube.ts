/**
 * The Kubernetes API source: one reflector per object kind (one per `serviceLabelSelectors`
 * entry for Services, filtered by the server), feeding the index through the same sink as the
 * manifests source. Kinds never wait for each other: a kind whose watch keeps failing goes on
 * being served from its last list while the others stay live.
 */
import type { Logger } from '../../../src/log.js';
import { objectKey, type KubeObject, type ObjectKind, type Source, type SourceSink } from '../types.js';
import { matches, parseSelector, type LabelSelector } from '../labels.js';
import type { KubeAccess } from './kube-access.js';
import { KubeApi, type KubeApiOptions } from './kube-api.js';
import { API_RESOURCES } from './kube-resources.js';
import { Reflector, type FeedEvents, type FeedSink, type ReflectorOptions } from './reflector.js';

export interface KubeSourceOptions {
  readonly logger: Logger;
  /** Applied to every object as it arrives: the plugin keeps only what its extractors read. */
  readonly transform?: (kind: ObjectKind, obj: KubeObject) => KubeObject;
  /** Server-side label selectors for Services; several mean the union of their matches. */
  readonly serviceSelectors?: readonly string[];
  /** Per-kind counters and gauges. */
  readonly events?: (kind: ObjectKind) => FeedEvents;
  readonly api?: KubeApiOptions;
  /** Reflector tunables (tests shorten them). */
  readonly tuning?: Pick<ReflectorOptions, 'pageSize' | 'crdPollMs' | 'backoffMinMs' | 'backoffMaxMs' | 'watchTimeoutSeconds' | 'watchIdleMs'>;
}

/**
 * Several Services feeds (one per selector) as one kind: an object is present while any feed
 * has it. Each feed's relist replaces only that feed's share, in one synchronous step.
 */
class UnionSink {
  /** key -> bitmask of the feeds holding it */
  private readonly holders = new Map<string, number>();
  private pendingSync: number;

  constructor(
    private readonly kind: ObjectKind,
    private readonly sink: SourceSink,
    private readonly selectors: readonly LabelSelector[],
    /** The trim every delivered object gets (a handed-over object comes from a raw event). */
    private readonly transform: (obj: KubeObject) => KubeObject,
  ) {
    this.pendingSync = selectors.length;
  }

  feed(i: number): FeedSink {
    const bit = 1 << i;
    return {
      replace: (delivered) => {
        const objects = [...delivered];
        const keep = new Set<string>();
        for (const o of objects) keep.add(objectKey(o));
        for (const [key, mask] of this.holders) {
          if ((mask & bit) === 0 || keep.has(key)) continue;
          this.drop(key, mask, bit);
        }
        for (const o of objects) this.add(o, bit);
      },
      upsert: (obj) => this.add(obj, bit),
      delete: (key, obj) => {
        const mask = this.holders.get(key);
        if (mask === undefined || (mask & bit) === 0) return;
        // A relabelled object leaves one selector's watch as DELETED (with its new labels) before
        // the next selector's watch reports it: hand it over rather than drop it in between.
        const next = obj === undefined ? -1 : this.selectors.findIndex((sel, j) => j !== i && matches(sel, obj.metadata?.labels));
        if (next >= 0 && obj !== undefined) {
          this.holders.set(key, (mask & ~bit) | (1 << next));
          this.sink.upsert(this.kind, this.transform(obj));
          return;
        }
        this.drop(key, mask, bit);
      },
      synced: () => {
        if (--this.pendingSync === 0) this.sink.synced(this.kind);
      },
    };
  }

  private add(obj: KubeObject, bit: number): void {
    const key = objectKey(obj);
    this.holders.set(key, (this.holders.get(key) ?? 0) | bit);
    this.sink.upsert(this.kind, obj);
  }

  private drop(key: string, mask: number, bit: number): void {
    const rest = mask & ~bit;
    if (rest === 0) {
      this.holders.delete(key);
      this.sink.delete(this.kind, key);
    } else {
      // Another selector still matches; its copy (the same object) stays.
      this.holders.set(key, rest);
    }
  }
}

export class KubeSource implements Source {
  private api: KubeApi | undefined;
  private reflectors: Reflector[] = [];

  constructor(
    /** Resolved at start, so a Corefile can be validated without credentials at hand. */
    private readonly access: () => Promise<KubeAccess>,
    private readonly kinds: readonly ObjectKind[],
    private readonly opts: KubeSourceOptions,
  ) {}

  async start(sink: SourceSink): Promise<void> {
    const { logger, transform, events, tuning } = this.opts;
    let api: KubeApi;
    try {
      api = this.api = new KubeApi(await this.access(), this.opts.api);
    } catch (e) {
      throw new Error(`plugin/k8s_gateway: ${(e as Error).message}`);
    }
    const noEvents: FeedEvents = { restart: () => undefined, relist: () => undefined, activity: () => undefined };
    for (const kind of this.kinds) {
      const selectors = kind === 'Service' ? this.serviceFeeds() : [undefined];
      const trim = transform === undefined ? (o: KubeObject) => o : (o: KubeObject) => transform(kind, o);
      const union = selectors.length > 1 ? new UnionSink(kind, sink, selectors.map((sel) => parseSelector(sel ?? '')), trim) : undefined;
      selectors.forEach((labelSelector, i) => {
        const feed: FeedSink = union?.feed(i) ?? {
          replace: (objects) => sink.replace(kind, objects),
          upsert: (obj) => sink.upsert(kind, obj),
          delete: (key) => sink.delete(kind, key),
          synced: () => sink.synced(kind),
        };
        this.reflectors.push(
          new Reflector({
            ...tuning,
            api,
            resource: API_RESOURCES[kind],
            ...(labelSelector === undefined ? {} : { labelSelector }),
            transform: trim,
            sink: feed,
            events: events?.(kind) ?? noEvents,
            log: logger,
          }),
        );
      });
    }
    logger.info(`watching ${this.kinds.join(', ')} at ${api.server}`);
    for (const r of this.reflectors) r.start();
  }

  /**
   * The label selectors of the Service watches: one per `serviceLabelSelectors` entry, filtered by
   * the server. Istio Gateways join with Services outside those selectors (the selectors only
   * decide which Services get names), so with VirtualService every Service is watched and the
   * index applies the selectors itself.
   */
  private serviceFeeds(): ReadonlyArray<string | undefined> {
    const sel = this.opts.serviceSelectors ?? [];
    if (sel.length === 0) return [undefined];
    if (this.kinds.includes('VirtualService')) {
      this.opts.logger.info('watching every Service: VirtualService targets may come from Services outside serviceLabelSelectors');
      return [undefined];
    }
    return sel;
  }

  async stop(): Promise<void> {
    this.api?.stop();
    await Promise.all(this.reflectors.map((r) => r.stop()));
    this.reflectors = [];
  }
}
