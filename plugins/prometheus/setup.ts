/** `prometheus [ADDR]` */
import type { Dispenser } from '../../src/corefile/dispenser.js';
import { CorefileError } from '../../src/corefile/types.js';
import type { PluginDefinition } from '../../src/plugin/plugin.js';
import { listenAddrArg } from '../health/endpoint.js';
import { DEFAULT_ADDR, Metrics, type MetricsConfig } from './metrics.js';

export function parse(c: Dispenser): MetricsConfig {
  let addr = DEFAULT_ADDR;
  let i = 0;
  while (c.next()) {
    if (i++ > 0) throw new Error('this plugin can only be used once per Server Block');
    addr = listenAddrArg(c, addr);
    while (c.nextBlock()) {
      switch (c.val()) {
        case 'runtime_metrics':
          // CoreDNS 1.14's switch for Go runtime metrics; Node's process metrics are always on.
          if (c.remainingArgs().length !== 0) throw c.argErr();
          break;
        default:
          throw c.err(`unknown option: ${c.val()}`);
      }
    }
  }
  return { addr };
}

export const plugin: PluginDefinition = {
  name: 'prometheus',
  once: true,
  setup(c, ctx) {
    let config: MetricsConfig;
    try {
      config = parse(c);
    } catch (e) {
      throw new CorefileError(`plugin/prometheus: ${(e as Error).message}`);
    }
    return new Metrics(config, ctx.block, ctx.env);
  },
};
