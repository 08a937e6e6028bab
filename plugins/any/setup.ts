import type { Dispenser } from '../../src/corefile/dispenser.js';
import type { PluginDefinition } from '../../src/plugin/plugin.js';
import { Any } from './any.js';

/** any has nothing to configure. */
export type Config = Record<string, never>;

/** `any` takes no arguments and no block. */
export function parse(c: Dispenser): Config {
  c.noArgs();
  return {};
}

export const plugin: PluginDefinition = {
  name: 'any',
  setup(c) {
    parse(c);
    return { handler: (next) => new Any(next) };
  },
};
