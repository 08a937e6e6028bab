/** The typed configuration of one `forward` directive (one stanza; several chain). */
import type { HealthOptions } from './proxy.js';
import type { PolicyName } from './policy.js';
import type { Upstream } from './to.js';

export interface ForwardConfig {
  /** Lowercase FQDN: only names at or below it are forwarded. */
  readonly from: string;
  /** `except`: names at or below these are passed to the next plugin (FROM itself never is). */
  readonly ignored: readonly string[];
  readonly upstreams: readonly Upstream[];
  readonly policy: PolicyName;
  /** Failed health probes after which an upstream is down; 0: never down, never probed. */
  readonly maxFails: number;
  /** Failed tries per query before giving up; 0: twice the number of upstreams. */
  readonly maxConnectAttempts: number;
  /** Probe interval, name and RD bit (the transport follows force_tcp). */
  readonly health: Omit<HealthOptions, 'tcp'>;
  readonly forceTcp: boolean;
  readonly preferUdp: boolean;
  /** Idle time after which a pooled socket or connection is closed. */
  readonly expireMs: number;
  /** Idle sockets or connections kept per upstream and protocol; 0: no limit. */
  readonly maxIdleConns: number;
  /** Queries in flight beyond which new ones get REFUSED; 0: no limit. */
  readonly maxConcurrent: number;
  /** `next`: rcodes that hand the query to the next forward instead of answering. */
  readonly next: readonly number[];
  /** `next_on_nodata`: a NOERROR reply without answers goes to the next forward too. */
  readonly nextOnNodata: boolean;
  /** `failover`: rcodes after which the next upstream is tried. */
  readonly failover: readonly number[];
  /** `failfast_all_unhealthy_upstreams`: SERVFAIL at once when every upstream is down. */
  readonly failfast: boolean;
  /** One try's timeout (CoreDNS's fixed read timeout; not a Corefile option). */
  readonly readTimeoutMs: number;
  /** All tries of one query together (CoreDNS's fixed 5 s; not a Corefile option). */
  readonly totalTimeoutMs: number;
}

/** CoreDNS's New(): the values of a bare `forward FROM TO...`. */
export const DEFAULTS: Omit<ForwardConfig, 'from' | 'upstreams'> = {
  ignored: [],
  policy: 'random',
  maxFails: 2,
  maxConnectAttempts: 0,
  health: { intervalMs: 500, domain: '.', recursionDesired: true },
  forceTcp: false,
  preferUdp: false,
  expireMs: 10_000,
  maxIdleConns: 0,
  maxConcurrent: 0,
  next: [],
  nextOnNodata: false,
  failover: [],
  failfast: false,
  readTimeoutMs: 2000,
  totalTimeoutMs: 5000,
};

/** Upstreams one directive may name (CoreDNS's `max`). */
export const MAX_UPSTREAMS = 15;
