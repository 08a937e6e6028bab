/**
 * One configured k8s_gateway: its index, answer table, source and (in resolve mode) hostname
 * resolver, wired to logs and metrics. Nothing runs until `start`.
 */
import type { Logger } from '../../src/log.js';
import { releaseMemory, releaseMemorySoon } from '../../src/memory-release.js';
import type { Handler, PluginInstance } from '../../src/plugin/plugin.js';
import { AnswerTable, K8sGateway } from './gateway.js';
import { HostIndex, isReverseZone } from './index.js';
import { parseSelector, matches } from './labels.js';
import { indexNames, indexObjects, indexUpdates, invalidObjects, sourceSynced, watchLastEvent, watchRelists, watchRestarts } from './metrics.js';
import { HostResolver } from './resolver.js';
import type { Config } from './setup.js';
import { kindsFor } from './sources/classify.js';
import { KubeSource } from './sources/kube.js';
import { ManifestsSource } from './sources/manifests.js';
import type { KubeObject, ObjectKind, Source, SourceSink } from './types.js';
import { trimObject } from './trim.js';
import { zoneListing } from './zonefile.js';

/** Builds the source for a configuration; replaced in tests. */
export type SourceFactory = (cfg: Config, kinds: readonly ObjectKind[], log: Logger) => Source;

export const defaultSource: SourceFactory = (cfg, kinds, log) => {
  if (cfg.manifests !== undefined) {
    return new ManifestsSource(cfg.manifests, kinds, {
      logger: log,
      transform: trimObject,
    });
  }
  // Loaded on demand: the kubeconfig parser costs ~14 MB of RSS a manifests-only server never needs.
  const access = async () => (await import('./sources/kube-access.js')).loadKubeAccess(cfg.kubeconfig);
  return new KubeSource(access, kinds, {
    logger: log,
    transform: trimObject,
    serviceSelectors: cfg.serviceLabelSelectors,
    events: (kind) => {
      const restarts = watchRestarts.labels(kind);
      const relists = watchRelists.labels(kind);
      const last = watchLastEvent.labels(kind);
      return {
        restart: () => restarts.inc(),
        relist: () => relists.inc(),
        activity: () => last.set(Date.now() / 1000),
      };
    },
  });
};

/** Objects whose problems are remembered (to log each once). */
const MAX_REPORTED = 10_000;
/** Objects (or names) of a load after which memory is worth handing back (src/memory-release.ts). */
const BULK_LOAD = 1000;

function relativeTo(name: string, zone: string): string {
  return zone === '.' ? `${name}.` : `${name}.${zone}`;
}

export class GatewayInstance implements PluginInstance {
  readonly index: HostIndex;
  readonly table: AnswerTable;
  readonly kinds: readonly ObjectKind[];
  private readonly source: Source;
  private readonly resolver: HostResolver | undefined;
  private readonly objectCounts = new Map<ObjectKind, number>();
  private names = 0;
  /** Last problems reported per object, so a re-extraction does not log them again. */
  private readonly reported = new Map<string, Set<string>>();
  private wasReady = false;

