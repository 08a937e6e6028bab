/**
 * The forward plugin of one server block: every `forward` line of the block, chained in
 * Corefile order (a name the first does not take goes to the second...), the last one followed
 * by the next plugin.
 */
import type { Handler, PluginInstance } from '../../src/plugin/plugin.js';
import { DEFAULT_POOL } from './client/pool-options.js';
import type { ForwardConfig } from './config.js';
import { Forward } from './forward.js';
import { Proxy } from './proxy.js';

export function newForward(config: ForwardConfig): Forward {
  const pool = { ...DEFAULT_POOL, expireMs: config.expireMs, maxIdle: config.maxIdleConns };
  const health = { ...config.health, tcp: config.forceTcp };
  return new Forward(
    config,
    config.upstreams.map((u) => new Proxy(u, { pool, health })),
  );
}

export class ForwardInstance implements PluginInstance {
  /** CoreDNS passes queries of every class to a block that forwards. */
  readonly acceptsAnyClass = true;
  readonly forwards: readonly Forward[];

  constructor(readonly configs: readonly ForwardConfig[]) {
    this.forwards = configs.map(newForward);
  }

  handler(next: Handler | undefined): Handler {
    const fs = this.forwards;
    for (let i = 0; i < fs.length; i++) fs[i]!.next = i + 1 < fs.length ? fs[i + 1] : next;
    return fs[0]!;
  }

  /** Sockets close once the queries still in flight (from the configuration being replaced) are done. */
  stop(): void {
    for (const f of this.forwards) for (const p of f.proxies) p.stop();
  }
}
