import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { globFiles, parseCorefile, replaceEnvVars, serializeBlocks, type ParseOptions } from './parser.js';
import { CorefileError, type ServerBlock } from './types.js';

const KNOWN = new Set(['whoami', 'log', 'errors', 'forward', 'cache', 'rewrite', 'hosts', 'health', 'prometheus', 'template', 'reload', 'ready']);
const isDirective = (n: string): boolean => KNOWN.has(n);

interface Simple {
  keys: string[];
  dirs: string[][];
}

function simplify(blocks: ServerBlock[]): Simple[] {
  return blocks.map((b) => ({ keys: b.keys.map((k) => k.text), dirs: b.directives.map((d) => d.tokens.map((t) => t.text)) }));
}

function parse(input: string, opts: ParseOptions = {}, file = 'Corefile'): Simple[] {
  return simplify(parseCorefile(input, file, { isDirective, env: {}, ...opts }));
}

function parseErr(input: string, opts: ParseOptions = {}, file = 'Corefile'): string {
  try {
    parseCorefile(input, file, { isDirective, env: {}, ...opts });
  } catch (e) {
    expect(e).toBeInstanceOf(CorefileError);
    return (e as Error).message;
  }
  throw new Error('expected a parse error');
}

describe('server blocks', () => {
  const cases: { name: string; input: string; want: Simple[] }[] = [
    { name: 'empty file', input: '', want: [] },
    { name: 'comments only', input: '# nothing\n  # here\n', want: [] },
    {
      name: 'one block',
      input: 'example.org {\n    whoami\n    log\n}\n',
      want: [{ keys: ['example.org'], dirs: [['whoami'], ['log']] }],
    },
    {
      name: 'several keys on the key line',
      input: 'example.org org dns://example.net:1053 {\n  whoami\n}',
      want: [{ keys: ['example.org', 'org', 'dns://example.net:1053'], dirs: [['whoami']] }],
    },
    {
      name: 'trailing comma continues the keys on the next line',
      input: 'a.example,\n  b.example,\n  c.example {\n  whoami\n}',
      want: [{ keys: ['a.example', 'b.example', 'c.example'], dirs: [['whoami']] }],
    },
    {
      name: 'comma-separated keys on one line',
      input: 'a.example, b.example {\n}',
      want: [{ keys: ['a.example', 'b.example'], dirs: [] }],
    },
    {
      name: 'opening brace on the next line',
      input: 'example.org\n{\n  whoami\n}\n',
      want: [{ keys: ['example.org'], dirs: [['whoami']] }],
    },
    { name: 'bare "" key skipped', input: '"" example.org {\n}', want: [{ keys: ['example.org'], dirs: [] }] },
    { name: 'only "" gives no block', input: '""', want: [] },
    {
      name: 'single block without braces',
      input: 'example.org:1053\nwhoami\nforward . 8.8.8.8\n',
      want: [{ keys: ['example.org:1053'], dirs: [['whoami'], ['forward', '.', '8.8.8.8']] }],
    },
    { name: 'keys only', input: 'example.org', want: [{ keys: ['example.org'], dirs: [] }] },
    { name: 'empty block', input: 'example.org {\n}', want: [{ keys: ['example.org'], dirs: [] }] },
    { name: 'empty block on one line', input: 'example.org { }', want: [{ keys: ['example.org'], dirs: [] }] },
    {
      name: 'several blocks',
      input: '.:53 {\n  forward . 1.1.1.1\n}\n\nexample.org:53 {\n  whoami\n}\nexample.net {\n}\n',
      want: [
        { keys: ['.:53'], dirs: [['forward', '.', '1.1.1.1']] },
        { keys: ['example.org:53'], dirs: [['whoami']] },
        { keys: ['example.net'], dirs: [] },
      ],
    },
    {
      name: 'nested directive blocks keep every token',
      input: '. {\n  forward . 1.1.1.1 {\n    policy sequential\n    health_check 5s\n  }\n  hosts {\n    1.2.3.4 a.example\n    fallthrough\n  }\n}',
      want: [
        {
          keys: ['.'],
          dirs: [
            ['forward', '.', '1.1.1.1', '{', 'policy', 'sequential', 'health_check', '5s', '}'],
            ['hosts', '{', '1.2.3.4', 'a.example', 'fallthrough', '}'],
          ],
        },
      ],
    },
    {
      name: 'depth is counted',
      input: '. {\n  template ANY A {\n    outer {\n      inner {\n      }\n    }\n  }\n  log\n}',
      want: [{ keys: ['.'], dirs: [['template', 'ANY', 'A', '{', 'outer', '{', 'inner', '{', '}', '}', '}'], ['log']] }],
    },
    {
      name: 'repeated directives are separate occurrences in order',
      input: '. {\n  rewrite name a b\n  log\n  rewrite name c d\n}',
      want: [{ keys: ['.'], dirs: [['rewrite', 'name', 'a', 'b'], ['log'], ['rewrite', 'name', 'c', 'd']] }],
    },
    {
      name: 'quoted braces are arguments',
      input: '. {\n  template ANY A "{" "}"\n  log\n}',
      want: [{ keys: ['.'], dirs: [['template', 'ANY', 'A', '{', '}'], ['log']] }],
    },
    {
      name: 'quoted token spanning lines stays on its directive',
      input: '. {\n  log "a\nb" c\n  whoami\n}',
      want: [{ keys: ['.'], dirs: [['log', 'a\nb', 'c'], ['whoami']] }],
    },
    {
      // caddy counts a `{` even at the start of the next line (Dispenser.NextBlock later refuses it)
      name: 'a brace on the line after a directive still belongs to it',
      input: '. {\n  hosts\n  {\n    fallthrough\n  }\n}',
      want: [{ keys: ['.'], dirs: [['hosts', '{', 'fallthrough', '}']] }],
    },
    {
      name: '"import" as an argument is not an import',
      input: '. {\n  log / import password\n}',
      want: [{ keys: ['.'], dirs: [['log', '/', 'import', 'password']] }],
    },
    {
      name: 'CRLF and BOM',
      input: '\ufeffexample.org {\r\n  whoami\r\n}\r\n',
      want: [{ keys: ['example.org'], dirs: [['whoami']] }],
    },
  ];
  it.each(cases)('$name', ({ input, want }) => {
    expect(parse(input)).toEqual(want);
  });

  it('keeps file, line and quoting on key and directive tokens', () => {
    const [b] = parseCorefile('# c\nexample.org,\n  example.net {\n  log "x y"\n}', '/etc/coredns/Corefile', { isDirective });
    expect(b!.keys.map((k) => [k.text, k.file, k.line])).toEqual([
      ['example.org', '/etc/coredns/Corefile', 2],
      ['example.net', '/etc/coredns/Corefile', 3],
    ]);
    expect(b!.directives[0]!.name).toBe('log');
    expect(b!.directives[0]!.tokens.map((t) => [t.text, t.line, t.quoted])).toEqual([
      ['log', 4, false],
      ['x y', 4, true],
    ]);
  });

  it('does not validate directive names without isDirective', () => {
    const blocks = parseCorefile('. {\n  anything goes\n}', 'Corefile', {});
    expect(blocks[0]!.directives[0]!.name).toBe('anything');
  });
});

