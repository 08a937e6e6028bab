import { describe, expect, it } from 'vitest';
import { lex } from './lexer.js';

type Tk = [text: string, line: number, quoted?: boolean, lineBreaks?: number];

function simplify(input: string): Tk[] {
  return lex(input, 'Corefile').map((t) => {
    const out: Tk = [t.text, t.line];
    if (t.quoted || t.lineBreaks) out.push(t.quoted);
    if (t.lineBreaks) out.push(t.lineBreaks);
    return out;
  });
}

describe('lex', () => {
  const cases: { name: string; input: string; want: Tk[] }[] = [
    { name: 'empty', input: '', want: [] },
    { name: 'newline only', input: '\n', want: [] },
    { name: 'spaces and tabs', input: ' \t \n\t', want: [] },
    { name: 'words and lines', input: 'a b c\nd e', want: [['a', 1], ['b', 1], ['c', 1], ['d', 2], ['e', 2]] },
    { name: 'server block', input: 'example.org {\n    whoami\n}\n', want: [['example.org', 1], ['{', 1], ['whoami', 2], ['}', 3]] },
    { name: 'brace glued to a word stays in the word', input: 'example.org{\n}', want: [['example.org{', 1], ['}', 2]] },
    { name: 'CRLF line endings', input: 'a b\r\nc\r\n', want: [['a', 1], ['b', 1], ['c', 2]] },
    { name: 'a lone \\r neither separates nor belongs', input: 'foo\rbar baz', want: [['foobar', 1], ['baz', 1]] },
    { name: 'BOM dropped', input: '\ufeffexample.org {\n}', want: [['example.org', 1], ['{', 1], ['}', 2]] },
    { name: 'BOM only at the start', input: 'a \ufeff', want: [['a', 1], ['\ufeff', 1]] },
    { name: 'unicode whitespace separates', input: 'a\u00a0b\u2003c\u3000d\u0085e', want: [['a', 1], ['b', 1], ['c', 1], ['d', 1], ['e', 1]] },
    { name: 'vertical tab and form feed separate', input: 'a\vb\fc', want: [['a', 1], ['b', 1], ['c', 1]] },
    { name: 'comment line', input: '# comment\na', want: [['a', 2]] },
    { name: 'comment after tokens', input: 'a b # c d\ne', want: [['a', 1], ['b', 1], ['e', 2]] },
    { name: 'comment mid-word', input: 'foo#bar baz\nqux', want: [['foo', 1], ['qux', 2]] },
    { name: 'comment mid-word at EOF', input: 'foo#bar', want: [['foo', 1]] },
    { name: 'comment inside quotes is text', input: '"a # b" c', want: [['a # b', 1, true], ['c', 1]] },
    { name: 'quoted with spaces', input: 'log "a b c"', want: [['log', 1], ['a b c', 1, true]] },
    { name: 'empty quoted token', input: 'a "" b', want: [['a', 1], ['', 1, true], ['b', 1]] },
    { name: 'escaped quote', input: '"say \\"hi\\""', want: [['say "hi"', 1, true]] },
    { name: 'other backslashes kept', input: '"^read udp .* i/o timeout\\.$"', want: [['^read udp .* i/o timeout\\.$', 1, true]] },
    { name: 'double backslash kept as two', input: '"a\\\\b"', want: [['a\\\\b', 1, true]] },
    { name: 'unquoted backslashes kept', input: 'a\\"b c\\ d', want: [['a\\"b', 1], ['c\\', 1], ['d', 1]] },
    { name: 'quote inside a word is literal', input: 'foo"bar baz"', want: [['foo"bar', 1], ['baz"', 1]] },
    { name: 'closing quote ends the token', input: '"foo"bar', want: [['foo', 1, true], ['bar', 1]] },
    { name: 'quoted token spans lines', input: 'a "x\ny\nz" b\nc', want: [['a', 1], ['x\ny\nz', 1, true, 2], ['b', 3], ['c', 4]] },
    { name: 'quoted braces are quoted', input: '"{" "}"', want: [['{', 1, true], ['}', 1, true]] },
    { name: 'quoted \\r kept', input: '"a\r\nb"', want: [['a\r\nb', 1, true, 1]] },
    { name: 'unterminated quote keeps its text', input: 'a "bc', want: [['a', 1], ['bc', 1, true]] },
    { name: 'unterminated empty quote dropped', input: 'a "', want: [['a', 1]] },
    { name: 'env reference is one token', input: 'prometheus localhost:{$PORT}', want: [['prometheus', 1], ['localhost:{$PORT}', 1]] },
    { name: 'blank lines count', input: '\n\n\na\n\n b', want: [['a', 4], ['b', 6]] },
  ];
  it.each(cases)('$name', ({ input, want }) => {
    expect(simplify(input)).toEqual(want);
  });

  it('records the file on every token', () => {
    const toks = lex('a\n"b"', '/etc/coredns/Corefile');
    expect(toks).toEqual([
      { text: 'a', file: '/etc/coredns/Corefile', line: 1, quoted: false, lineBreaks: 0 },
      { text: 'b', file: '/etc/coredns/Corefile', line: 2, quoted: true, lineBreaks: 0 },
    ]);
  });
});
