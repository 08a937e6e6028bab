import { describe, expect, it } from 'vitest';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex } from '../../src/corefile/lexer.js';
import type { PluginEnv, SetupContext } from '../../src/plugin/plugin.js';
import { directiveOccurrences } from '../../test/readme.js';
import { type Config, DEFAULT_CAPACITY, parse, plugin } from './setup.js';

const d = (s: string) => new Dispenser(lex(s, 'Corefile'));
const BLOCK = ['example.org.'];

const DEFAULTS: Config = {
  zones: BLOCK,
  success: { capacity: DEFAULT_CAPACITY, maxTtl: 3600, minTtl: 5 },
  denial: { capacity: DEFAULT_CAPACITY, maxTtl: 1800, minTtl: 5 },
  servfail: 5000,
  prefetch: 0,
  prefetchWindow: 60_000,
  prefetchPercentage: 10,
  staleUpTo: 0,
  verifyStale: false,
  disableSuccess: [],
  disableDenial: [],
  keepttl: false,
};

describe('cache setup', () => {
  const ok: Array<{ input: string; want: Partial<Config> }> = [
    { input: 'cache', want: {} },
    { input: 'cache 10', want: { success: { ...DEFAULTS.success, maxTtl: 10 }, denial: { ...DEFAULTS.denial, maxTtl: 10 } } },
    { input: 'cache Example.ORG', want: { zones: ['example.org.'] } },
    { input: 'cache 10 example.net example.com:53', want: { zones: ['example.net.', 'example.com.'], success: { ...DEFAULTS.success, maxTtl: 10 }, denial: { ...DEFAULTS.denial, maxTtl: 10 } } },
    { input: 'cache 10.0.0.0/24', want: { zones: ['0.0.10.in-addr.arpa.'] } },
    // Beyond int64 Atoi fails, so CoreDNS takes it as a zone.
    { input: 'cache 99999999999999999999', want: { zones: ['99999999999999999999.'] } },
    { input: 'cache {\n success 10\n}', want: { success: { capacity: 10, maxTtl: 3600, minTtl: 5 } } },
    { input: 'cache {\n success 10 60\n}', want: { success: { capacity: 10, maxTtl: 60, minTtl: 5 } } },
    { input: 'cache {\n success 10 60 0\n}', want: { success: { capacity: 10, maxTtl: 60, minTtl: 0 } } },
    { input: 'cache 300 {\n success 10\n}', want: { success: { capacity: 10, maxTtl: 300, minTtl: 5 }, denial: { ...DEFAULTS.denial, maxTtl: 300 } } },
    { input: 'cache {\n denial 20 30 2\n}', want: { denial: { capacity: 20, maxTtl: 30, minTtl: 2 } } },
    { input: 'cache {\n denial +20\n}', want: { denial: { ...DEFAULTS.denial, capacity: 20 } } },
    { input: 'cache {\n prefetch 10\n}', want: { prefetch: 10 } },
    { input: 'cache {\n prefetch 0\n}', want: { prefetch: 0 } },
    { input: 'cache {\n prefetch 10 2m\n}', want: { prefetch: 10, prefetchWindow: 120_000 } },
    { input: 'cache {\n prefetch 10 1m 90%\n}', want: { prefetch: 10, prefetchPercentage: 90 } },
    { input: 'cache {\n serve_stale\n}', want: { staleUpTo: 3_600_000 } },
    { input: 'cache {\n serve_stale 20m\n}', want: { staleUpTo: 1_200_000 } },
    { input: 'cache {\n serve_stale 0s\n}', want: { staleUpTo: 0 } },
    { input: 'cache {\n serve_stale 1h immediate\n}', want: { staleUpTo: 3_600_000 } },
    { input: 'cache {\n serve_stale 1h VERIFY\n}', want: { staleUpTo: 3_600_000, verifyStale: true } },
    { input: 'cache {\n servfail 0\n}', want: { servfail: 0 } },
    { input: 'cache {\n servfail 5m\n}', want: { servfail: 300_000 } },
    { input: 'cache {\n servfail 1.5s\n}', want: { servfail: 1500 } },
    { input: 'cache {\n disable success\n}', want: { disableSuccess: ['.'] } },
    { input: 'cache {\n disable denial Example.ORG sub.example.org.\n}', want: { disableDenial: ['example.org.', 'sub.example.org.'] } },
    { input: 'cache {\n disable denial a.org\n disable denial b.org\n}', want: { disableDenial: ['b.org.'] } },
    { input: 'cache {\n keepttl\n}', want: { keepttl: true } },
    { input: 'cache {\n}', want: {} },
  ];
  it.each(ok)('$input', ({ input, want }) => {
    expect(parse(d(input), BLOCK)).toEqual({ ...DEFAULTS, ...want });
  });

  const ARGS = (line: number, after: string) => `Corefile:${line} - Error during parsing: Wrong argument count or unexpected line ending after '${after}'`;
  const bad: Array<{ input: string; err: string }> = [
    { input: 'cache 0', err: 'cache TTL can not be zero or negative: 0' },
    { input: 'cache -1 example.org', err: 'cache TTL can not be zero or negative: -1' },
    { input: 'cache a:b:c:', err: 'Corefile:1 - Error during parsing: invalid zone "a:b:c:"' },
    { input: 'cache {\n success\n}', err: ARGS(2, 'success') },
    { input: 'cache {\n success abc\n}', err: 'strconv.Atoi: parsing "abc": invalid syntax' },
    { input: 'cache {\n success 0\n}', err: 'cache capacity can not be zero or negative: 0' },
    { input: 'cache {\n success 10 0\n}', err: 'cache TTL can not be zero or negative: 0' },
    { input: 'cache {\n success 10 1h\n}', err: 'strconv.Atoi: parsing "1h": invalid syntax' },
    { input: 'cache {\n success 10 60 -1\n}', err: 'cache min TTL can not be negative: -1' },
    { input: 'cache {\n denial 10 -5\n}', err: 'cache TTL can not be zero or negative: -5' },
    { input: 'cache {\n denial 99999999999999999999\n}', err: 'strconv.Atoi: parsing "99999999999999999999": value out of range' },
    { input: 'cache {\n denial 10 60 -2\n}', err: 'cache min TTL can not be negative: -2' },
    { input: 'cache {\n prefetch\n}', err: ARGS(2, 'prefetch') },
    { input: 'cache {\n prefetch 1 1m 10% extra\n}', err: ARGS(2, 'extra') },
    { input: 'cache {\n prefetch -1\n}', err: 'prefetch amount should be positive: -1' },
    { input: 'cache {\n prefetch 1 1x\n}', err: 'time: unknown unit "x" in duration "1x"' },
    { input: 'cache {\n prefetch 1 1m 10\n}', err: "last character of percentage should be `%`, but is: '0'" },
    { input: 'cache {\n prefetch 1 1m ten%\n}', err: 'strconv.Atoi: parsing "ten": invalid syntax' },
    { input: 'cache {\n prefetch 1 1m 9%\n}', err: 'percentage should fall in range [10, 90]: 9' },
    { input: 'cache {\n prefetch 1 1m 91%\n}', err: 'percentage should fall in range [10, 90]: 91' },
    { input: 'cache {\n serve_stale 1h verify extra\n}', err: ARGS(2, 'extra') },
    { input: 'cache {\n serve_stale -1h\n}', err: 'invalid negative duration for serve_stale' },
    { input: 'cache {\n serve_stale 1\n}', err: 'time: missing unit in duration "1"' },
    { input: 'cache {\n serve_stale 1h later\n}', err: 'invalid value for serve_stale refresh mode: later' },
    { input: 'cache {\n servfail\n}', err: ARGS(2, 'servfail') },
    { input: 'cache {\n servfail 1s 2s\n}', err: ARGS(2, '2s') },
    { input: 'cache {\n servfail -1s\n}', err: 'invalid negative ttl for servfail' },
    { input: 'cache {\n servfail 6m\n}', err: 'caching SERVFAIL responses over 5 minutes is not permitted' },
    { input: 'cache {\n disable\n}', err: ARGS(2, 'disable') },
    { input: 'cache {\n disable positive\n}', err: 'cache type for disable must be "success" or "denial"' },
    { input: 'cache {\n disable denial a..b\n}', err: 'invalid disabled zone: a..b' },
    { input: 'cache {\n keepttl now\n}', err: ARGS(2, 'now') },
    { input: 'cache {\n unknown\n}', err: ARGS(2, 'unknown') },
    { input: 'cache\ncache', err: 'this plugin can only be used once per Server Block' },
  ];
  it.each(bad)('$input fails', ({ input, err }) => {
    expect(() => parse(d(input), BLOCK)).toThrow(err);
  });

  it('is once per block, prefixes errors with plugin/cache and builds a handler', () => {
    const ctx: SetupContext = { block: { zones: BLOCK, keys: ['example.org'], servers: ['dns://:53'], index: 0 }, env: {} as PluginEnv };
    expect(plugin.name).toBe('cache');
    expect(plugin.once).toBe(true);
    expect(() => plugin.setup(d('cache 0'), ctx)).toThrow(/^plugin\/cache: cache TTL can not be zero or negative: 0$/);
    expect(() => plugin.setup(d('cache {\n what\n}'), ctx)).toThrow(
      "plugin/cache: Corefile:2 - Error during parsing: Wrong argument count or unexpected line ending after 'what'",
    );
    expect(plugin.setup(d('cache'), ctx).handler!(undefined).name).toBe('cache');
  });

  it('parses every README example', () => {
    const examples = directiveOccurrences(new URL('./README.md', import.meta.url), 'cache');
    expect(examples.length).toBeGreaterThanOrEqual(5);
    for (const occurrences of examples) {
      expect(occurrences).toHaveLength(1);
      expect(() => parse(new Dispenser(occurrences[0]!), BLOCK)).not.toThrow();
    }
  });
});