describe('syntax errors', () => {
  const cases: { name: string; input: string; msg: string }[] = [
    { name: 'unknown directive', input: '. {\n  whoami\n  foward . 1.1.1.1\n}', msg: "Corefile:3 - Error during parsing: Unknown directive 'foward'" },
    { name: 'unknown directive without braces', input: '.\nbogus', msg: "Corefile:2 - Error during parsing: Unknown directive 'bogus'" },
    { name: 'closing brace on a directive line', input: '. {\n  whoami }\n', msg: "Corefile:2 - Error during parsing: Unexpected '}' because no matching opening brace" },
    { name: 'whole block on one line', input: 'example.org { whoami }', msg: "Corefile:1 - Error during parsing: Unexpected '}' because no matching opening brace" },
    { name: 'extra brace after a sub-block', input: '. {\n  hosts {\n  } }\n}', msg: "Corefile:3 - Error during parsing: Unexpected '}' because no matching opening brace" },
    { name: 'stray brace at top level', input: '. {\n  whoami\n}\n}\n', msg: "Corefile:4 - Error during parsing: Unexpected '}' because no matching opening brace" },
    { name: 'missing closing brace', input: 'example.org {\n  whoami\n', msg: "Corefile:2 - Syntax error: Unexpected token 'whoami', expecting '}'" },
    { name: 'missing closing brace of an empty block', input: 'example.org {', msg: "Corefile:1 - Syntax error: Unexpected token '{', expecting '}'" },
    { name: 'unclosed sub-block', input: '. {\n  forward . 1.1.1.1 {\n    policy random\n', msg: 'Corefile:3 - Error during parsing: Unexpected EOF' },
    { name: 'key list ending in a comma at EOF', input: 'a.example, b.example,', msg: 'Corefile:1 - Error during parsing: Unexpected EOF' },
    { name: 'comma before the brace', input: 'a.example, {\n}', msg: "Corefile:1 - Error during parsing: Expected another address but had '{' - check for extra comma" },
    { name: 'snippet without braces', input: '(common)\nlog\n', msg: "Corefile:2 - Syntax error: Unexpected token 'log', expecting '{'" },
    { name: 'unclosed snippet', input: '(common) {\n  log\n', msg: "Corefile:2 - Syntax error: Unexpected token 'log', expecting '}'" },
  ];
  it.each(cases)('$name', ({ input, msg }) => {
    expect(parseErr(input)).toBe(msg);
  });
});

