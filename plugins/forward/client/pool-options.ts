/** Knobs shared by the UDP and TCP pools of one upstream. */

export interface PoolOptions {
  /** Idle time after which a socket or connection is closed (CoreDNS `expire`); 0: never reused. */
  readonly expireMs: number;
  /** Idle sockets or connections kept open; 0: no limit (CoreDNS `max_idle_conns`). */
  readonly maxIdle: number;
  /** Connected UDP sockets per upstream, used in turn (each its own source port). */
  readonly udpSockets: number;
  /** TCP connections per upstream. */
  readonly tcpConnections: number;
  /** Queries pipelined on one TCP connection before another one is opened. */
  readonly tcpPipeline: number;
}

export const DEFAULT_POOL: PoolOptions = {
  expireMs: 10_000,
  maxIdle: 0,
  udpSockets: 4,
  tcpConnections: 8,
  tcpPipeline: 32,
};

/** Connection-cache accounting (coredns_proxy_conn_cache_{hits,misses}_total). */
export interface PoolEvents {
  /** A query went out on an existing socket or connection. */
  hit(): void;
  /** A query needed a new one. */
  miss(): void;
}

/** "127.0.0.1:53", "[::1]:53": Go's net.JoinHostPort, used in labels and messages. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
