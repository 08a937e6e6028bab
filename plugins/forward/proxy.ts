/**
 * One upstream (CoreDNS's proxy.Proxy): its UDP and TCP pools, its health (fail count and probe
 * loop) and its per-upstream metrics.
 */
import type { CounterChild, HistogramChild } from '../../src/metrics/fast.js';
import type { Query } from '../../src/wire/query.js';
import { type Outcome, UpstreamError } from './client/outcome.js';
import type { PoolEvents, PoolOptions } from './client/pool-options.js';
import { TcpPool } from './client/tcp-pool.js';
import { UdpPool } from './client/udp-pool.js';
import { HEALTH_TIMEOUT_MS, Probe, probeQuery } from './health.js';
import { connCacheHits, connCacheMisses, healthcheckFailures, PROXY_NAME, requestDuration } from './metrics.js';
import { rcodeLabel } from './rcode-label.js';
import type { Upstream } from './to.js';
import { readUpstreamReply, type UpstreamReply } from './upstream-reply.js';

export interface HealthOptions {
  readonly intervalMs: number;
  readonly domain: string;
  readonly recursionDesired: boolean;
  /** Probe over TCP (force_tcp), else UDP. */
  readonly tcp: boolean;
}

export interface ProxyOptions {
  readonly pool: PoolOptions;
  readonly health: HealthOptions;
}

/** What one try against one upstream gave. */
export type Attempt =
  | { readonly kind: 'reply'; readonly reply: UpstreamReply }
  /** The upstream answered the query's ID with another question (or a non-response). */
  | { readonly kind: 'mismatch' }
  | { readonly kind: 'error'; readonly error: UpstreamError };

const NO_EVENTS: PoolEvents = { hit: () => undefined, miss: () => undefined };

/** Series appear on first use, as CoreDNS's do (a configuration only validated exports nothing). */
function events(to: string, proto: 'udp' | 'tcp'): PoolEvents {
  let hits: CounterChild | undefined;
  let misses: CounterChild | undefined;
  return {
    hit: () => (hits ??= connCacheHits.labels(PROXY_NAME, to, proto)).inc(),
    miss: () => (misses ??= connCacheMisses.labels(PROXY_NAME, to, proto)).inc(),
  };
}

export class Proxy {
  /** Consecutive failed health probes. */
  fails = 0;
  readonly addr: string;
  private readonly udp: UdpPool;
  private readonly tcp: TcpPool;
  private readonly probe: Probe;
  private readonly probeMsg: { msg: Buffer; questionEnd: number };
  /** The probe's own pool: probes are not queries and stay out of the connection-cache metrics. */
  private probePool: UdpPool | TcpPool | undefined;
  private readonly durations = new Map<number, HistogramChild>();
  private hcFailures: CounterChild | undefined;

  constructor(
    readonly upstream: Upstream,
    private readonly opts: ProxyOptions,
  ) {
    this.addr = upstream.addr;
    this.udp = new UdpPool(upstream.host, upstream.port, opts.pool, events(this.addr, 'udp'));
    this.tcp = new TcpPool(upstream.host, upstream.port, opts.pool, events(this.addr, 'tcp'));
    this.probe = new Probe(opts.health.intervalMs);
    this.probeMsg = probeQuery(opts.health.domain, opts.health.recursionDesired);
  }

  /** Sends the client's query unchanged but for its ID; one try, at most `timeoutMs`. */
  async connect(q: Query, tcp: boolean, timeoutMs: number): Promise<Attempt> {
    const start = performance.now();
    const o: Outcome = await (tcp ? this.tcp : this.udp).exchange(q.raw, q.questionEnd, timeoutMs);
    if (o.kind === 'error') return o;
    if (o.kind === 'mismatch') return { kind: 'mismatch' };
    const reply = readUpstreamReply(o.msg, q.questionEnd);
    if (reply === undefined) {
      return { kind: 'error', error: new UpstreamError('malformed', `dns: malformed reply from ${this.addr}`) };
    }
    this.duration(reply.rcode).observe((performance.now() - start) / 1000);
    return { kind: 'reply', reply };
  }

  private duration(rcode: number): HistogramChild {
    let h = this.durations.get(rcode);
    if (h === undefined) {
      h = requestDuration.labels(PROXY_NAME, this.addr, rcodeLabel(rcode));
      this.durations.set(rcode, h);
    }
    return h;
  }

  /** More than `maxFails` failed probes in a row; never with max_fails 0. */
  down(maxFails: number): boolean {
    return maxFails !== 0 && this.fails > maxFails;
  }

  /** Starts the probe loop unless it runs already. */
  healthcheck(): void {
    this.probe.run(this.check);
  }

  /** One probe: any DNS message back is healthy, whatever its rcode or question. */
  readonly check = async (): Promise<boolean> => {
    const pool = (this.probePool ??= this.opts.health.tcp
      ? new TcpPool(this.upstream.host, this.upstream.port, { ...this.opts.pool, tcpConnections: 1 }, NO_EVENTS)
      : new UdpPool(this.upstream.host, this.upstream.port, { ...this.opts.pool, udpSockets: 1 }, NO_EVENTS));
    const o = await pool.exchange(this.probeMsg.msg, this.probeMsg.questionEnd, HEALTH_TIMEOUT_MS);
    if (o.kind === 'error') {
      if (o.error.kind === 'stopped') return true;
      (this.hcFailures ??= healthcheckFailures.labels(PROXY_NAME, this.addr)).inc();
      this.fails++;
      return false;
    }
    this.fails = 0;
    return true;
  };

  /** Stops probing and closes every socket once its queries are done. */
  stop(): void {
    this.probe.stop();
    this.udp.stop();
    this.tcp.stop();
    this.probePool?.stop();
  }
}
