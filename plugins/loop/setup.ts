/** `loop` takes no arguments; it probes the first zone of its server block. */
import type { Dispenser } from '../../src/corefile/dispenser.js';
import type { PluginDefinition } from '../../src/plugin/plugin.js';
import { fatal } from './fatal.js';
import { LoopInstance } from './instance.js';

export interface Config {
  /** Lowercase FQDN the probe is sent under. */
  readonly zone: string;
}

export function parse(c: Dispenser, blockZones: readonly string[]): Config {
  c.noArgs();
  return { zone: blockZones[0] ?? '.' };
}

export const plugin: PluginDefinition = {
  name: 'loop',
  once: true,
  setup(c, ctx) {
    const { zone } = parse(c, ctx.block.zones);
    return new LoopInstance(zone, (message) => fatal('loop', message));
  },
};
