import { describe, expect, it } from 'vitest';
import { Dispenser } from '../../src/corefile/dispenser.js';
import type { Token } from '../../src/corefile/types.js';
import type { SetupContext } from '../../src/plugin/plugin.js';
import { parse, plugin } from './setup.js';

/** Minimal Corefile tokenizer for directive snippets (words, quoted strings, comments, lines). */
function lex(src: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  for (const m of src.matchAll(/"((?:[^"\\]|\\[\s\S])*)"|#[^\n]*|(\n)|([^\s"]+)|\s/g)) {
    if (m[2] !== undefined) line++;
    else if (m[3] !== undefined) out.push({ text: m[3], file: 'Corefile', line, quoted: false, lineBreaks: 0 });
    else if (m[1] !== undefined) {
      const lineBreaks = m[1].split('\n').length - 1;
      out.push({ text: m[1].replace(/\\(.)/g, '$1'), file: 'Corefile', line, quoted: true, lineBreaks });
      line += lineBreaks;
    }
  }
  return out;
}

describe('whoami setup', () => {
  const tests: Array<{ input: string; err?: string }> = [
    { input: 'whoami' },
    { input: 'whoami\nwhoami' },
    { input: 'whoami example.org', err: "Corefile:1 - Error during parsing: Wrong argument count or unexpected line ending after 'example.org'" },
    { input: 'whoami {\n}', err: "Corefile:1 - Error during parsing: Unexpected token '{', expecting argument" },
    { input: 'whoami\nwhoami foo', err: "Corefile:2 - Error during parsing: Wrong argument count or unexpected line ending after 'foo'" },
  ];
  it.each(tests)('$input', ({ input, err }) => {
    const c = new Dispenser(lex(input));
    if (err === undefined) expect(parse(c)).toEqual({});
    else expect(() => parse(c)).toThrow(err);
  });

  it('builds a terminal handler named whoami', () => {
    const inst = plugin.setup(new Dispenser(lex('whoami')), {} as SetupContext);
    const h = inst.handler!(undefined);
    expect(plugin.name).toBe('whoami');
    expect(h.name).toBe('whoami');
  });
});
