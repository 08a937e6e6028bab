/**
 * `hosts [FILE [ZONES...]] { INLINE; ttl; no_reverse; reload; fallthrough; fallthrough_unsupported }`
 * with CoreDNS's defaults and error texts. Its quirk is kept: a block line that is no option is a
 * hosts-file line, but only until `fallthrough` appears; after it, such a line is an unknown
 * property.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Dispenser } from '../../src/corefile/dispenser.js';
import { normalizeHostExact } from '../../src/corefile/address.js';
import { CorefileError } from '../../src/corefile/types.js';
import type { Logger } from '../../src/log.js';
import { parseDuration } from '../../src/plugin/duration.js';
import { Fallthrough } from '../../src/plugin/fallthrough.js';
import type { PluginDefinition } from '../../src/plugin/plugin.js';
import { HostsInstance } from './instance.js';

export interface Config {
  readonly path: string;
  /** Lowercase FQDNs: the ZONES arguments, else the block's zones. */
  readonly zones: readonly string[];
  /** Hosts-file lines written in the block, tokens joined by a space. */
  readonly inline: readonly string[];
  readonly ttl: number;
  /** Milliseconds between file checks; 0 disables reloading. */
  readonly reloadMs: number;
  readonly autoReverse: boolean;
  readonly fallthrough: Fallthrough;
  readonly fallthroughUnsupported: boolean;
}

export const DEFAULT_PATH = '/etc/hosts';
export const DEFAULT_TTL = 3600;
export const DEFAULT_RELOAD_MS = 5000;

/** Go's strconv.Atoi; undefined when `s` is not a decimal integer. */
function atoi(s: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `warn` receives CoreDNS's setup warnings about the file (missing, a folder). */
export function parse(c: Dispenser, blockZones: readonly string[], warn: (msg: string) => void = () => undefined): Config {
  let file = DEFAULT_PATH;
  let zones: string[] = [...blockZones];
  const inline: string[] = [];
  let ttl = DEFAULT_TTL;
  let reloadMs = DEFAULT_RELOAD_MS;
  let autoReverse = true;
  let fallthrough = Fallthrough.none();
  let unsupportedLine: { file: string; line: number } | undefined;

  while (c.next()) {
    const args = c.remainingArgs();
    if (args.length > 0) {
      file = args[0]!;
      const problem = checkFile(file, warn);
      if (problem !== undefined) throw c.err(problem);
      // CoreDNS silently drops zone arguments it cannot normalise.
      if (args.length > 1) zones = args.slice(1).flatMap((z) => normalizeHostExact(z));
    }

    while (c.nextBlock()) {
      switch (c.val()) {
        case 'fallthrough':
          fallthrough = Fallthrough.parse(c);
          break;
        case 'fallthrough_unsupported':
          unsupportedLine = { file: c.file(), line: c.line() };
          if (c.nextArg()) throw c.argErr();
          break;
        case 'no_reverse':
          autoReverse = false;
          if (c.nextArg()) throw c.argErr();
          break;
        case 'ttl': {
          const rest = c.remainingArgs();
          if (rest.length < 1) throw c.err('ttl needs a time in second');
          const n = atoi(rest[0]!);
          if (n === undefined) throw c.err('ttl needs a number of second');
          if (n <= 0 || n > 65535) throw c.err('ttl provided is invalid');
          ttl = n;
          break;
        }
        case 'reload': {
          const rest = c.remainingArgs();
          if (rest.length !== 1) throw c.err('reload needs a duration (zero seconds to disable)');
          let ms: number;
          try {
            ms = parseDuration(rest[0]!);
          } catch {
            throw c.err(`invalid duration for reload '${rest[0]}'`);
          }
          if (ms < 0) throw c.err(`invalid negative duration for reload '${rest[0]}'`);
          reloadMs = ms;
          break;
        }
        default:
          if (fallthrough.enabled) throw c.unknownProperty();
          inline.push([c.val(), ...c.remainingArgs()].join(' '));
      }
    }
  }

  if (unsupportedLine !== undefined && !fallthrough.enabled) {
    throw new CorefileError(`${unsupportedLine.file}:${unsupportedLine.line} - Error during parsing: fallthrough_unsupported requires fallthrough`);
  }
  return { path: file, zones, inline, ttl, reloadMs, autoReverse, fallthrough, fallthroughUnsupported: unsupportedLine !== undefined };
}

/**
 * CoreDNS's checks of a FILE argument at setup: a missing file or a folder is only a warning
 * (the file may appear later); any other failure to stat it is returned as the error text.
 */
function checkFile(file: string, warn: (msg: string) => void): string | undefined {
  try {
    if (statSync(file).isDirectory()) warn(`Hosts file ${JSON.stringify(file)} is a directory`);
    return undefined;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code !== 'ENOENT') return `unable to access hosts file '${file}': stat ${file}: ${goErrnoText(e)}`;
    warn(`File does not exist: ${file}`);
    return undefined;
  }
}

/** The strerror text Go prints for the common stat failures. */
function goErrnoText(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOTDIR':
      return 'not a directory';
    case 'EACCES':
      return 'permission denied';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'ENAMETOOLONG':
      return 'file name too long';
    default:
      return e.message;
  }
}

export const plugin: PluginDefinition = {
  name: 'hosts',
  once: true,
  setup(c, ctx) {
    const log: Logger = ctx.env.logger('hosts');
    const config = parse(c, ctx.block.zones, (m) => log.warning(m));
    return new HostsInstance({ ...config, path: path.resolve(config.path) }, log);
  },
};