describe('environment substitution', () => {
  const env = { PORT: '8080', ADDRESS: 'servername.com', FOOBAR: 'foobar', DIR: 'log', EMPTY: '' };

  it.each([
    ['{$ADDRESS}', 'servername.com'],
    ['di{$DIR}', 'dilog'],
    ['{$ADDRESS}:{$PORT}', 'servername.com:8080'],
    ['{%ADDRESS%}:{$PORT}', 'servername.com:8080'],
    ['{$ADDRESS}:{%PORT%}', 'servername.com:8080'],
    ['{$UNSET}x', 'x'],
    ['{%ADDRESS}', '{%ADDRESS}'],
    [':{$PORT$}', ':'],
    ['{$}', '{$}'],
    ['{%%}', '{%%}'],
    ['{$ADDRESS} {$', 'servername.com {$'],
  ])('%s -> %s', (input, want) => {
    expect(replaceEnvVars(input, env)).toBe(want);
  });

  it('never rescans a substituted value', () => {
    expect(replaceEnvVars('{$A}{$B}', { A: '{$B}', B: 'b' })).toBe('{$B}b');
  });

  it('applies to keys, directive names, arguments and quoted arguments', () => {
    const input = '{$ADDRESS}:{$PORT} {%ADDRESS%}, {$UNSET}.org {\n  {$DIR} {$FOOBAR} "Test {$FOOBAR} test"\n  prometheus localhost:{$PORT}\n  template "{{ .Name }} {$FOOBAR}"\n  forward . {$UNSET}\n}';
    expect(parse(input, { env, isDirective: undefined })).toEqual([
      {
        keys: ['servername.com:8080', 'servername.com', '.org'],
        dirs: [['log', 'foobar', 'Test foobar test'], ['prometheus', 'localhost:8080'], ['template', '{{ .Name }} foobar'], ['forward', '.', '']],
      },
    ]);
  });

  it('checks the substituted directive name', () => {
    expect(parse('. {\n  {$DIR}\n}', { env })).toEqual([{ keys: ['.'], dirs: [['log']] }]);
    expect(parseErr('. {\n  {$FOOBAR}\n}', { env })).toBe("Corefile:2 - Error during parsing: Unknown directive 'foobar'");
  });

  it('defaults to process.env', () => {
    process.env.EXDNS_CORE_TEST_ZONE = 'env.example';
    try {
      expect(simplify(parseCorefile('{$EXDNS_CORE_TEST_ZONE} {\n}', 'Corefile'))).toEqual([{ keys: ['env.example'], dirs: [] }]);
    } finally {
      delete process.env.EXDNS_CORE_TEST_ZONE;
    }
  });
});

