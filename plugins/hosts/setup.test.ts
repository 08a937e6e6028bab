import { describe, expect, it } from 'vitest';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex as lexCorefile } from '../../src/corefile/lexer.js';
import type { Token } from '../../src/corefile/types.js';
import { Fallthrough } from '../../src/plugin/fallthrough.js';
import type { PluginEnv, SetupContext } from '../../src/plugin/plugin.js';
import { DEFAULT_PATH, DEFAULT_RELOAD_MS, DEFAULT_TTL, parse, plugin, type Config } from './setup.js';

const lex = (src: string): Token[] => lexCorefile(src, 'Corefile');

function fall(args: string): Fallthrough {
  const c = new Dispenser(lex(`fallthrough ${args}`));
  c.next();
  return Fallthrough.parse(c);
}

const defaults: Config = {
  path: DEFAULT_PATH,
  zones: ['example.org.'],
  inline: [],
  ttl: DEFAULT_TTL,
  reloadMs: DEFAULT_RELOAD_MS,
  autoReverse: true,
  fallthrough: Fallthrough.none(),
  fallthroughUnsupported: false,
};

const E = 'Corefile:2 - Error during parsing:';

describe('hosts setup', () => {
  const tests: Array<{ input: string; want?: Partial<Config>; err?: string; warn?: string[] }> = [
    { input: 'hosts', want: {} },
    { input: 'hosts /etc/hosts', want: { path: '/etc/hosts' } },
    { input: 'hosts /etc/hosts example.net Example.COM.:53 dns://10.0.0.0/24', want: { path: '/etc/hosts', zones: ['example.net.', 'example.com.', '0.0.10.in-addr.arpa.'] } },
    { input: 'hosts /nonexistent/hosts', want: { path: '/nonexistent/hosts' }, warn: ['File does not exist: /nonexistent/hosts'] },
    { input: 'hosts /etc', want: { path: '/etc' }, warn: ['Hosts file "/etc" is a directory'] },
    { input: 'hosts {\n fallthrough\n}', want: { fallthrough: fall('') } },
    { input: 'hosts {\n fallthrough example.org in-addr.arpa\n}', want: { fallthrough: fall('example.org in-addr.arpa') } },
    { input: 'hosts {\n fallthrough a.org\n fallthrough b.org\n}', want: { fallthrough: fall('b.org') } },
    { input: 'hosts {\n 10.0.0.1 example.org\n ::1 localhost ip6-localhost\n fallthrough\n}', want: { inline: ['10.0.0.1 example.org', '::1 localhost ip6-localhost'], fallthrough: fall('') } },
    { input: 'hosts {\n 10.0.0.1 example.org # comment\n}', want: { inline: ['10.0.0.1 example.org'] } },
    { input: 'hosts {\n ttl 60\n}', want: { ttl: 60 } },
    { input: 'hosts {\n ttl 65535\n}', want: { ttl: 65535 } },
    { input: 'hosts {\n ttl +5 ignored\n}', want: { ttl: 5 } },
    { input: 'hosts {\n reload 100ms\n}', want: { reloadMs: 100 } },
    { input: 'hosts {\n reload 0\n}', want: { reloadMs: 0 } },
    { input: 'hosts {\n reload 1m30s\n}', want: { reloadMs: 90_000 } },
    { input: 'hosts {\n no_reverse\n}', want: { autoReverse: false } },
    { input: 'hosts {\n fallthrough\n fallthrough_unsupported\n}', want: { fallthrough: fall(''), fallthroughUnsupported: true } },
    { input: 'hosts {\n fallthrough_unsupported\n fallthrough example.org\n}', want: { fallthrough: fall('example.org'), fallthroughUnsupported: true } },
    { input: 'hosts {\n ttl\n}', err: `${E} ttl needs a time in second` },
    { input: 'hosts {\n ttl 1h\n}', err: `${E} ttl needs a number of second` },
    { input: 'hosts {\n ttl 0\n}', err: `${E} ttl provided is invalid` },
    { input: 'hosts {\n ttl 65536\n}', err: `${E} ttl provided is invalid` },
    { input: 'hosts {\n reload\n}', err: `${E} reload needs a duration (zero seconds to disable)` },
    { input: 'hosts {\n reload 5s 10s\n}', err: `${E} reload needs a duration (zero seconds to disable)` },
    { input: 'hosts {\n reload 5\n}', err: `${E} invalid duration for reload '5'` },
    { input: 'hosts {\n reload -5s\n}', err: `${E} invalid negative duration for reload '-5s'` },
    // After fallthrough, a line that is no option is no longer a hosts line.
    { input: 'hosts {\n fallthrough\n 10.0.0.1 example.org\n}', err: "Corefile:3 - Error during parsing: unknown property '10.0.0.1'" },
    { input: 'hosts {\n no_reverse please\n}', err: `${E} Wrong argument count or unexpected line ending after 'please'` },
    { input: 'hosts {\n fallthrough_unsupported\n}', err: `${E} fallthrough_unsupported requires fallthrough` },
    { input: 'hosts /etc/hosts/nested', err: "Corefile:1 - Error during parsing: unable to access hosts file '/etc/hosts/nested': stat /etc/hosts/nested: not a directory" },
  ];
  it.each(tests)('$input', ({ input, want, err, warn }) => {
    const c = new Dispenser(lex(input));
    const warnings: string[] = [];
    if (err !== undefined) {
      expect(() => parse(c, ['example.org.'], (m) => warnings.push(m))).toThrow(err);
      return;
    }
    expect(parse(c, ['example.org.'], (m) => warnings.push(m))).toEqual({ ...defaults, ...want });
    expect(warnings).toEqual(warn ?? []);
  });

  it('is once per block and builds a handler named hosts', () => {
    const warnings: string[] = [];
    const env = { logger: () => ({ debug: () => undefined, info: () => undefined, warning: (m: string) => warnings.push(m), error: () => undefined }) } as unknown as PluginEnv;
    const ctx = { block: { zones: ['.'], keys: ['.'], servers: ['dns://:53'], index: 0 }, env } as SetupContext;
    const inst = plugin.setup(new Dispenser(lex('hosts /nonexistent/hosts {\n 10.0.0.1 example.org\n}')), ctx);
    expect(plugin.once).toBe(true);
    expect(inst.handler!(undefined).name).toBe('hosts');
    expect(warnings).toEqual(['File does not exist: /nonexistent/hosts']);
  });
});
