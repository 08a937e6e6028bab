/**
 * CoreDNS's cache metrics (plugin/cache/metrics.go): same names, help texts and labels, so
 * existing dashboards work. `zones` is the cache's zone list joined with ",", `view` is empty.
 */
import { type CounterChild, FastCounter, FastGauge, type GaugeChild } from '../../src/metrics/fast.js';
import { registry } from '../../src/metrics/registry.js';

export type CacheType = 'success' | 'denial';

const entries = new FastGauge('coredns_cache_entries', 'The number of elements in the cache.', ['server', 'type', 'zones', 'view'], registry);
const requests = new FastCounter('coredns_cache_requests_total', 'The count of cache requests.', ['server', 'zones', 'view'], registry);
const hits = new FastCounter('coredns_cache_hits_total', 'The count of cache hits.', ['server', 'type', 'zones', 'view'], registry);
const misses = new FastCounter(
  'coredns_cache_misses_total',
  'The count of cache misses. Deprecated, derive misses from cache hits/requests counters.',
  ['server', 'zones', 'view'],
  registry,
);
const prefetches = new FastCounter(
  'coredns_cache_prefetch_total',
  'The number of times the cache has prefetched a cached item.',
  ['server', 'zones', 'view'],
  registry,
);
const drops = new FastCounter(
  'coredns_cache_drops_total',
  'The number responses that are not cached, because the reply is malformed.',
  ['server', 'zones', 'view'],
  registry,
);
const servedStale = new FastCounter(
  'coredns_cache_served_stale_total',
  'The number of requests served from stale cache entries.',
  ['server', 'zones', 'view'],
  registry,
);
const evictions = new FastCounter('coredns_cache_evictions_total', 'The count of cache evictions.', ['server', 'type', 'zones', 'view'], registry);

/** The children of one (server, zones) pair, resolved once so the query path only bumps numbers. */
export class CacheCounters {
  readonly requests: CounterChild;
  readonly misses: CounterChild;
  readonly prefetches: CounterChild;
  readonly drops: CounterChild;
  readonly servedStale: CounterChild;
  readonly successHits: CounterChild;
  readonly denialHits: CounterChild;
  readonly successEntries: GaugeChild;
  readonly denialEntries: GaugeChild;
  readonly successEvictions: CounterChild;
  readonly denialEvictions: CounterChild;

  constructor(server: string, zones: string) {
    this.requests = requests.labels(server, zones, '');
    this.misses = misses.labels(server, zones, '');
    this.prefetches = prefetches.labels(server, zones, '');
    this.drops = drops.labels(server, zones, '');
    this.servedStale = servedStale.labels(server, zones, '');
    this.successHits = hits.labels(server, 'success', zones, '');
    this.denialHits = hits.labels(server, 'denial', zones, '');
    this.successEntries = entries.labels(server, 'success', zones, '');
    this.denialEntries = entries.labels(server, 'denial', zones, '');
    this.successEvictions = evictions.labels(server, 'success', zones, '');
    this.denialEvictions = evictions.labels(server, 'denial', zones, '');
  }
}

/** CacheCounters per server label for one cache instance. */
export class CacheMetrics {
  private readonly byServer = new Map<string, CacheCounters>();
  private lastServer = '';
  private last: CacheCounters | undefined;

  constructor(readonly zonesLabel: string) {}

  for(server: string): CacheCounters {
    // Nearly every query of a block comes through the same listener: skip the map then.
    if (server === this.lastServer && this.last !== undefined) return this.last;
    let c = this.byServer.get(server);
    if (c === undefined) {
      c = new CacheCounters(server, this.zonesLabel);
      this.byServer.set(server, c);
    }
    this.lastServer = server;
    this.last = c;
    return c;
  }
}