describe('snippets', () => {
  it('imports a snippet into a block, a sub-block and the top level', () => {
    const input = [
      '(common) {',
      '  errors',
      '  log',
      '}',
      '(fall) {',
      '  fallthrough',
      '}',
      '(server) {',
      '  example.net {',
      '    whoami',
      '  }',
      '}',
      'example.org {',
      '  import common',
      '  hosts {',
      '    1.2.3.4 a.example.org',
      '    import fall',
      '  }',
      '}',
      'import server',
    ].join('\n');
    expect(parse(input)).toEqual([
      { keys: ['example.org'], dirs: [['errors'], ['log'], ['hosts', '{', '1.2.3.4', 'a.example.org', 'fallthrough', '}']] },
      { keys: ['example.net'], dirs: [['whoami']] },
    ]);
  });

  it('keeps the snippet tokens at their definition', () => {
    const [b] = parseCorefile('(common) {\n  log\n}\n. {\n  import common\n}', 'Corefile', { isDirective });
    expect(b!.directives[0]!.tokens[0]).toMatchObject({ text: 'log', file: 'Corefile', line: 2 });
  });

  it('is never served, even when empty', () => {
    expect(parse('(empty) {\n}\n(x) {\n  log\n}')).toEqual([]);
  });

  it('reports an error inside a snippet at the snippet line', () => {
    expect(parseErr('(bad) {\n  bogus\n}\n. {\n  import bad\n}')).toBe("Corefile:2 - Error during parsing: Unknown directive 'bogus'");
  });

  it('rejects a redeclaration', () => {
    expect(parseErr('(common) {\n  log\n}\n\n(common) {\n  errors\n}')).toBe('Corefile:5 - Error during parsing: redeclaration of previously declared snippet common');
  });

  it('rejects a snippet importing itself when it is declared', () => {
    expect(parseErr('(loop) {\n  import loop\n}\n')).toBe('Corefile:3 - Error during parsing: maximum snippet import depth (10000) exceeded');
    expect(parseErr('(loop) {\n  { }\n  import loop\n}\nimport loop')).toBe('Corefile:4 - Error during parsing: maximum snippet import depth (10000) exceeded');
  });

  it('rejects snippets importing each other', () => {
    const input = '(a) {\n  log\n  import b\n}\n(b) {\n  import a\n}\n. {\n  import a\n}';
    expect(parseErr(input)).toBe('Corefile:6 - Error during parsing: maximum snippet import depth (10000) exceeded (import cycle: snippet a -> snippet b -> snippet a)');
  });

  it('counts snippet expansions', () => {
    // s13 expands into 2^14 - 1 snippet imports, more than the 10,000 allowed
    const defs = ['(s0) {\n  log\n}'];
    for (let i = 1; i <= 13; i++) defs.push(`(s${i}) {\n  import s${i - 1}\n  import s${i - 1}\n}`);
    const input = `${defs.join('\n')}\n. {\n  import s13\n}`;
    expect(parseErr(input)).toMatch(/^Corefile:\d+ - Error during parsing: maximum snippet import depth \(10000\) exceeded$/);
    // 2^13 - 1 = 8191 expansions are fine
    const ok = `${defs.slice(0, 13).join('\n')}\n. {\n  import s12\n}`;
    expect(parse(ok)[0]!.dirs).toHaveLength(4096);
  });

  it('takes a snippet name from the environment', () => {
    expect(parse('({$NAME}) {\n  log\n}\n. {\n  import {$NAME}\n}', { env: { NAME: 'common' } })).toEqual([{ keys: ['.'], dirs: [['log']] }]);
  });
});

describe('import syntax', () => {
  const cases: { name: string; input: string; msg: string; env?: Record<string, string> }[] = [
    { name: 'no argument', input: '. {\n  import\n}', msg: "Corefile:2 - Error during parsing: Wrong argument count or unexpected line ending after 'import'" },
    { name: 'no argument at top level', input: 'import\n', msg: "Corefile:1 - Error during parsing: Wrong argument count or unexpected line ending after 'import'" },
    { name: 'two arguments', input: 'import a.conf b.conf', msg: 'Corefile:1 - Error during parsing: Import takes only one argument (glob pattern or file)' },
    { name: 'two arguments in a block', input: '. {\n  log\n  import a.conf b.conf\n}', msg: 'Corefile:3 - Error during parsing: Import takes only one argument (glob pattern or file)' },
    { name: 'empty quoted path', input: '. {\n  import ""\n}', msg: 'Corefile:2 - Error during parsing: Import requires a non-empty filepath' },
    { name: 'path from an unset variable', input: 'import {$NOPE}', msg: 'Corefile:1 - Error during parsing: Import requires a non-empty filepath' },
  ];
  it.each(cases)('$name', ({ input, msg }) => {
    expect(parseErr(input)).toBe(msg);
  });
});

