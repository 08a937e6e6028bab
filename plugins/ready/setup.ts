/** `ready [ADDR] { monitor until-ready|continuously }` */
import type { Dispenser } from '../../src/corefile/dispenser.js';
import { CorefileError } from '../../src/corefile/types.js';
import type { PluginDefinition } from '../../src/plugin/plugin.js';
import { listenAddrArg } from '../health/endpoint.js';
import { DEFAULT_ADDR, type MonitorType, Ready, type ReadyConfig } from './ready.js';

export function parse(c: Dispenser): ReadyConfig {
  let addr = DEFAULT_ADDR;
  let monitor: MonitorType = 'until-ready';
  let i = 0;
  while (c.next()) {
    if (i++ > 0) throw new Error('this plugin can only be used once per Server Block');
    addr = listenAddrArg(c, addr);
    while (c.nextBlock()) {
      switch (c.val()) {
        case 'monitor': {
          const a = c.remainingArgs();
          if (a.length !== 1) throw c.argErr();
          if (a[0] !== 'until-ready' && a[0] !== 'continuously') throw c.err(`monitor type '${a[0]}' not supported`);
          monitor = a[0];
          break;
        }
        default:
          throw c.unknownProperty();
      }
    }
  }
  return { addr, monitor };
}

export const plugin: PluginDefinition = {
  name: 'ready',
  once: true,
  setup(c, ctx) {
    let config: ReadyConfig;
    try {
      config = parse(c);
    } catch (e) {
      throw new CorefileError(`plugin/ready: ${(e as Error).message}`);
    }
    return new Ready(config, ctx.env, ctx.env.logger('ready'));
  },
};
