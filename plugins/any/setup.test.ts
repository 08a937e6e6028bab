import { describe, expect, it } from 'vitest';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex as lexCorefile } from '../../src/corefile/lexer.js';
import type { Token } from '../../src/corefile/types.js';
import type { SetupContext } from '../../src/plugin/plugin.js';
import { parse, plugin } from './setup.js';

const lex = (src: string): Token[] => lexCorefile(src, 'Corefile');

describe('any setup', () => {
  const tests: Array<{ input: string; err?: string }> = [
    { input: 'any' },
    { input: 'any # comment' },
    { input: 'any example.org', err: "Corefile:1 - Error during parsing: Wrong argument count or unexpected line ending after 'example.org'" },
    { input: 'any {\n}', err: "Corefile:1 - Error during parsing: Unexpected token '{', expecting argument" },
  ];
  it.each(tests)('$input', ({ input, err }) => {
    const c = new Dispenser(lex(input));
    if (err === undefined) expect(parse(c)).toEqual({});
    else expect(() => parse(c)).toThrow(err);
  });

  it('wraps the next handler', () => {
    const inst = plugin.setup(new Dispenser(lex('any')), {} as SetupContext);
    expect(inst.handler!(undefined).name).toBe('any');
  });
});
