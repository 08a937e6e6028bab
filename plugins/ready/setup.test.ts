import { describe, expect, it } from 'vitest';
import { directiveOccurrences } from '../../test/readme.js';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex } from '../../src/corefile/lexer.js';
import type { PluginEnv } from '../../src/plugin/plugin.js';
import { Ready } from './ready.js';
import { parse, plugin } from './setup.js';

const d = (s: string) => new Dispenser(lex(s, 'Corefile'));


describe('ready setup', () => {
  it.each([
    ['ready', ':8181', 'until-ready'],
    ['ready localhost:1234', 'localhost:1234', 'until-ready'],
    ['ready {\n  monitor until-ready\n}', ':8181', 'until-ready'],
    ['ready {\n  monitor continuously\n}', ':8181', 'continuously'],
    ['ready localhost:1234 {\n  monitor continuously\n}', 'localhost:1234', 'continuously'],
  ])('%s', (src, addr, monitor) => {
    expect(parse(d(src))).toEqual({ addr, monitor });
  });

  it.each([
    ['ready localhost:1234 {\n  monitor 404\n}', "Corefile:2 - Error during parsing: monitor type '404' not supported"],
    ['ready {\n  monitor\n}', "Corefile:2 - Error during parsing: Wrong argument count or unexpected line ending after 'monitor'"],
    ['ready {\n  monitro continuously\n}', "Corefile:2 - Error during parsing: unknown property 'monitro'"],
    ['ready localhost:1234 b', "Corefile:1 - Error during parsing: Wrong argument count or unexpected line ending after 'b'"],
    ['ready bla', 'address bla: missing port in address'],
    ['ready bla bla', 'Wrong argument count'],
    ['ready\nready :8182', 'this plugin can only be used once per Server Block'],
  ])('%s fails', (src, msg) => {
    expect(() => parse(d(src))).toThrow(msg);
  });

  it('is once per block and prefixes errors', () => {
    expect(plugin.name).toBe('ready');
    expect(plugin.once).toBe(true);
    const ctx = { block: { zones: ['.'], keys: ['.'], servers: ['dns://:53'], index: 0 }, env: { logger: () => undefined } as unknown as PluginEnv };
    expect(() => plugin.setup(d('ready :x'), ctx)).toThrow('plugin/ready: address :x: invalid port');
    const inst = plugin.setup(d('ready :0'), ctx);
    expect(inst).toBeInstanceOf(Ready);
    expect((inst as Ready).config).toEqual({ addr: ':0', monitor: 'until-ready' });
  });

  it('parses every README example', () => {
    const examples = directiveOccurrences(new URL('./README.md', import.meta.url), 'ready');
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const occurrences of examples) {
      expect(occurrences.length).toBeGreaterThan(0);
      for (const tokens of occurrences) expect(() => parse(new Dispenser(tokens))).not.toThrow();
    }
  });
});
