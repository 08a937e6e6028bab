import { describe, expect, it } from 'vitest';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex as lexCorefile } from '../../src/corefile/lexer.js';
import type { Token } from '../../src/corefile/types.js';
import type { SetupContext } from '../../src/plugin/plugin.js';
import { LoopInstance } from './instance.js';
import { parse, plugin } from './setup.js';

const lex = (src: string): Token[] => lexCorefile(src, 'Corefile');

describe('loop setup', () => {
  const tests: Array<{ input: string; zones?: string[]; zone?: string; err?: string }> = [
    { input: 'loop', zones: ['.'], zone: '.' },
    { input: 'loop', zones: ['example.org.', 'example.net.'], zone: 'example.org.' },
    { input: 'loop', zones: ['0.0.10.in-addr.arpa.', '1.0.10.in-addr.arpa.'], zone: '0.0.10.in-addr.arpa.' },
    { input: 'loop # comment', zones: ['.'], zone: '.' },
    { input: 'loop argument', err: "Corefile:1 - Error during parsing: Wrong argument count or unexpected line ending after 'argument'" },
    { input: 'loop {\n}', err: "Corefile:1 - Error during parsing: Unexpected token '{', expecting argument" },
  ];
  it.each(tests)('$input $zones', ({ input, zones, zone, err }) => {
    const c = new Dispenser(lex(input));
    if (err !== undefined) expect(() => parse(c, ['.'])).toThrow(err);
    else expect(parse(c, zones!)).toEqual({ zone });
  });

  it('is once per block and builds a handler named loop', () => {
    const ctx = { block: { zones: ['example.org.'], keys: ['example.org'], servers: ['dns://:53'], index: 0 } } as unknown as SetupContext;
    const inst = plugin.setup(new Dispenser(lex('loop')), ctx) as LoopInstance;
    expect(plugin.once).toBe(true);
    expect(inst.handler(undefined).name).toBe('loop');
    expect(inst.state.zone).toBe('example.org.');
    expect(inst.state.qname).toMatch(/^\d+\.\d+\.example\.org\.$/);
  });

  it('switches off at once without a listener to probe (exdns records)', () => {
    const inst = new LoopInstance('.', () => undefined);
    inst.start();
    expect(inst.state.off).toBe(true);
  });
});
