import { describe, expect, it } from 'vitest';
import { directiveOccurrences } from '../../test/readme.js';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex } from '../../src/corefile/lexer.js';
import type { PluginEnv } from '../../src/plugin/plugin.js';
import { checkListenAddr } from './endpoint.js';
import { Health } from './health.js';
import { parse, plugin } from './setup.js';

const d = (s: string) => new Dispenser(lex(s, 'Corefile'));


describe('health setup', () => {
  it.each([
    ['health', ':8080', 0],
    ['health localhost:1234', 'localhost:1234', 0],
    ['health [::1]:8080', '[::1]:8080', 0],
    ['health localhost:1234 {\n  lameduck 4s\n}', 'localhost:1234', 4000],
    ['health {\n  lameduck 1m30s\n}', ':8080', 90_000],
    // Like CoreDNS, a repeated directive overrides.
    ['health :8081\nhealth :8082 {\n  lameduck 1s\n}', ':8082', 1000],
  ])('%s', (src, addr, lameduck) => {
    expect(parse(d(src))).toEqual({ addr, lameduck });
  });

  it.each([
    ['health bla', 'address bla: missing port in address'],
    ['health bla bla', "Corefile:1 - Error during parsing: Wrong argument count or unexpected line ending after 'bla'"],
    ['health ::1:80', 'address ::1:80: too many colons in address'],
    ['health localhost:http', 'address localhost:http: invalid port'],
    ['health localhost:1234 {\n  lameduck a\n}', 'unable to parse lameduck duration value: "a": time: invalid duration "a"'],
    ['health localhost:1234 {\n  lameduck\n}', "Corefile:2 - Error during parsing: Wrong argument count or unexpected line ending after 'lameduck'"],
    ['health localhost:1234 {\n  lameduck 1s 2s\n}', 'Wrong argument count'],
    ['health localhost:1234 {\n  lamedudk 4\n}', "Corefile:2 - Error during parsing: unknown property 'lamedudk'"],
  ])('%s fails', (src, msg) => {
    expect(() => parse(d(src))).toThrow(msg);
  });

  it('prefixes errors with the plugin name and is not once-only', () => {
    expect(plugin.name).toBe('health');
    expect(plugin.once).toBeFalsy();
    const ctx = { block: { zones: ['.'], keys: ['.'], servers: ['dns://:53'], index: 0 }, env: {} as PluginEnv };
    expect(() => plugin.setup(d('health bla'), { ...ctx, env: { logger: () => undefined } as unknown as PluginEnv })).toThrow(
      'plugin/health: address bla: missing port in address',
    );
    const inst = plugin.setup(d('health :0 {\n lameduck 2s\n}'), { ...ctx, env: { logger: () => undefined } as unknown as PluginEnv });
    expect(inst).toBeInstanceOf(Health);
    expect((inst as Health).config).toEqual({ addr: ':0', lameduck: 2000 });
    expect(inst.handler).toBeUndefined();
  });

  it('checks addresses like Go net.SplitHostPort', () => {
    expect(() => checkListenAddr(':53')).not.toThrow();
    expect(() => checkListenAddr('0.0.0.0:8080')).not.toThrow();
    expect(() => checkListenAddr('[::]:8080')).not.toThrow();
    expect(() => checkListenAddr('[::1]')).toThrow('address [::1]: missing port in address');
    expect(() => checkListenAddr('[::1:80')).toThrow("address [::1:80: missing ']' in address");
    expect(() => checkListenAddr('a]:80')).toThrow("address a]:80: unexpected ']' in address");
    expect(() => checkListenAddr('[::1]]:80')).toThrow('missing port in address');
    expect(() => checkListenAddr('localhost:99999')).toThrow('invalid port');
  });

  it('parses every README example', () => {
    const examples = directiveOccurrences(new URL('./README.md', import.meta.url), 'health');
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const occurrences of examples) {
      expect(occurrences.length).toBeGreaterThan(0);
      for (const tokens of occurrences) expect(() => parse(new Dispenser(tokens))).not.toThrow();
    }
  });
});
