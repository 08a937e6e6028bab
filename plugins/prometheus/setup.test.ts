import { describe, expect, it } from 'vitest';
import { directiveOccurrences } from '../../test/readme.js';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex } from '../../src/corefile/lexer.js';
import type { PluginEnv } from '../../src/plugin/plugin.js';
import { Metrics } from './metrics.js';
import { parse, plugin } from './setup.js';

const d = (s: string) => new Dispenser(lex(s, 'Corefile'));


describe('prometheus setup', () => {
  it.each([
    ['prometheus', 'localhost:9153'],
    ['prometheus localhost:53', 'localhost:53'],
    ['prometheus :9153', ':9153'],
    ['prometheus [::1]:9153', '[::1]:9153'],
    ['prometheus {\n  runtime_metrics\n}', 'localhost:9153'],
    ['prometheus localhost:53 {\n  runtime_metrics\n}', 'localhost:53'],
  ])('%s', (src, addr) => {
    expect(parse(d(src))).toEqual({ addr });
  });

  it.each([
    // "{}" is a single token, as in CoreDNS.
    ['prometheus {}', 'address {}: missing port in address'],
    ['prometheus {\n  runtime_metrics extra_arg\n}', "Corefile:2 - Error during parsing: Wrong argument count or unexpected line ending after 'extra_arg'"],
    ['prometheus {\n  tls /etc/coredns/web-config.yml\n}', 'Corefile:2 - Error during parsing: unknown option: tls'],
    ['prometheus /foo', 'address /foo: missing port in address'],
    ['prometheus a b c', "Corefile:1 - Error during parsing: Wrong argument count or unexpected line ending after 'c'"],
    ['prometheus\nprometheus :9154', 'this plugin can only be used once per Server Block'],
  ])('%s fails', (src, msg) => {
    expect(() => parse(d(src))).toThrow(msg);
  });

  it('is once per block and prefixes errors', () => {
    expect(plugin.name).toBe('prometheus');
    expect(plugin.once).toBe(true);
    const ctx = { block: { zones: ['example.org.'], keys: ['example.org'], servers: ['dns://:53'], index: 0 }, env: {} as PluginEnv };
    expect(() => plugin.setup(d('prometheus bla'), ctx)).toThrow('plugin/prometheus: address bla: missing port in address');
    const inst = plugin.setup(d('prometheus :0'), ctx);
    expect(inst).toBeInstanceOf(Metrics);
    expect((inst as Metrics).config).toEqual({ addr: ':0' });
    expect(typeof inst.handler).toBe('function');
  });

  it('parses every README example', () => {
    const examples = directiveOccurrences(new URL('./README.md', import.meta.url), 'prometheus', { PORT: '9253' });
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const occurrences of examples) {
      expect(occurrences.length).toBeGreaterThan(0);
      for (const tokens of occurrences) expect(() => parse(new Dispenser(tokens))).not.toThrow();
    }
  });
});
