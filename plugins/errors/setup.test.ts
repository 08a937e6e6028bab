import { describe, expect, it } from 'vitest';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex as lexCorefile } from '../../src/corefile/lexer.js';
import type { Token } from '../../src/corefile/types.js';
import type { SetupContext } from '../../src/plugin/plugin.js';
import { parse, plugin, type Config } from './setup.js';
import { ErrorsPlugin } from './errors.js';

const lex = (src: string): Token[] => lexCorefile(src, 'Corefile');

const none: Config = { stacktrace: false, consolidate: [] };

describe('errors setup', () => {
  const tests: Array<{ input: string; want?: Config; err?: string }> = [
    { input: 'errors', want: none },
    { input: 'errors stdout', want: none },
    { input: 'errors {\n}', want: none },
    { input: 'errors {\n  stacktrace\n}', want: { stacktrace: true, consolidate: [] } },
    {
      input: 'errors {\n  consolidate 1m .*\n}',
      want: { stacktrace: false, consolidate: [{ period: 60_000, source: '.*', pattern: /.*/, level: 'error', showFirst: false }] },
    },
    {
      input: 'errors stdout {\n  stacktrace\n  consolidate 5m ".* i/o timeout$" warning\n  consolidate 30s "^Failed to .+" show_first\n}',
      want: {
        stacktrace: true,
        consolidate: [
          { period: 300_000, source: '.* i/o timeout$', pattern: /.* i\/o timeout$/, level: 'warning', showFirst: false },
          { period: 30_000, source: '^Failed to .+', pattern: /^Failed to .+/, level: 'error', showFirst: true },
        ],
      },
    },
    {
      input: 'errors {\n  consolidate 1h30m "(?i)^refused" show_first debug\n}',
      want: { stacktrace: false, consolidate: [{ period: 5_400_000, source: '(?i)^refused', pattern: /^refused/i, level: 'debug', showFirst: true }] },
    },
    {
      input: 'errors {\n  consolidate 500ms x info\n}',
      want: { stacktrace: false, consolidate: [{ period: 500, source: 'x', pattern: /x/, level: 'info', showFirst: false }] },
    },
    { input: 'errors stderr', err: 'Corefile:1 - Error during parsing: invalid log file: stderr' },
    { input: 'errors stdout more', err: "Corefile:1 - Error during parsing: Wrong argument count or unexpected line ending after 'more'" },
    { input: 'errors\nerrors', err: 'this plugin can only be used once per Server Block' },
    { input: 'errors {\n  stacktrace yes\n}', err: "Corefile:2 - Error during parsing: Wrong argument count or unexpected line ending after 'yes'" },
    { input: 'errors {\n  foo\n}', err: "Corefile:2 - Syntax error: Unexpected token 'foo', expecting 'Unknown field foo'" },
    { input: 'errors {\n  consolidate 1m\n}', err: "Corefile:2 - Error during parsing: Wrong argument count or unexpected line ending after '1m'" },
    { input: 'errors {\n  consolidate 1m a info show_first extra\n}', err: "Corefile:2 - Error during parsing: Wrong argument count or unexpected line ending after 'extra'" },
    { input: 'errors {\n  consolidate 1x a\n}', err: 'Corefile:2 - Error during parsing: time: unknown unit "x" in duration "1x"' },
    { input: 'errors {\n  consolidate 10 a\n}', err: 'Corefile:2 - Error during parsing: time: missing unit in duration "10"' },
    { input: 'errors {\n  consolidate 1m "("\n}', err: 'Corefile:2 - Error during parsing: invalid regular expression "(": missing closing )' },
    { input: 'errors {\n  consolidate 1m a critical\n}', err: 'Corefile:2 - Error during parsing: unknown log level argument in consolidate: critical' },
    { input: 'errors {\n  consolidate 1m a info debug\n}', err: 'Corefile:2 - Error during parsing: multiple log levels specified in consolidate' },
  ];
  it.each(tests)('$input', ({ input, want, err }) => {
    const c = new Dispenser(lex(input));
    if (err === undefined) expect(parse(c)).toEqual(want);
    else expect(() => parse(c)).toThrow(err);
  });

  it('is once per block and builds the plugin instance', () => {
    expect(plugin.once).toBe(true);
    const inst = plugin.setup(new Dispenser(lex('errors {\n stacktrace\n}')), {} as SetupContext);
    expect(inst).toBeInstanceOf(ErrorsPlugin);
    expect((inst as ErrorsPlugin).config.stacktrace).toBe(true);
    expect(inst.handler!(undefined).name).toBe('errors');
  });
});
