/**
 * CoreDNS's server-level metrics (plugin/metrics/vars): names, labels and buckets as CoreDNS,
 * so existing dashboards work. Reported by the prometheus plugin for its zones and by the server
 * for queries that never reach a chain (zone "dropped").
 */
import { registry } from './registry.js';
import { type CounterChild, FastCounter, FastGauge, FastHistogram, type HistogramChild } from './fast.js';
import { rcodeToString } from '../wire/constants.js';
import { VERSION } from '../version.js';

const durationBuckets = Array.from({ length: 16 }, (_, i) => 0.00025 * 2 ** i);
const sizeBuckets = [0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16e3, 32e3, 48e3, 64e3];

export const requestsTotal = new FastCounter(
  'coredns_dns_requests_total',
  'Counter of DNS requests made per zone, protocol and family.',
  ['server', 'zone', 'view', 'proto', 'family', 'type'],
  registry,
);
export const requestDuration = new FastHistogram(
  'coredns_dns_request_duration_seconds',
  'Histogram of the time (in seconds) each request took per zone.',
  ['server', 'zone', 'view'],
  durationBuckets,
  registry,
);
export const requestSize = new FastHistogram(
  'coredns_dns_request_size_bytes',
  'Size of the EDNS0 UDP buffer in bytes (64K for TCP) per zone and protocol.',
  ['server', 'zone', 'view', 'proto'],
  sizeBuckets,
  registry,
);
export const responseSize = new FastHistogram(
  'coredns_dns_response_size_bytes',
  'Size of the returned response in bytes.',
  ['server', 'zone', 'view', 'proto'],
  sizeBuckets,
  registry,
);
export const doRequestsTotal = new FastCounter(
  'coredns_dns_do_requests_total',
  'Counter of DNS requests with DO bit set per zone.',
  ['server', 'zone', 'view'],
  registry,
);
export const responsesTotal = new FastCounter(
  'coredns_dns_responses_total',
  'Counter of response status codes.',
  ['server', 'zone', 'view', 'rcode', 'plugin'],
  registry,
);
export const panicsTotal = new FastCounter('coredns_panics_total', 'A metrics that counts the number of panics.', [], registry);
export const pluginEnabled = new FastGauge(
  'coredns_plugin_enabled',
  'A metric that indicates whether a plugin is enabled on per server and zone basis.',
  ['server', 'zone', 'view', 'name'],
  registry,
);
const buildInfo = new FastGauge(
  'coredns_build_info',
  'A metric with a constant \'1\' value labeled by version, revision, and goversion from which CoreDNS was built.',
  ['version', 'revision', 'goversion'],
  registry,
);
buildInfo.labels(VERSION, '', process.version).set(1);

/** CoreDNS's `type` label: a fixed list, everything else "other". */
const typeLabel = new Map<number, string>([
  [1, 'A'], [28, 'AAAA'], [5, 'CNAME'], [48, 'DNSKEY'], [43, 'DS'], [15, 'MX'], [50, 'NSEC3'], [47, 'NSEC'],
  [2, 'NS'], [12, 'PTR'], [46, 'RRSIG'], [6, 'SOA'], [33, 'SRV'], [16, 'TXT'], [65, 'HTTPS'], [64, 'SVCB'],
  [251, 'IXFR'], [252, 'AXFR'], [255, 'ANY'],
]);

/** Children for one (server, zone), created on first use so the per-query path only indexes arrays. */
class ZoneReporter {
  private readonly requests = new Map<number, CounterChild>();
  private readonly responses = new Map<string, CounterChild>();
  readonly duration: HistogramChild;
  readonly reqSize: HistogramChild[];
  readonly respSize: HistogramChild[];
  readonly doRequests: CounterChild;

  constructor(
    private readonly server: string,
    private readonly zone: string,
  ) {
    this.duration = requestDuration.labels(server, zone, '');
    this.reqSize = [requestSize.labels(server, zone, '', 'udp'), requestSize.labels(server, zone, '', 'tcp')];
    this.respSize = [responseSize.labels(server, zone, '', 'udp'), responseSize.labels(server, zone, '', 'tcp')];
    this.doRequests = doRequestsTotal.labels(server, zone, '');
  }

  request(tcp: boolean, family: 1 | 2, qtype: number): CounterChild {
    const key = (qtype << 2) | ((tcp ? 1 : 0) << 1) | (family - 1);
    let c = this.requests.get(key);
    if (c === undefined) {
      c = requestsTotal.labels(this.server, this.zone, '', tcp ? 'tcp' : 'udp', String(family), typeLabel.get(qtype) ?? 'other');
      this.requests.set(key, c);
    }
    return c;
  }

  response(rcode: number, plugin: string): CounterChild {
    const key = `${rcode}|${plugin}`;
    let c = this.responses.get(key);
    if (c === undefined) {
      c = responsesTotal.labels(this.server, this.zone, '', rcodeToString(rcode), plugin);
      this.responses.set(key, c);
    }
    return c;
  }
}

const reporters = new Map<string, ZoneReporter>();

export function zoneReporter(server: string, zone: string): ZoneReporter {
  const key = `${server}\u0000${zone}`;
  let r = reporters.get(key);
  if (r === undefined) {
    r = new ZoneReporter(server, zone);
    reporters.set(key, r);
  }
  return r;
}

export interface RequestFacts {
  tcp: boolean;
  family: 1 | 2;
  qtype: number;
  do: boolean;
  /** Request size in bytes. */
  reqLen: number;
  rcode: number;
  plugin: string;
  /** Response size in bytes (0 when nothing was written by the chain). */
  respLen: number;
  seconds: number;
}

/** CoreDNS's vars.Report. */
export function report(r: ZoneReporter, f: RequestFacts): void {
  r.request(f.tcp, f.family, f.qtype).inc();
  if (f.do) r.doRequests.inc();
  const p = f.tcp ? 1 : 0;
  r.reqSize[p]!.observe(f.reqLen);
  r.respSize[p]!.observe(f.respLen);
  r.duration.observe(f.seconds);
  r.response(f.rcode, f.plugin).inc();
}