describe('import of files', () => {
  let dir: string;
  const write = (rel: string, contents: string): string => {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, contents);
    return p;
  };
  const corefile = (): string => path.join(dir, 'Corefile');
  const parseFile = (contents: string, opts: ParseOptions = {}): Simple[] => parse(contents, opts, write('Corefile', contents));
  const parseFileErr = (contents: string, opts: ParseOptions = {}): string => parseErr(contents, opts, write('Corefile', contents));

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exdns-corefile-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('imports server blocks at top level', () => {
    write('zones.conf', 'example.org {\n  whoami\n}\nexample.net {\n  log\n}\n');
    expect(parseFile('. {\n  forward . 1.1.1.1\n}\nimport zones.conf\n')).toEqual([
      { keys: ['.'], dirs: [['forward', '.', '1.1.1.1']] },
      { keys: ['example.org'], dirs: [['whoami']] },
      { keys: ['example.net'], dirs: [['log']] },
    ]);
  });

  it('imports directives into a block and into a sub-block', () => {
    write('common.conf', 'errors\nlog');
    write('hosts.conf', '1.2.3.4 a.example\n5.6.7.8 b.example');
    expect(parseFile('. {\n  import common.conf\n  hosts {\n    import hosts.conf\n    fallthrough\n  }\n  whoami\n}')).toEqual([
      { keys: ['.'], dirs: [['errors'], ['log'], ['hosts', '{', '1.2.3.4', 'a.example', '5.6.7.8', 'b.example', 'fallthrough', '}'], ['whoami']] },
    ]);
  });

  it('resolves paths relative to the importing file', () => {
    write('sub/a.conf', 'log\nimport b.conf');
    write('sub/b.conf', 'errors');
    write('b.conf', 'whoami'); // must not be picked
    expect(parseFile('. {\n  import sub/a.conf\n}')).toEqual([{ keys: ['.'], dirs: [['log'], ['errors']] }]);
  });

  it('accepts absolute paths', () => {
    const abs = write('elsewhere/x.conf', 'log');
    expect(parse(`. {\n  import ${abs}\n}`, {}, 'Corefile')).toEqual([{ keys: ['.'], dirs: [['log']] }]);
  });

  it('keeps the imported file name and lines on imported tokens', () => {
    const imported = write('x.conf', '\n\nlog stdout\n');
    const blocks = parseCorefile('. {\n  import x.conf\n}', write('Corefile', ''), { isDirective });
    expect(blocks[0]!.directives[0]!.tokens.map((t) => [t.text, t.file, t.line])).toEqual([
      ['log', imported, 3],
      ['stdout', imported, 3],
    ]);
  });

  it('points errors at the imported file', () => {
    const imported = write('x.conf', 'log\nbogus arg\n');
    expect(parseFileErr('. {\n  import x.conf\n}')).toBe(`${imported}:2 - Error during parsing: Unknown directive 'bogus'`);
    const broken = write('y.conf', 'example.org {\n  whoami\n');
    expect(parseFileErr('import y.conf')).toBe(`${broken}:2 - Syntax error: Unexpected token 'whoami', expecting '}'`);
  });

  it('expands a glob in sorted order', () => {
    write('conf.d/b.conf', 'errors');
    write('conf.d/a.conf', 'log');
    write('conf.d/c.txt', 'whoami');
    write('conf.d/c.conf', 'cache 30');
    expect(parseFile('. {\n  import conf.d/*.conf\n}')).toEqual([{ keys: ['.'], dirs: [['log'], ['errors'], ['cache', '30']] }]);
    expect(parseFile('. {\n  import conf.d/?.conf\n}')).toEqual([{ keys: ['.'], dirs: [['log'], ['errors'], ['cache', '30']] }]);
  });

  it('only warns when a glob matches nothing', () => {
    const warnings: string[] = [];
    expect(parseFile('. {\n  log\n  import custom/*.override\n}\nimport custom/*.server\n', { warn: (m) => warnings.push(m) })).toEqual([
      { keys: ['.'], dirs: [['log']] },
    ]);
    expect(warnings).toEqual(['No files matching import glob pattern: custom/*.override', 'No files matching import glob pattern: custom/*.server']);
  });

  it('ignores warnings by default', () => {
    expect(parseFile('import none/*')).toEqual([]);
  });

  it('rejects a missing file', () => {
    expect(parseFileErr('. {\n  log\n  import missing.conf\n}')).toBe(`${corefile()}:3 - Error during parsing: File to import not found: missing.conf`);
    expect(parseFileErr('import notfound/file.conf')).toBe(`${corefile()}:1 - Error during parsing: File to import not found: notfound/file.conf`);
  });

  it('rejects a directory', () => {
    fs.mkdirSync(path.join(dir, 'custom'));
    expect(parseFileErr('import custom')).toBe(`${corefile()}:1 - Error during parsing: Could not import ${path.join(dir, 'custom')}: is a directory`);
    write('globbed/a.conf', 'example.org {\n}');
    fs.mkdirSync(path.join(dir, 'globbed/b.conf'));
    expect(parseFileErr('import globbed/*.conf')).toBe(`${corefile()}:1 - Error during parsing: Could not import ${path.join(dir, 'globbed/b.conf')}: is a directory`);
  });

  it('rejects patterns with more than one wildcard or a character class', () => {
    expect(parseFileErr('import a/*/*.conf')).toBe(`${corefile()}:1 - Error during parsing: Glob pattern may only contain one wildcard (*), but has others: ${path.join(dir, 'a/*/*.conf')}`);
    expect(parseFileErr('import ??.conf')).toBe(`${corefile()}:1 - Error during parsing: Glob pattern may only contain one wildcard (*), but has others: ${path.join(dir, '??.conf')}`);
    expect(parseFileErr('import [a-z].conf')).toBe(`${corefile()}:1 - Error during parsing: Glob pattern may only contain one wildcard (*), but has others: ${path.join(dir, '[a-z].conf')}`);
    expect(parseFileErr('import x[.conf')).toBe(`${corefile()}:1 - Error during parsing: Failed to use import pattern x[.conf: syntax error in pattern`);
  });

  it('takes the pattern from the environment', () => {
    write('custom/a.override', 'log');
    expect(parseFile('. {\n  import {$CUSTOM}/*.override\n}', { env: { CUSTOM: 'custom' } })).toEqual([{ keys: ['.'], dirs: [['log']] }]);
  });

  it('shares snippets across files', () => {
    write('snippets.conf', '(common) {\n  errors\n  log\n}\n');
    write('site.conf', 'example.org {\n  import common\n}\n');
    expect(parseFile('import snippets.conf\nimport site.conf\n. {\n  import common\n}')).toEqual([
      { keys: ['example.org'], dirs: [['errors'], ['log']] },
      { keys: ['.'], dirs: [['errors'], ['log']] },
    ]);
  });

  it('prefers a snippet over a file of the same name', () => {
    write('common', 'whoami');
    expect(parseFile('(common) {\n  log\n}\n. {\n  import common\n}')).toEqual([{ keys: ['.'], dirs: [['log']] }]);
    expect(parseFile('. {\n  import common\n}')).toEqual([{ keys: ['.'], dirs: [['whoami']] }]);
  });

  it('resolves imports in a snippet relative to the file that defines it', () => {
    write('lib/snippets.conf', '(common) {\n  import common.conf\n}\n');
    write('lib/common.conf', 'log');
    expect(parseFile('import lib/snippets.conf\n. {\n  import common\n}')).toEqual([{ keys: ['.'], dirs: [['log']] }]);
  });

  it('keeps "import" as a plain argument in imported files', () => {
    write('site.conf', 'example.org {\n  # not an import\n  log / import password\n}\n');
    expect(parseFile('import site.conf')).toEqual([{ keys: ['example.org'], dirs: [['log', '/', 'import', 'password']] }]);
  });

  it('rejects a file importing itself', () => {
    write('self.conf', 'log\nimport self.conf\n');
    const self = path.join(dir, 'self.conf');
    expect(parseFileErr('. {\n  import self.conf\n}')).toBe(
      `${self}:2 - Error during parsing: maximum file import depth (100000) exceeded (import cycle: ${self} -> ${self})`,
    );
    expect(parseFileErr('import Corefile')).toBe(
      `${corefile()}:1 - Error during parsing: maximum file import depth (100000) exceeded (import cycle: ${corefile()} -> ${corefile()})`,
    );
  });

  it('rejects files importing each other', () => {
    const a = write('a.conf', 'import b.conf');
    const b = write('b.conf', 'log\nimport a.conf');
    expect(parseFileErr('. {\n  import a.conf\n}')).toBe(`${b}:2 - Error during parsing: maximum file import depth (100000) exceeded (import cycle: ${a} -> ${b} -> ${a})`);
  });

  it('rejects a glob that includes the importing file', () => {
    write('a.conf', 'import *.conf');
    write('b.conf', 'log');
    expect(parseFileErr('. {\n  import a.conf\n}')).toMatch(/maximum file import depth \(100000\) exceeded \(import cycle: .*a\.conf -> .*a\.conf\)$/);
  });

  it('rejects a cycle through a snippet and a file', () => {
    const f = write('f.conf', 'import s');
    expect(parseFileErr('(s) {\n  import f.conf\n}\n. {\n  import s\n}')).toBe(
      `${f}:1 - Error during parsing: maximum snippet import depth (10000) exceeded (import cycle: snippet s -> ${f} -> snippet s)`,
    );
  });

  it('allows the same file twice side by side', () => {
    write('log.conf', 'log');
    expect(parseFile('a.example {\n  import log.conf\n}\nb.example {\n  import log.conf\n}')).toEqual([
      { keys: ['a.example'], dirs: [['log']] },
      { keys: ['b.example'], dirs: [['log']] },
    ]);
  });

  it('handles the coredns-custom convention (.override in the block, .server at top level)', () => {
    write('custom/changeme.override', '# placeholder\n');
    write('custom/changeme.server', '# placeholder\n');
    write('custom/hosts.override', 'hosts {\n  10.0.0.1 db.internal\n  fallthrough\n}\n');
    write('custom/rewrite.override', 'rewrite name foo.example.com foo.default.svc.cluster.local\n');
    write('custom/puglife.server', 'puglife.local:53 {\n  errors\n  cache 30\n  forward . 192.11.0.1\n}\n');
    write('custom/other.yaml', 'not: imported\n');
    const input = [
      '.:53 {',
      '    errors',
      '    health {',
      '        lameduck 5s',
      '    }',
      '    forward . /etc/resolv.conf',
      '    cache 30',
      '    import custom/*.override',
      '}',
      'import custom/*.server',
      '',
    ].join('\n');
    expect(parseFile(input)).toEqual([
      {
        keys: ['.:53'],
        dirs: [
          ['errors'],
          ['health', '{', 'lameduck', '5s', '}'],
          ['forward', '.', '/etc/resolv.conf'],
          ['cache', '30'],
          ['hosts', '{', '10.0.0.1', 'db.internal', 'fallthrough', '}'],
          ['rewrite', 'name', 'foo.example.com', 'foo.default.svc.cluster.local'],
        ],
      },
      { keys: ['puglife.local:53'], dirs: [['errors'], ['cache', '30'], ['forward', '.', '192.11.0.1']] },
    ]);
  });

  it('uses the readFile and glob options', () => {
    const files: Record<string, string> = { '/virtual/conf.d/a.conf': 'log', '/virtual/conf.d/b.conf': 'errors' };
    const readFile = (p: string): string => {
      const c = files[p];
      if (c === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return c;
    };
    const glob = (p: string): string[] => Object.keys(files).filter((f) => (p.endsWith('*.conf') ? f.startsWith(p.slice(0, -6)) : f === p)).sort();
    expect(parse('. {\n  import conf.d/*.conf\n}', { readFile, glob }, '/virtual/Corefile')).toEqual([{ keys: ['.'], dirs: [['log'], ['errors']] }]);
    const failing = (): string[] => ['/virtual/gone.conf'];
    expect(parseErr('import gone.conf', { readFile, glob: failing }, '/virtual/Corefile')).toBe(
      '/virtual/Corefile:1 - Error during parsing: Could not import /virtual/gone.conf: open /virtual/gone.conf: no such file or directory',
    );
  });
});