  constructor(
    readonly config: Config,
    private readonly log: Logger,
    sourceFactory: SourceFactory = defaultSource,
  ) {
    this.kinds = kindsFor(config.resources);
    const selectors = config.serviceLabelSelectors.map((s) => parseSelector(s));
    let resolver: HostResolver | undefined;
    this.index = new HostIndex(
      {
        zones: config.zones,
        resources: config.resources,
        kinds: this.kinds,
        extract: {
          ingressClasses: config.ingressClasses === undefined ? undefined : new Set(config.ingressClasses),
          gatewayClasses: config.gatewayClasses === undefined ? undefined : new Set(config.gatewayClasses),
          nodeAddressType: config.nodeAddressType,
          gardenerClass: config.gardenerClass,
        },
        defaultTtl: config.ttl,
        hostnameTargets: config.hostnameTargets,
        acceptService: selectors.length === 0 ? undefined : (o: KubeObject) => selectors.some((s) => matches(s, o.metadata?.labels)),
      },
      {
        problem: (kind, key, p) => this.problem(kind, key, p.reason, p.detail),
        update: (kind) => indexUpdates.labels(kind).inc(),
        objects: (kind, count) => {
          indexObjects.labels(kind).inc(count - (this.objectCounts.get(kind) ?? 0));
          this.objectCounts.set(kind, count);
        },
        names: (count) => {
          indexNames.labels().inc(count - this.names);
          this.names = count;
        },
        hostWanted: (host, wanted) => resolver?.want(host, wanted),
      },
    );
    if (config.hostnameTargets === 'resolve') {
      resolver = new HostResolver(config.resolveInterval, (h, v4, v6) => this.index.setResolved(h, v4, v6), log);
    }
    this.resolver = resolver;
    // A reverse zone's nameservers are the forward zone's: `dns1.kube-system.2.0.192.in-addr.arpa.`
    // would be a name nobody can resolve.
    const forward = config.zones.find((z) => !isReverseZone(z));
    const nsZone = (zone: string) => (isReverseZone(zone) && forward !== undefined ? forward : zone);
    this.table = new AnswerTable(
      this.index,
      config.zones.map((zone) => ({
        zone,
        apex: relativeTo(config.apex, nsZone(zone)),
        secondary: config.secondary === undefined ? undefined : relativeTo(config.secondary, nsZone(zone)),
      })),
      config.fallthrough,
    );
    this.source = sourceFactory(config, this.kinds, log);
  }

  handler(next: Handler | undefined): Handler {
    return new K8sGateway(this.table, () => this.index.ready, next);
  }

  ready(): boolean {
    return this.index.ready;
  }

  /** The sink the source feeds: the index, plus sync bookkeeping. */
  get sink(): SourceSink {
    return {
      replace: (kind, objects) => {
        // A relist or reload of many objects after the first sync is a bulk load too.
        if (this.index.replace(kind, objects) >= BULK_LOAD && this.wasReady) releaseMemorySoon(`replacing ${kind} objects`);
      },
      upsert: (kind, obj) => this.index.upsert(kind, obj),
      delete: (kind, key) => this.index.delete(kind, key),
      synced: (kind) => {
        this.index.synced(kind);
        sourceSynced.labels(kind).set(1);
        if (!this.wasReady && this.index.ready) {
          this.wasReady = true;
          this.log.info(`synced ${this.kinds.join(', ')}: ${this.index.nameCount} names`);
          if (this.index.nameCount >= BULK_LOAD) releaseMemory('the first sync');
        }
      },
    };
  }

  async start(): Promise<void> {
    for (const k of this.kinds) if (!this.index.isSynced(k)) sourceSynced.labels(k).set(0);
    this.resolver?.start();
    await this.source.start(this.sink);
  }

  async stop(): Promise<void> {
    this.resolver?.stop();
    await this.source.stop();
    // Another instance (after a reload) counts its own objects; take ours out of the totals.
    for (const [kind, n] of this.objectCounts) indexObjects.labels(kind).dec(n);
    this.objectCounts.clear();
    indexNames.labels().dec(this.names);
    this.names = 0;
  }

  /** RFC 1035 master-file text of every zone (`exdns records`). */
  records(): string {
    return zoneListing(this.table, this.config.zones);
  }

  private problem(kind: ObjectKind, key: string, reason: string, detail: string): void {
    const id = `${kind}/${key}`;
    let seen = this.reported.get(id);
    if (seen === undefined) {
      // Bounded: churn of many broken objects must not grow memory without end.
      if (this.reported.size >= MAX_REPORTED) this.reported.clear();
      seen = new Set();
      this.reported.set(id, seen);
    }
    const text = `${reason}: ${detail}`;
    if (seen.has(text)) return;
    seen.add(text);
    invalidObjects.labels(kind, reason).inc();
    this.log.warning(`${kind} ${key}: ${detail}`);
  }
}
