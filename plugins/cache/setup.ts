/**
 * `cache [TTL] [ZONES...] { ... }`: CoreDNS's cache syntax (plugin/cache/setup.go), same
 * options, defaults and error texts (Go's strconv and time.ParseDuration texts included).
 */
import { normalizeHostExact } from '../../src/corefile/address.js';
import type { Dispenser } from '../../src/corefile/dispenser.js';
import { CorefileError } from '../../src/corefile/types.js';
import { parseDuration } from '../../src/plugin/duration.js';
import type { PluginDefinition } from '../../src/plugin/plugin.js';
import { checkName, normalizeName } from '../../src/wire/name.js';
import { CacheHandler } from './cache.js';

export interface Tier {
  /** Entries held before the least recently used one is evicted. */
  readonly capacity: number;
  /** Seconds: the longest an entry lives, whatever the records say. */
  readonly maxTtl: number;
  /** Seconds: the shortest an entry lives. */
  readonly minTtl: number;
}

export interface Config {
  /** Lowercase FQDNs the cache applies to; other names pass straight through. */
  readonly zones: readonly string[];
  /** NOERROR answers and delegations. */
  readonly success: Tier;
  /** NXDOMAIN and NODATA (and SERVFAIL, for `servfail` milliseconds). */
  readonly denial: Tier;
  /** Milliseconds a written SERVFAIL reply is cached; 0 disables. */
  readonly servfail: number;
  /** Hits (with gaps shorter than `prefetchWindow`) that make an entry popular; 0 disables prefetch. */
  readonly prefetch: number;
  /** Milliseconds. */
  readonly prefetchWindow: number;
  /** Popular entries are refreshed once their remaining TTL is at most this share (10..90) of the original. */
  readonly prefetchPercentage: number;
  /** Milliseconds an expired entry may still be served (TTL 0); 0 disables serve_stale. */
  readonly staleUpTo: number;
  /** serve_stale verify: ask the next plugin first and serve the stale entry only when that fails. */
  readonly verifyStale: boolean;
  /** Zones whose positive replies are never cached. */
  readonly disableSuccess: readonly string[];
  /** Zones whose negative (and SERVFAIL) replies are never cached. */
  readonly disableDenial: readonly string[];
  /** Serve the TTL the entry was stored with instead of the remaining time. */
  readonly keepttl: boolean;
}

export const DEFAULT_CAPACITY = 10_000;
const MAX_SUCCESS_TTL = 3600;
const MAX_DENIAL_TTL = 1800;
const MIN_TTL = 5;
const DEFAULT_SERVFAIL = 5_000;
const MAX_SERVFAIL = 300_000;
const DEFAULT_PREFETCH_WINDOW = 60_000;
const DEFAULT_PREFETCH_PERCENTAGE = 10;
const DEFAULT_STALE = 3_600_000;

const MAX_INT64 = 9223372036854775807n;

