import type { Dispenser } from '../../src/corefile/dispenser.js';
import { CorefileError } from '../../src/corefile/types.js';
import { parseDuration } from '../../src/plugin/duration.js';
import type { PluginDefinition } from '../../src/plugin/plugin.js';
import { ErrorsPlugin } from './errors.js';
import { compileGoRegExp } from '../../src/corefile/go-regexp.js';

export type Level = 'warning' | 'error' | 'info' | 'debug';

/** `consolidate DURATION REGEXP [LEVEL] [show_first]` */
export interface Consolidate {
  /** Aggregation period in milliseconds. */
  readonly period: number;
  /** The regular expression as written (used in the summary line). */
  readonly source: string;
  readonly pattern: RegExp;
  readonly level: Level;
  /** Log the first matching error of each period right away. */
  readonly showFirst: boolean;
}

export interface Config {
  /** `stacktrace`: log the stack of errors that are not plugin errors (panics). */
  readonly stacktrace: boolean;
  readonly consolidate: readonly Consolidate[];
}

const LEVELS: ReadonlySet<string> = new Set<Level>(['warning', 'error', 'info', 'debug']);

/**
 * Parses
 *
 *     errors [stdout] {
 *         stacktrace
 *         consolidate DURATION REGEXP [LEVEL] [show_first]
 *     }
 */
export function parse(c: Dispenser): Config {
  let stacktrace = false;
  const consolidate: Consolidate[] = [];
  let seen = false;
  while (c.next()) {
    if (seen) throw new CorefileError('this plugin can only be used once per Server Block');
    seen = true;
    const args = c.remainingArgs();
    if (args.length > 1) throw c.argErr();
    if (args.length === 1 && args[0] !== 'stdout') throw c.err(`invalid log file: ${args[0]}`);
    while (c.nextBlock()) {
      switch (c.val()) {
        case 'stacktrace':
          if (c.remainingArgs().length > 0) throw c.argErr();
          stacktrace = true;
          break;
        case 'consolidate':
          consolidate.push(parseConsolidate(c));
          break;
        default:
          throw c.syntaxErr(`Unknown field ${c.val()}`);
      }
    }
  }
  return { stacktrace, consolidate };
}

function parseConsolidate(c: Dispenser): Consolidate {
  const args = c.remainingArgs();
  if (args.length < 2 || args.length > 4) throw c.argErr();
  let period: number;
  try {
    period = parseDuration(args[0]!);
  } catch (e) {
    throw c.err((e as Error).message);
  }
  let pattern: RegExp;
  try {
    pattern = compileGoRegExp(args[1]!).regexp;
  } catch (e) {
    throw c.err(`invalid regular expression ${JSON.stringify(args[1])}: ${(e as Error).message}`);
  }
  let level: Level | undefined;
  let showFirst = false;
  for (const a of args.slice(2)) {
    if (LEVELS.has(a)) {
      if (level !== undefined) throw c.err('multiple log levels specified in consolidate');
      level = a as Level;
    } else if (a === 'show_first') {
      if (showFirst) throw c.err('show_first specified more than once in consolidate');
      showFirst = true;
    } else {
      throw c.err(`unknown log level argument in consolidate: ${a}`);
    }
  }
  return { period, source: args[1]!, pattern, level: level ?? 'error', showFirst };
}

export const plugin: PluginDefinition = {
  name: 'errors',
  once: true,
  setup(c) {
    return new ErrorsPlugin(parse(c));
  },
};
