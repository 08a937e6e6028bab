import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Dispenser } from './dispenser.js';
import { parseCorefile } from './parser.js';
import { lex } from './lexer.js';
import type { Token } from './types.js';

/** Every occurrence of `name` in the first block, concatenated, as a plugin setup receives them. */
function tokensOf(corefile: string, name: string, file = 'Corefile'): Token[] {
  const [block] = parseCorefile(corefile, file, { env: {} });
  return block!.directives.filter((d) => d.name === name).flatMap((d) => d.tokens);
}

const dispenser = (corefile: string, name: string): Dispenser => new Dispenser(tokensOf(corefile, name));

/** A typical setup loop: per occurrence, the line's args and the block's lines. */
function walk(c: Dispenser): { args: string[]; block: string[][] }[] {
  const out: { args: string[]; block: string[][] }[] = [];
  while (c.next()) {
    const args = c.remainingArgs();
    const block: string[][] = [];
    while (c.nextBlock()) block.push([c.val(), ...c.remainingArgs()]);
    out.push({ args, block });
  }
  return out;
}

describe('Dispenser on parsed tokens', () => {
  const cases: { name: string; corefile: string; directive: string; want: { args: string[]; block: string[][] }[] }[] = [
    { name: 'no arguments', corefile: '. {\n  whoami\n}', directive: 'whoami', want: [{ args: [], block: [] }] },
    {
      name: 'arguments and a block',
      corefile: '. {\n  forward . 1.1.1.1 8.8.8.8 {\n    policy sequential\n    max_fails 3\n    force_tcp\n  }\n  log\n}',
      directive: 'forward',
      want: [{ args: ['.', '1.1.1.1', '8.8.8.8'], block: [['policy', 'sequential'], ['max_fails', '3'], ['force_tcp']] }],
    },
    {
      name: 'repeated directive, every occurrence in order',
      corefile: '. {\n  rewrite name a b\n  log\n  rewrite stop {\n    name regex (.*)\\.x {1}.y\n    answer auto\n  }\n}',
      directive: 'rewrite',
      want: [
        { args: ['name', 'a', 'b'], block: [] },
        { args: ['stop'], block: [['name', 'regex', '(.*)\\.x', '{1}.y'], ['answer', 'auto']] },
      ],
    },
    { name: 'empty block', corefile: '. {\n  hosts {\n  }\n  log\n}', directive: 'hosts', want: [{ args: [], block: [] }] },
    {
      name: 'quoted brace is an argument, not a block',
      corefile: '. {\n  template ANY A "{" x\n}',
      directive: 'template',
      want: [{ args: ['ANY', 'A', '{', 'x'], block: [] }],
    },
    {
      name: 'argument after a multi-line quoted token is on the same line',
      corefile: '. {\n  log "a\nb" c {\n    class all\n  }\n}',
      directive: 'log',
      want: [{ args: ['a\nb', 'c'], block: [['class', 'all']] }],
    },
    {
      name: 'block lines from an import',
      corefile: '(fall) {\n  fallthrough in-addr.arpa\n}\n. {\n  hosts /etc/hosts {\n    ttl 60\n    import fall\n  }\n}',
      directive: 'hosts',
      want: [{ args: ['/etc/hosts'], block: [['ttl', '60'], ['fallthrough', 'in-addr.arpa']] }],
    },
  ];
  it.each(cases)('$name', ({ corefile, directive, want }) => {
    expect(walk(dispenser(corefile, directive))).toEqual(want);
  });

  it('nextArg stays on the line', () => {
    const c = dispenser('. {\n  cache 30 example.org\n  log\n}', 'cache');
    expect(c.next()).toBe(true);
    expect(c.val()).toBe('cache');
    expect(c.nextArg()).toBe(true);
    expect(c.val()).toBe('30');
    expect(c.nextArg()).toBe(true);
    expect(c.val()).toBe('example.org');
    expect(c.nextArg()).toBe(false);
    expect(c.val()).toBe('example.org');
    expect(c.next()).toBe(false);
  });

  it('remainingArgs stops before an opening brace', () => {
    const c = dispenser('. {\n  cache 30 {\n    success 100\n  }\n}', 'cache');
    c.next();
    expect(c.remainingArgs()).toEqual(['30']);
    expect(c.nextArg()).toBe(true);
    expect(c.isBrace('{')).toBe(true);
  });

  it('refuses a block that opens on the next line', () => {
    const c = dispenser('. {\n  hosts\n  {\n    fallthrough\n  }\n}', 'hosts');
    c.next();
    expect(c.nextBlock()).toBe(false);
    expect(c.val()).toBe('hosts');
    expect(c.next()).toBe(true);
    expect(c.val()).toBe('{');
  });

  it('argErr names the last token of the line', () => {
    const c = dispenser('. {\n  log\n  whoami example.org\n}', 'whoami');
    c.next();
    expect(c.nextArg()).toBe(true);
    expect(c.argErr().message).toBe("Corefile:3 - Error during parsing: Wrong argument count or unexpected line ending after 'example.org'");
  });

  it('argErr on a brace where an argument is expected', () => {
    const c = dispenser('. {\n  health {\n    lameduck\n  }\n}', 'health');
    c.next();
    c.nextArg();
    expect(c.argErr().message).toBe("Corefile:2 - Error during parsing: Unexpected token '{', expecting argument");
    const d = dispenser('. {\n  health {\n    lameduck\n  }\n}', 'health');
    d.next();
    expect(d.nextBlock()).toBe(true);
    expect(d.val()).toBe('lameduck');
    expect(d.nextArg()).toBe(false);
    expect(d.argErr().message).toBe("Corefile:3 - Error during parsing: Wrong argument count or unexpected line ending after 'lameduck'");
  });

  it('err, syntaxErr and unknownProperty point at the current token', () => {
    const c = dispenser('. {\n  cache {\n    prefetch 10\n    bogus 1\n  }\n}', 'cache');
    c.next();
    expect(c.nextBlock()).toBe(true);
    expect(c.remainingArgs()).toEqual(['10']);
    expect(c.nextBlock()).toBe(true);
    expect(c.val()).toBe('bogus');
    expect(c.line()).toBe(4);
    expect(c.file()).toBe('Corefile');
    expect(c.err('invalid value').message).toBe('Corefile:4 - Error during parsing: invalid value');
    expect(c.unknownProperty().message).toBe("Corefile:4 - Error during parsing: unknown property 'bogus'");
    expect(c.syntaxErr('}').message).toBe("Corefile:4 - Syntax error: Unexpected token 'bogus', expecting '}'");
  });

  it('errors name the imported file and its line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exdns-disp-'));
    try {
      const imported = path.join(dir, 'a.override');
      fs.writeFileSync(imported, '# custom\nrewrite name foo\n');
      const c = new Dispenser(tokensOf('.:53 {\n  import *.override\n}', 'rewrite', path.join(dir, 'Corefile')));
      c.next();
      c.remainingArgs();
      expect(c.argErr().message).toBe(`${imported}:2 - Error during parsing: Wrong argument count or unexpected line ending after 'foo'`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses the fallback file without tokens', () => {
    const c = new Dispenser([], 'stdin');
    expect(c.next()).toBe(false);
    expect(c.val()).toBe('');
    expect(c.err('x').message).toBe('stdin:0 - Error during parsing: x');
  });
});

describe('noArgs', () => {
  it('accepts every bare occurrence and rejects an argument with FILE:LINE', () => {
    const ok = new Dispenser(lex('whoami\nwhoami', 'Corefile'));
    expect(() => ok.noArgs()).not.toThrow();
    const bad = new Dispenser(lex('whoami\nwhoami extra', 'Corefile'));
    expect(() => bad.noArgs()).toThrow('Corefile:2 - Error during parsing: Wrong argument count or unexpected line ending after');
  });
});