/** Go's strconv.Atoi, error texts included. */
function atoi(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new Error(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  const big = BigInt(s);
  if (big > MAX_INT64 || big < -MAX_INT64 - 1n) throw new Error(`strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`);
  return Number(big);
}

function intOrUndefined(s: string): number | undefined {
  try {
    return atoi(s);
  } catch {
    return undefined;
  }
}

/** `success|denial CAPACITY [TTL [MINTTL]]` over the current tier. */
function tier(c: Dispenser, current: Tier): Tier {
  const args = c.remainingArgs();
  if (args.length === 0) throw c.argErr();
  const capacity = atoi(args[0]!);
  // lru-cache needs a positive bound (CoreDNS rounds anything below 1024 up to 1024).
  if (capacity <= 0) throw new Error(`cache capacity can not be zero or negative: ${capacity}`);
  let { maxTtl, minTtl } = current;
  if (args.length > 1) {
    maxTtl = atoi(args[1]!);
    if (maxTtl <= 0) throw new Error(`cache TTL can not be zero or negative: ${maxTtl}`);
    if (args.length > 2) {
      minTtl = atoi(args[2]!);
      if (minTtl < 0) throw new Error(`cache min TTL can not be negative: ${minTtl}`);
    }
  }
  return { capacity, maxTtl, minTtl };
}

/** Go's %q of one byte: a single-quoted character literal. */
function quoteChar(ch: string): string {
  if (ch === "'") return "'\\''";
  if (ch === '\\') return "'\\\\'";
  return `'${ch}'`;
}

/**
 * Parses the `cache` directive of a block. `blockZones` are the block's zones, used when the
 * directive names none. Setup errors without a position are wrapped `plugin/cache: ...` by the
 * server, as CoreDNS's plugin.Error does.
 */
export function parse(c: Dispenser, blockZones: readonly string[]): Config {
  let zones: string[] = [...blockZones];
  let success: Tier = { capacity: DEFAULT_CAPACITY, maxTtl: MAX_SUCCESS_TTL, minTtl: MIN_TTL };
  let denial: Tier = { capacity: DEFAULT_CAPACITY, maxTtl: MAX_DENIAL_TTL, minTtl: MIN_TTL };
  let servfail = DEFAULT_SERVFAIL;
  let prefetch = 0;
  let prefetchWindow = DEFAULT_PREFETCH_WINDOW;
  let prefetchPercentage = DEFAULT_PREFETCH_PERCENTAGE;
  let staleUpTo = 0;
  let verifyStale = false;
  let disableSuccess: string[] = [];
  let disableDenial: string[] = [];
  let keepttl = false;

  let seen = 0;
  while (c.next()) {
    if (seen++ > 0) throw new Error('this plugin can only be used once per Server Block');
    let args = c.remainingArgs();
    // The first argument is the TTL when it reads as an integer, else it is a zone.
    const ttl = args.length > 0 ? intOrUndefined(args[0]!) : undefined;
    if (ttl !== undefined) {
      if (ttl <= 0) throw new Error(`cache TTL can not be zero or negative: ${ttl}`);
      success = { ...success, maxTtl: ttl };
      denial = { ...denial, maxTtl: ttl };
      args = args.slice(1);
    }
    if (args.length > 0) {
      zones = [];
      for (const a of args) {
        const hosts = normalizeHostExact(a);
        if (hosts.length === 0) throw c.err(`invalid zone ${JSON.stringify(a)}`);
        for (const h of hosts) if (!zones.includes(h)) zones.push(h);
      }
    }

    while (c.nextBlock()) {
      switch (c.val()) {
        case 'success':
          success = tier(c, success);
          break;
        case 'denial':
          denial = tier(c, denial);
          break;
        case 'prefetch': {
          const a = c.remainingArgs();
          if (a.length === 0 || a.length > 3) throw c.argErr();
          prefetch = atoi(a[0]!);
          if (prefetch < 0) throw new Error(`prefetch amount should be positive: ${prefetch}`);
          if (a.length > 1) prefetchWindow = parseDuration(a[1]!);
          if (a.length > 2) {
            const pct = a[2]!;
            const last = pct.slice(-1);
            if (last !== '%') throw new Error(`last character of percentage should be \`%\`, but is: ${quoteChar(last)}`);
            const num = atoi(pct.slice(0, -1));
            if (num < 10 || num > 90) throw new Error(`percentage should fall in range [10, 90]: ${num}`);
            prefetchPercentage = num;
          }
          break;
        }
        case 'serve_stale': {
          const a = c.remainingArgs();
          if (a.length > 2) throw c.argErr();
          staleUpTo = DEFAULT_STALE;
          if (a.length > 0) {
            const d = parseDuration(a[0]!);
            if (d < 0) throw new Error('invalid negative duration for serve_stale');
            staleUpTo = d;
          }
          verifyStale = false;
          if (a.length > 1) {
            const mode = a[1]!.toLowerCase();
            if (mode !== 'immediate' && mode !== 'verify') throw new Error(`invalid value for serve_stale refresh mode: ${mode}`);
            verifyStale = mode === 'verify';
          }
          break;
        }
        case 'servfail': {
          const a = c.remainingArgs();
          if (a.length !== 1) throw c.argErr();
          const d = parseDuration(a[0]!);
          if (d < 0) throw new Error('invalid negative ttl for servfail');
          // RFC 2308 §7.1: SERVFAIL must not be cached for longer than five minutes.
          if (d > MAX_SERVFAIL) throw new Error('caching SERVFAIL responses over 5 minutes is not permitted');
          servfail = d;
          break;
        }
        case 'disable': {
          const a = c.remainingArgs();
          if (a.length < 1) throw c.argErr();
          const names = a.length > 1 ? a.slice(1) : ['.'];
          const list = names.map((z) => {
            if (checkName(z) !== undefined) throw new Error(`invalid disabled zone: ${z}`);
            return normalizeName(z);
          });
          if (a[0] === 'success') disableSuccess = list;
          else if (a[0] === 'denial') disableDenial = list;
          else throw new Error('cache type for disable must be "success" or "denial"');
          break;
        }
        case 'keepttl':
          if (c.remainingArgs().length !== 0) throw c.argErr();
          keepttl = true;
          break;
        default:
          throw c.argErr();
      }
    }
  }

  return {
    zones,
    success,
    denial,
    servfail,
    prefetch,
    prefetchWindow,
    prefetchPercentage,
    staleUpTo,
    verifyStale,
    disableSuccess,
    disableDenial,
    keepttl,
  };
}

export const plugin: PluginDefinition = {
  name: 'cache',
  once: true,
  setup(c, ctx) {
    let config: Config;
    try {
      config = parse(c, ctx.block.zones);
    } catch (e) {
      throw new CorefileError(`plugin/cache: ${(e as Error).message}`);
    }
    return { handler: (next) => new CacheHandler(config, next) };
  },
};
