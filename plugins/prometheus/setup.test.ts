import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex } from '../../src/corefile/lexer.js';
import type { Token } from '../../src/corefile/types.js';
import type { PluginEnv } from '../../src/plugin/plugin.js';
import { Metrics } from './metrics.js';
import { parse, plugin } from './setup.js';

const d = (s: string) => new Dispenser(lex(s, 'Corefile'));

/**
 * Tokens of each `name` directive in the ~~~ corefile blocks of this folder's README, with
 * `{$VAR}` placeholders replaced from `env` (the core substitutes them before parsing).
 */
function readmeOccurrences(name: string, env: Record<string, string>): Token[][][] {
  const md = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
  return [...md.matchAll(/^~~~ corefile\n([\s\S]*?)^~~~$/gm)].map((m) => {
    const toks = lex(m[1]!.replace(/\{\$(\w+)\}/g, (_, k: string) => env[k] ?? ''), 'Corefile');
    const sameLine = (a: Token, b: Token) => a.line + a.lineBreaks === b.line;
    const brace = (t: Token) => (t.quoted ? 0 : t.text === '{' ? 1 : t.text === '}' ? -1 : 0);
    const out: Token[][] = [];
    for (let i = 0, depth = 0; i < toks.length; i++) {
      const t = toks[i]!;
      if (depth === 1 && (i === 0 || !sameLine(toks[i - 1]!, t)) && t.text === name) {
        const occ: Token[] = [];
        let inner = 0;
        do {
          occ.push(toks[i]!);
          inner += brace(toks[i]!);
          i++;
        } while (i < toks.length && (inner > 0 || sameLine(toks[i - 1]!, toks[i]!)));
        out.push(occ);
        i--;
        continue;
      }
      depth += brace(t);
    }
    return out;
  });
}

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
    const examples = readmeOccurrences('prometheus', { PORT: '9253' });
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const occurrences of examples) {
      expect(occurrences.length).toBeGreaterThan(0);
      for (const tokens of occurrences) expect(() => parse(new Dispenser(tokens))).not.toThrow();
    }
  });
});
