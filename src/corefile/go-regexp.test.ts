import { describe, expect, it } from 'vitest';
import { compileGoRegExp, MAX_PATTERN_LENGTH } from './go-regexp.js';

describe('Go regex translation', () => {
  const translated: Array<{ go: string; js: string; flags?: string; groups: number }> = [
    // Shared syntax is kept as written.
    { go: '(^(?:[^\\.]+\\.)+)svc\\.cluster\\.local', js: '(^(?:[^\\.]+\\.)+)svc\\.cluster\\.local', groups: 1 },
    { go: '(.*)\\.example\\.com', js: '(.*)\\.example\\.com', groups: 1 },
    { go: '^(\\w+)-(\\d+)\\.', js: '^(\\w+)-(\\d+)\\.', groups: 2 },
    { go: 'a{2,3}?b+?c*?d??', js: 'a{2,3}?b+?c*?d??', groups: 0 },
    // Named groups.
    { go: '(?P<svc>[a-z]+)\\.(?P<ns>[a-z]+)', js: '(?<svc>[a-z]+)\\.(?<ns>[a-z]+)', groups: 2 },
    { go: '(?<svc>[a-z]+)', js: '(?<svc>[a-z]+)', groups: 1 },
    // Leading flags become RegExp flags; later ones scoped modifiers up to the end of their group.
    { go: '(?i)Example\\.ORG', js: 'Example\\.ORG', flags: 'i', groups: 0 },
    { go: '(?is)a.b', js: 'a.b', flags: 'is', groups: 0 },
    { go: '(?-s)a', js: 'a', flags: '', groups: 0 },
    { go: 'a(?i)b', js: 'a(?i:b)', groups: 0 },
    { go: '(x(?i)y|z)w', js: '(x(?i:y)|(?i:z))w', groups: 1 },
    { go: 'a(?i)b|c', js: 'a(?i:b)|(?i:c)', groups: 0 },
    { go: '(?i:a)(?-i:b)(?s-i:c)', js: '(?i:a)(?-i:b)(?s-i:c)', groups: 0 },
    // Text anchors that ignore (?m).
    { go: '\\Afoo\\z', js: '(?<![\\s\\S])foo(?![\\s\\S])', groups: 0 },
    // Escapes Go has and JavaScript spells differently.
    { go: '\\Qa.b*\\E+', js: 'a\\.b\\*+', groups: 0 },
    { go: '\\Qa.b', js: 'a\\.b', groups: 0 },
    { go: '\\x{41}\\x42\\101\\0\\a', js: '\\x41\\x42\\x41\\x00\\x07', groups: 0 },
    { go: '[[:alpha:][:digit:]_-]', js: '[A-Za-z0-9_-]', groups: 0 },
    { go: '[]a]', js: '[\\]a]', groups: 0 },
    { go: '[^]a]', js: '[^\\]a]', groups: 0 },
    { go: '[a[b]', js: '[a\\[b]', groups: 0 },
    // A brace that is no repetition is a literal in Go.
    { go: 'a{x}', js: 'a\\{x\\}', groups: 0 },
    { go: 'a{,2}', js: 'a\\{,2\\}', groups: 0 },
  ];
  it.each(translated)('$go', ({ go, js, flags, groups }) => {
    const r = compileGoRegExp(go);
    expect(r.regexp.source).toBe(new RegExp(js).source);
    expect(r.regexp.flags).toBe(flags ?? '');
    expect(r.groups).toBe(groups);
    expect(r.source).toBe(go);
  });

  const rejected: Array<{ go: string; err: string }> = [
    { go: '(?=x)', err: 'lookahead `(?=` is not supported' },
    { go: 'a(?!x)', err: 'negative lookahead `(?!` is not supported' },
    { go: '(?<=x)a', err: 'lookbehind `(?<=` is not supported' },
    { go: '(?<!x)a', err: 'negative lookbehind `(?<!` is not supported' },
    { go: '(a)\\1', err: 'backreference `\\1` is not supported' },
    { go: '(?P<n>a)(?P=n)', err: 'backreference `(?P=` is not supported' },
    { go: '(?>a)', err: 'atomic group `(?>` is not supported' },
    { go: '(?#comment)', err: 'comment group `(?#` is not supported' },
    { go: 'a*+', err: 'possessive quantifier `*+` is not supported' },
    { go: 'a++', err: 'possessive quantifier `++` is not supported' },
    { go: 'a?+', err: 'possessive quantifier `?+` is not supported' },
    { go: 'a{2}+', err: 'possessive quantifier `{2}+` is not supported' },
    { go: '(?U)a*', err: 'ungreedy flag in `(?U)` is not supported' },
    { go: 'a(?U:b)', err: 'ungreedy flag in `(?U:` is not supported' },
    { go: '(?x)a', err: 'unknown flag `x` in `(?x)`' },
    { go: '(?)a', err: 'missing flags in `(?)`' },
    { go: '\\pL', err: 'Unicode class `\\pL` is not supported' },
    { go: '\\p{Greek}', err: 'Unicode class `\\p{Greek}` is not supported' },
    { go: '[\\PN]', err: 'Unicode class `\\PN` is not supported' },
    { go: 'a\\Z', err: '`\\Z` is not supported' },
    { go: '\\e', err: 'invalid escape `\\e`' },
    { go: '\\k<n>', err: 'invalid escape `\\k`' },
    { go: '\\u0041', err: 'invalid escape `\\u`' },
    { go: '\\cA', err: 'invalid escape `\\c`' },
    { go: '\\C', err: 'invalid escape `\\C`' },
    { go: '[\\b]', err: 'invalid escape `\\b` in character class' },
    { go: '\\xZZ', err: 'invalid escape `\\xZZ`' },
    { go: '\\x{110000}', err: 'beyond what exdns supports' },
    { go: 'a\\', err: 'trailing backslash at end of expression' },
    { go: '[[:^alpha:]]', err: 'negated POSIX class `[:^alpha:]` is not supported' },
    { go: '[[:foo:]]', err: 'invalid character class range `[:foo:]`' },
    { go: '[abc', err: 'missing closing ] in `[abc`' },
    { go: '(a', err: 'missing closing )' },
    { go: 'a)', err: 'unexpected )' },
    { go: 'a{1001}', err: 'invalid repeat count `{1001}`' },
    { go: 'a{3,2}', err: 'invalid repeat count `{3,2}`' },
    { go: '(?P<1a>x)', err: 'starts with a digit' },
    { go: '(?P<a-b>x)', err: 'invalid capture group name in `(?P<a-b>`' },
    { go: '(?P<n>a)(?P<n>b)', err: 'duplicate capture group name `n`' },
    // What JavaScript itself refuses is reported with its message.
    { go: 'a**', err: 'Nothing to repeat' },
    { go: 'x'.repeat(MAX_PATTERN_LENGTH + 1), err: `pattern is ${MAX_PATTERN_LENGTH + 1} characters long, at most ${MAX_PATTERN_LENGTH} are allowed` },
  ];
  it.each(rejected)('rejects $go', ({ go, err }) => {
    expect(() => compileGoRegExp(go)).toThrow(err);
  });

  const literals: Array<{ go: string; required: string | undefined }> = [
    { go: '(^(?:[^\\.]+\\.)+)svc\\.cluster\\.local\\.svc\\.cluster\\.local', required: 'svc.cluster.local.svc.cluster.local' },
    { go: '(.*)\\.example\\.com\\.svc\\.cluster\\.local', required: '.example.com.svc.cluster.local' },
    { go: '^(.+)\\.old\\.org\\.$', required: '.old.org.' },
    { go: 'abc?d', required: 'ab' },
    { go: 'ab*cdef', required: 'cdef' },
    { go: 'ab+c', required: 'ab' },
    { go: 'xa{0,3}yz', required: 'yz' },
    { go: 'xya{2}z', required: 'xya' },
    { go: '\\Qa.b\\E?c', required: 'a.' },
    { go: 'a\\dbc', required: 'bc' },
    { go: 'a{x}', required: 'a{x}' },
    // No literal every match contains.
    { go: 'foo|bar', required: undefined },
    { go: '(?i)foo', required: undefined },
    { go: 'x(?i)foo', required: undefined },
    { go: '(foo)', required: undefined },
    { go: '.*', required: undefined },
  ];
  it.each(literals)('required literal of $go', ({ go, required }) => {
    expect(compileGoRegExp(go).required).toBe(required);
  });

  it('exec and test agree with the RegExp, with or without the literal', () => {
    const r = compileGoRegExp('(.*)\\.example\\.com');
    expect(r.exec('www.example.com.')?.[1]).toBe('www');
    expect(r.exec('www.example.org.')).toBeNull();
    expect(r.test('a.example.com.')).toBe(true);
    expect(r.test('a.example.net.')).toBe(false);
  });

  it('matches like Go: leftmost-first, greedy, on the FQDN with its dot', () => {
    const re = compileGoRegExp('(^(?:[^\\.]+\\.)+)svc\\.cluster\\.local\\.svc\\.cluster\\.local').regexp;
    expect(re.exec('x.default.svc.cluster.local.svc.cluster.local.')?.[1]).toBe('x.default.');
    expect(compileGoRegExp('a(?i)b|c').regexp.test('C')).toBe(true);
    expect(compileGoRegExp('a(?i)b|c').regexp.test('aB')).toBe(true);
    expect(compileGoRegExp('a(?i)b|c').regexp.test('Ab')).toBe(false);
    expect(compileGoRegExp('(?m)^b\\z').regexp.test('a\nb')).toBe(true);
    expect(compileGoRegExp('(?m)\\Ab').regexp.test('a\nb')).toBe(false);
    expect(compileGoRegExp('(?s)a.b').regexp.test('a\nb')).toBe(true);
    expect(compileGoRegExp('a.b').regexp.test('a\nb')).toBe(false);
    expect(compileGoRegExp('\\Qa.b\\E').regexp.test('axb')).toBe(false);
  });
});
