import type { Dispenser } from '../../src/corefile/dispenser.js';
import type { PluginDefinition } from '../../src/plugin/plugin.js';
import { normalizeName } from '../../src/wire/name.js';
import { LogHandler, compileRules } from './log.js';
import { COMBINED_LOG_FORMAT, COMMON_LOG_FORMAT, DEFAULT_LOG_FORMAT } from './replacer.js';
import type { ResponseClass } from './classify.js';

export type ClassFilter = ResponseClass | 'all';

export interface Rule {
  /** Lowercase FQDN; the rule applies to names at or below it. */
  readonly nameScope: string;
  readonly format: string;
  /** Classes to log; `all` logs everything. */
  readonly classes: ReadonlySet<ClassFilter>;
}

export interface Config {
  /** In Corefile order; the first rule whose scope holds the qname decides. */
  readonly rules: readonly Rule[];
}

const CLASSES: ReadonlySet<string> = new Set<ClassFilter>(['all', 'success', 'denial', 'error']);

/**
 * Parses every `log` line of a block:
 *
 *     log [NAMES...] [FORMAT] {
 *         class CLASSES...
 *     }
 *
 * With two or more arguments the last one is the format when it contains `{` (`{common}` and
 * `{combined}` are shortcuts); a single argument is always a name, as in CoreDNS.
 */
export function parse(c: Dispenser): Config {
  const rules: Rule[] = [];
  while (c.next()) {
    let args = c.remainingArgs();
    let format = DEFAULT_LOG_FORMAT;
    if (args.length === 0) args = ['.'];
    else if (args.length > 1 && args[args.length - 1]!.includes('{')) {
      const f = args[args.length - 1]!;
      format = f === '{common}' ? COMMON_LOG_FORMAT : f === '{combined}' ? COMBINED_LOG_FORMAT : f;
      args = args.slice(0, -1);
    }

    const classes = new Set<ClassFilter>();
    while (c.nextBlock()) {
      if (c.val() !== 'class') throw c.argErr();
      const names = c.remainingArgs();
      if (names.length === 0) throw c.argErr();
      for (const n of names) {
        if (!CLASSES.has(n)) throw c.err(`invalid Class: ${n}`);
        classes.add(n as ClassFilter);
      }
    }
    if (classes.size === 0) classes.add('all');

    for (const name of args) rules.push({ nameScope: normalizeName(name), format, classes });
  }
  return { rules };
}

export const plugin: PluginDefinition = {
  name: 'log',
  setup(c) {
    const rules = compileRules(parse(c).rules);
    return { handler: (next) => new LogHandler(rules, next) };
  },
};
