/** The hosts plugin's metrics, CoreDNS's names and help texts; process-wide, shared by every instance. */
import { FastGauge } from '../../src/metrics/fast.js';
import { registry } from '../../src/metrics/registry.js';

function gauge(name: string, help: string): FastGauge {
  // A second import of this module (tests, reloads) must reuse the registered metric.
  return (registry.getSingleMetric(name) as FastGauge | undefined) ?? new FastGauge(name, help, [], registry);
}

// CoreDNS's entries metric is a vector without labels: no sample until a file was read.
const entries = gauge('coredns_hosts_entries', 'The combined number of entries in hosts and Corefile.');
const reloadTimestamp = gauge('coredns_hosts_reload_timestamp_seconds', 'The timestamp of the last reload of hosts file.').labels();

/** Records a successful read of the hosts file: entries of file and Corefile, and the file's mtime. */
export function recordReload(entryCount: number, mtimeMs: number): void {
  entries.labels().set(entryCount);
  reloadTimestamp.set(mtimeMs / 1000);
}
