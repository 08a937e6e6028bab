/** The plugin's own metrics (README "Metrics"); process-wide, shared by every instance. */
import { FastCounter, FastGauge } from '../../src/metrics/fast.js';
import { registry } from '../../src/metrics/registry.js';

function singleton<T>(name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export const indexNames = singleton(
  'exdns_index_names',
  () => new FastGauge('exdns_index_names', 'Names that hold records in the k8s_gateway index.', [], registry),
);
export const indexObjects = singleton(
  'exdns_index_objects',
  () => new FastGauge('exdns_index_objects', 'Kubernetes objects held by the k8s_gateway index, per kind.', ['kind'], registry),
);
export const sourceSynced = singleton(
  'exdns_source_synced',
  () => new FastGauge('exdns_source_synced', '1 once the first complete list of a kind has been loaded, else 0.', ['kind'], registry),
);
export const indexUpdates = singleton(
  'exdns_index_updates_total',
  () => new FastCounter('exdns_index_updates_total', 'Objects added, changed or removed in the k8s_gateway index, per kind.', ['kind'], registry),
);
export const invalidObjects = singleton(
  'exdns_invalid_objects_total',
  () =>
    new FastCounter(
      'exdns_invalid_objects_total',
      'Names, targets or objects skipped because they were invalid or conflicting, per kind and reason.',
      ['kind', 'reason'],
      registry,
    ),
);
export const watchRestarts = singleton(
  'exdns_watch_restarts_total',
  () =>
    new FastCounter(
      'exdns_watch_restarts_total',
      'Kubernetes watches reopened after they ended (server timeout, error, outage), per kind.',
      ['kind'],
      registry,
    ),
);
export const watchRelists = singleton(
  'exdns_watch_relists_total',
  () => new FastCounter('exdns_watch_relists_total', 'Complete lists of a kind after the first one (expired watch, CRD change), per kind.', ['kind'], registry),
);
export const watchLastEvent = singleton(
  'exdns_watch_last_event_timestamp_seconds',
  () =>
    new FastGauge(
      'exdns_watch_last_event_timestamp_seconds',
      'Unix time of the last list, event or bookmark received from the Kubernetes API, per kind.',
      ['kind'],
      registry,
    ),
);
