import type { Dispenser } from '../../src/corefile/dispenser.js';
import type { PluginDefinition } from '../../src/plugin/plugin.js';
import { Whoami } from './whoami.js';

/** whoami has nothing to configure. */
export type Config = Record<string, never>;

/** `whoami` takes no arguments and no block. */
export function parse(c: Dispenser): Config {
  c.noArgs();
  return {};
}

export const plugin: PluginDefinition = {
  name: 'whoami',
  setup(c) {
    parse(c);
    const h = new Whoami();
    return { handler: () => h };
  },
};