describe('globFiles', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exdns-glob-'));
    for (const f of ['b.server', 'a.server', '.hidden.server', 'a.override', 'sub/c.server']) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), '');
    }
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('matches like filepath.Glob', () => {
    expect(globFiles(path.join(dir, '*.server'))).toEqual(['.hidden.server', 'a.server', 'b.server'].map((f) => path.join(dir, f)));
    expect(globFiles(path.join(dir, '?.server'))).toEqual(['a.server', 'b.server'].map((f) => path.join(dir, f)));
    expect(globFiles(path.join(dir, '*/c.server'))).toEqual([path.join(dir, 'sub/c.server')]);
    expect(globFiles(path.join(dir, 'a.override'))).toEqual([path.join(dir, 'a.override')]);
    expect(globFiles(path.join(dir, 'nothing'))).toEqual([]);
    expect(globFiles(path.join(dir, 'nodir/*.server'))).toEqual([]);
    expect(() => globFiles(path.join(dir, 'x['))).toThrow('syntax error in pattern');
  });
});

describe('serializeBlocks', () => {
  const ser = (input: string, opts: ParseOptions = {}): string => serializeBlocks(parseCorefile(input, 'Corefile', { env: {}, ...opts }));
  const base = '.:53 {\n  errors\n  forward . 1.1.1.1 {\n    policy sequential\n  }\n  rewrite name a b\n  rewrite name c d\n}\n';

  it('encodes keys and lines without positions', () => {
    expect(JSON.parse(ser(base))).toEqual([
      {
        keys: ['.:53'],
        body: [['errors'], ['forward', '.', '1.1.1.1', [['policy', 'sequential']]], ['rewrite', 'name', 'a', 'b'], ['rewrite', 'name', 'c', 'd']],
      },
    ]);
  });

  it.each([
    ['comments and blank lines', '# header\n\n.:53 {   # main\n\n  errors # e\n  forward . 1.1.1.1 {\n      policy sequential\n  }\n  rewrite name a b\n  rewrite name c d\n}\n# end\n'],
    ['indentation and CRLF', '.:53 {\r\n\terrors\r\n\tforward . 1.1.1.1 {\r\n\t\tpolicy sequential\r\n\t}\r\n\trewrite name a b\r\n\trewrite name c d\r\n}\r\n'],
    ['brace on the next line', '.:53\n{\n  errors\n  forward . 1.1.1.1 {\n    policy sequential\n  }\n  rewrite name a b\n  rewrite name c d\n}\n'],
    ['quoting a plain argument', '.:53 {\n  errors\n  forward "." 1.1.1.1 {\n    policy "sequential"\n  }\n  rewrite name a b\n  rewrite name c d\n}\n'],
    ['other directives reordered', '.:53 {\n  rewrite name a b\n  forward . 1.1.1.1 {\n    policy sequential\n  }\n  rewrite name c d\n  errors\n}\n'],
    ['a snippet', '(e) {\n  errors\n}\n.:53 {\n  import e\n  forward . 1.1.1.1 {\n    policy sequential\n  }\n  rewrite name a b\n  rewrite name c d\n}\n'],
    ['an env variable', '.:{$PORT} {\n  errors\n  forward . 1.1.1.1 {\n    policy sequential\n  }\n  rewrite name a b\n  rewrite name c d\n}\n'],
  ])('is unchanged by %s', (_name, input) => {
    expect(ser(input, { env: { PORT: '53' } })).toBe(ser(base));
  });

  it.each([
    ['a changed argument', base.replace('1.1.1.1', '8.8.8.8')],
    ['a changed key', base.replace('.:53', '.:1053')],
    ['repeated directives reordered', base.replace('rewrite name a b\n  rewrite name c d', 'rewrite name c d\n  rewrite name a b')],
    ['a line split in two', base.replace('policy sequential', 'policy\n    sequential')],
    ['a sub-block', base.replace('errors', 'errors {\n  }')],
    ['a quoted brace', base.replace('policy sequential', 'policy sequential "{" "}"')],
    ['an added block', base + 'example.org {\n}\n'],
  ])('changes with %s', (_name, input) => {
    expect(ser(input)).not.toBe(ser(base));
  });

  it('follows imported files', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exdns-hash-'));
    try {
      const file = path.join(dir, 'Corefile');
      fs.writeFileSync(path.join(dir, 'x.override'), 'log');
      const before = serializeBlocks(parseCorefile('. {\n  import *.override\n}', file));
      fs.writeFileSync(path.join(dir, 'x.override'), 'log\nerrors');
      const after = serializeBlocks(parseCorefile('. {\n  import *.override\n}', file));
      expect(after).not.toBe(before);
      expect(after).toBe(serializeBlocks(parseCorefile('. {\n  log\n  errors\n}', file)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
