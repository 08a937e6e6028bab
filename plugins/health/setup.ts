/** `health [ADDR] { lameduck DURATION }` */
import type { Dispenser } from '../../src/corefile/dispenser.js';
import { CorefileError } from '../../src/corefile/types.js';
import { parseDuration } from '../../src/plugin/duration.js';
import type { PluginDefinition } from '../../src/plugin/plugin.js';
import { listenAddrArg } from './endpoint.js';
import { DEFAULT_ADDR, Health, type HealthConfig } from './health.js';

/**
 * Parses every `health` line of a block. Like CoreDNS, the directive may repeat; the last
 * address and lame duck duration given win.
 */
export function parse(c: Dispenser): HealthConfig {
  let addr = DEFAULT_ADDR;
  let lameduck = 0;
  while (c.next()) {
    addr = listenAddrArg(c, addr);
    while (c.nextBlock()) {
      switch (c.val()) {
        case 'lameduck': {
          const a = c.remainingArgs();
          if (a.length !== 1) throw c.argErr();
          try {
            lameduck = parseDuration(a[0]!);
          } catch (e) {
            throw new Error(`unable to parse lameduck duration value: ${JSON.stringify(a[0])}: ${(e as Error).message}`);
          }
          break;
        }
        default:
          throw c.unknownProperty();
      }
    }
  }
  return { addr, lameduck };
}

export const plugin: PluginDefinition = {
  name: 'health',
  setup(c, ctx) {
    let config: HealthConfig;
    try {
      config = parse(c);
    } catch (e) {
      throw new CorefileError(`plugin/health: ${(e as Error).message}`);
    }
    return new Health(config, ctx.env, ctx.env.logger('health'));
  },
};
