import { describe, expect, it } from 'vitest';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex as lexCorefile } from '../../src/corefile/lexer.js';
import type { Token } from '../../src/corefile/types.js';
import type { SetupContext } from '../../src/plugin/plugin.js';
import { parse, plugin } from './setup.js';

const lex = (src: string): Token[] => lexCorefile(src, 'Corefile');

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
