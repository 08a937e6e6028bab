/**
 * The forward plugin's metrics, named and labelled as CoreDNS 1.14 exports them: per-upstream
 * series under coredns_proxy_* (proxy_name="forward"), plugin-wide ones under coredns_forward_*.
 * Process-wide and shared by every instance, like CoreDNS's promauto collectors.
 */
import { FastCounter, FastHistogram } from '../../src/metrics/fast.js';
import { registry } from '../../src/metrics/registry.js';

function singleton<T>(name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/** CoreDNS's plugin.TimeBuckets: 0.25 ms doubling 16 times. */
const TIME_BUCKETS = Array.from({ length: 16 }, (_, i) => 0.00025 * 2 ** i);

export const requestDuration = singleton(
  'coredns_proxy_request_duration_seconds',
  () =>
    new FastHistogram(
      'coredns_proxy_request_duration_seconds',
      'Histogram of the time each request took.',
      ['proxy_name', 'to', 'rcode'],
      TIME_BUCKETS,
      registry,
    ),
);

export const healthcheckFailures = singleton(
  'coredns_proxy_healthcheck_failures_total',
  () => new FastCounter('coredns_proxy_healthcheck_failures_total', 'Counter of the number of failed healthchecks.', ['proxy_name', 'to'], registry),
);

export const connCacheHits = singleton(
  'coredns_proxy_conn_cache_hits_total',
  () =>
    new FastCounter(
      'coredns_proxy_conn_cache_hits_total',
      'Counter of connection cache hits per upstream and protocol.',
      ['proxy_name', 'to', 'proto'],
      registry,
    ),
);

export const connCacheMisses = singleton(
  'coredns_proxy_conn_cache_misses_total',
  () =>
    new FastCounter(
      'coredns_proxy_conn_cache_misses_total',
      'Counter of connection cache misses per upstream and protocol.',
      ['proxy_name', 'to', 'proto'],
      registry,
    ),
);

const healthcheckBrokenTotal = singleton(
  'coredns_forward_healthcheck_broken_total',
  () => new FastCounter('coredns_forward_healthcheck_broken_total', 'Counter of the number of complete failures of the healthchecks.', [], registry),
);

const maxConcurrentRejectsTotal = singleton(
  'coredns_forward_max_concurrent_rejects_total',
  () =>
    new FastCounter(
      'coredns_forward_max_concurrent_rejects_total',
      'Counter of the number of queries rejected because the concurrent queries were at maximum.',
      [],
      registry,
    ),
);

// Unlabelled counters are exported from the start (at 0), as CoreDNS's are.
export const healthcheckBroken = healthcheckBrokenTotal.labels();
export const maxConcurrentRejects = maxConcurrentRejectsTotal.labels();

/** The `proxy_name` label of every series this plugin exports. */
export const PROXY_NAME = 'forward';
