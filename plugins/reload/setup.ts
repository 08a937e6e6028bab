import type { Dispenser } from '../../src/corefile/dispenser.js';
import { parseDuration } from '../../src/plugin/duration.js';
import type { PluginDefinition } from '../../src/plugin/plugin.js';
import { Reload } from './reload.js';

export interface ReloadConfig {
  /** Check period in ms, jitter already applied (INTERVAL + U[-JITTER/2, +JITTER/2)). */
  periodMs: number;
  intervalMs: number;
  jitterMs: number;
}

const MIN_INTERVAL = 2000;
const MIN_JITTER = 1000;

export function parse(c: Dispenser, random: () => number = Math.random): ReloadConfig {
  c.next();
  const args = c.remainingArgs();
  if (args.length > 2) throw c.argErr();
  if (c.nextBlock()) throw c.err(`unknown property '${c.val()}'`);
  const interval = args[0] !== undefined ? parseDuration(args[0]) : 30_000;
  if (interval < MIN_INTERVAL) throw new Error('interval value must be greater or equal to 2s');
  let jitter = args[1] !== undefined ? parseDuration(args[1]) : 15_000;
  if (jitter < MIN_JITTER) throw new Error('jitter value must be greater or equal to 1s');
  if (jitter > interval / 2) jitter = interval / 2;
  const periodMs = interval + Math.floor(random() * jitter - jitter / 2);
  return { periodMs, intervalMs: interval, jitterMs: jitter };
}

export const plugin: PluginDefinition = {
  name: 'reload',
  once: true,
  setup(c, ctx) {
    return new Reload(parse(c), ctx.env.config);
  },
};
