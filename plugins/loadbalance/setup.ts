/**
 * `loadbalance [round_robin] { prefer CIDR... }` with CoreDNS's error texts. Several lines in a
 * block add up their `prefer` subnets, as in CoreDNS.
 */
import type { Dispenser } from '../../src/corefile/dispenser.js';
import type { PluginDefinition } from '../../src/plugin/plugin.js';
import { parseSubnet, type Subnet } from './cidr.js';
import { LoadBalance } from './loadbalance.js';

export interface Config {
  readonly policy: 'round_robin';
  /** Subnets whose addresses are moved first, in Corefile order. */
  readonly prefer: readonly Subnet[];
}

export function parse(c: Dispenser): Config {
  const prefer: Subnet[] = [];
  while (c.next()) {
    const args = c.remainingArgs();
    if (args.length > 0) {
      const policy = args[0]!;
      switch (policy) {
        case 'round_robin':
          if (args.length > 1) throw c.err(`unknown property for ${policy}`);
          break;
        case 'weighted':
          throw c.err(`policy ${policy} is not supported by exdns; use round_robin`);
        default:
          // CoreDNS reports this one without a Corefile position.
          throw new Error(`unknown policy: ${policy}`);
      }
    }
    while (c.nextBlock()) {
      if (c.val() !== 'prefer') throw c.unknownProperty();
      for (const cidr of c.remainingArgs()) {
        try {
          prefer.push(parseSubnet(cidr));
        } catch (e) {
          throw c.err(`invalid CIDR ${JSON.stringify(cidr)}: ${(e as Error).message}`);
        }
      }
    }
  }
  return { policy: 'round_robin', prefer };
}

export const plugin: PluginDefinition = {
  name: 'loadbalance',
  setup(c) {
    const { prefer } = parse(c);
    const policy = { prefer, random: Math.random };
    return { handler: (next) => new LoadBalance(policy, next) };
  },
};
