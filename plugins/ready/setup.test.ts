import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex } from '../../src/corefile/lexer.js';
import type { Token } from '../../src/corefile/types.js';
import type { PluginEnv } from '../../src/plugin/plugin.js';
import { Ready } from './ready.js';
import { parse, plugin } from './setup.js';

const d = (s: string) => new Dispenser(lex(s, 'Corefile'));

/** Tokens of each `name` directive in the ~~~ corefile blocks of this folder's README. */
function readmeOccurrences(name: string): Token[][][] {
  const md = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
  return [...md.matchAll(/^~~~ corefile\n([\s\S]*?)^~~~$/gm)].map((m) => {
    const toks = lex(m[1]!, 'Corefile');
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
    const examples = readmeOccurrences('ready');
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const occurrences of examples) {
      expect(occurrences.length).toBeGreaterThan(0);
      for (const tokens of occurrences) expect(() => parse(new Dispenser(tokens))).not.toThrow();
    }
  });
});
