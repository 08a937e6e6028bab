import { describe, expect, it } from 'vitest';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex as lexCorefile } from '../../src/corefile/lexer.js';
import type { Token } from '../../src/corefile/types.js';
import type { SetupContext } from '../../src/plugin/plugin.js';
import { QClass, QType } from '../../src/wire/constants.js';
import type { NameRuleConfig } from './name.js';
import { parse, plugin, type RuleConfig } from './setup.js';
import { directiveOccurrences } from '../../test/readme.js';
import { AKS, AKS_EXAMPLE, GARDENER } from './testdata/corefiles.js';

const lex = (src: string): Token[] => lexCorefile(src, 'Corefile');

function nameRule(match: NameRuleConfig['match'], from: string, to: string, more: Partial<NameRuleConfig> = {}): NameRuleConfig {
  return { field: 'name', mode: 'stop', match, from, to, auto: match === 'exact', answers: [], ...more };
}

describe('rewrite setup', () => {
  const valid: Array<{ input: string; want: RuleConfig[] }> = [
    // name: exact is the default; FROM and TO are normalised (lowercase, trailing dot).
    { input: 'rewrite name a.example.org b.example.org', want: [nameRule('exact', 'a.example.org.', 'b.example.org.')] },
    { input: 'rewrite name EXACT A.Example.ORG. b', want: [nameRule('exact', 'a.example.org.', 'b.')] },
    { input: 'rewrite continue name prefix foo bar', want: [nameRule('prefix', 'foo.', 'bar.', { mode: 'continue' })] },
    { input: 'rewrite STOP name suffix .com .org answer auto', want: [nameRule('suffix', '.com.', '.org.', { auto: true })] },
    { input: 'rewrite name substring a.b x', want: [nameRule('substring', 'a.b.', 'x.')] },
    {
      input: 'rewrite name regex (.*)\\.foo\\.org {1}.bar.org answer auto',
      want: [nameRule('regex', '(.*)\\.foo\\.org', '{1}.bar.org', { auto: true })],
    },
    {
      // `answer` may be left out after the first answer rule.
      input: 'rewrite name regex (.*)\\.foo {1}.bar answer name (.*)\\.bar {1}.foo value (.*)\\.bar {1}.foo',
      want: [
        nameRule('regex', '(.*)\\.foo', '{1}.bar', {
          answers: [
            { kind: 'name', from: '(.*)\\.bar', to: '{1}.foo' },
            { kind: 'value', from: '(.*)\\.bar', to: '{1}.foo' },
          ],
        }),
      ],
    },
    {
      input: 'rewrite name exact a.org b.org answer value (.*)\\.b\\.org {1}.a.org',
      want: [nameRule('exact', 'a.org.', 'b.org.', { answers: [{ kind: 'value', from: '(.*)\\.b\\.org', to: '{1}.a.org' }] })],
    },
    {
      input: GARDENER,
      want: [
        nameRule('regex', '(^(?:[^\\.]+\\.)+)svc\\.cluster\\.local\\.svc\\.cluster\\.local', '{1}svc.cluster.local', {
          answers: [
            { kind: 'name', from: '(^(?:[^\\.]+\\.)+)svc\\.cluster\\.local', to: '{1}svc.cluster.local.svc.cluster.local' },
            { kind: 'value', from: '(^(?:[^\\.]+\\.)+)svc\\.cluster\\.local', to: '{1}svc.cluster.local.svc.cluster.local' },
          ],
        }),
        nameRule('regex', '(.*)\\.example\\.com\\.svc\\.cluster\\.local', '{1}.example.com', {
          answers: [
            { kind: 'name', from: '(.*)\\.example\\.com', to: '{1}.example.com.svc.cluster.local' },
            { kind: 'value', from: '(.*)\\.example\\.com', to: '{1}.example.com.svc.cluster.local' },
          ],
        }),
      ],
    },
    {
      input: AKS,
      want: [
        nameRule('regex', '(.*)\\.<domain>\\.com', '{1}.default.svc.cluster.local', {
          answers: [{ kind: 'name', from: '(.*)\\.default\\.svc\\.cluster\\.local', to: '{1}.<domain>.com' }],
        }),
      ],
    },
    // type and class.
    { input: 'rewrite type ANY HINFO', want: [{ field: 'type', mode: 'stop', from: QType.ANY, to: QType.HINFO }] },
    { input: 'rewrite continue type a TYPE65534', want: [{ field: 'type', mode: 'continue', from: QType.A, to: 65534 }] },
    { input: 'rewrite class CH IN', want: [{ field: 'class', mode: 'stop', from: QClass.CH, to: QClass.IN }] },
    { input: 'rewrite class in cs', want: [{ field: 'class', mode: 'stop', from: QClass.IN, to: 2 }] },
    // ttl: a value or a range, open at either end.
    { input: 'rewrite ttl example.org 30', want: [{ field: 'ttl', mode: 'stop', name: { match: 'exact', value: 'example.org.' }, min: 30, max: 30 }] },
    {
      input: 'rewrite continue ttl suffix .example.org 30-300',
      want: [{ field: 'ttl', mode: 'continue', name: { match: 'suffix', value: '.example.org.' }, min: 30, max: 300 }],
    },
    { input: 'rewrite ttl prefix a -60', want: [{ field: 'ttl', mode: 'stop', name: { match: 'prefix', value: 'a.' }, min: 0, max: 60 }] },
    {
      input: 'rewrite ttl regex (.*)\\.example\\.org 10-',
      want: [{ field: 'ttl', mode: 'stop', name: { match: 'regex', value: '(.*)\\.example\\.org' }, min: 10, max: 0xffffffff }],
    },
    // rcode: names or numbers up to 23.
    {
      input: 'rewrite rcode example.org SERVFAIL nxdomain',
      want: [{ field: 'rcode', mode: 'stop', name: { match: 'exact', value: 'example.org.' }, from: 2, to: 3 }],
    },
    {
      input: 'rewrite rcode substring foo 3 BADCOOKIE',
      want: [{ field: 'rcode', mode: 'stop', name: { match: 'substring', value: 'foo.' }, from: 3, to: 23 }],
    },
    // edns0.
    {
      input: 'rewrite edns0 local set 0xffee 0xabcd',
      want: [{ field: 'edns0', mode: 'stop', option: 'local', action: 'set', code: 0xffee, data: '0xabcd', revert: false }],
    },
    {
      input: 'rewrite continue edns0 local APPEND 65518 abcd revert',
      want: [{ field: 'edns0', mode: 'continue', option: 'local', action: 'append', code: 65518, data: 'abcd', revert: true }],
    },
    {
      input: 'rewrite edns0 local replace 0xffee {client_ip}',
      want: [{ field: 'edns0', mode: 'stop', option: 'local', action: 'replace', code: 0xffee, data: '{client_ip}', revert: false }],
    },
    {
      input: 'rewrite edns0 local set 0xffee {test/label}',
      want: [{ field: 'edns0', mode: 'stop', option: 'local', action: 'set', code: 0xffee, data: '{test/label}', revert: false }],
    },
    { input: 'rewrite edns0 local unset 0xffee', want: [{ field: 'edns0', mode: 'stop', option: 'local', action: 'unset', code: 0xffee, data: '', revert: false }] },
    { input: 'rewrite edns0 nsid set', want: [{ field: 'edns0', mode: 'stop', option: 'nsid', action: 'set', revert: false }] },
    { input: 'rewrite edns0 nsid unset', want: [{ field: 'edns0', mode: 'stop', option: 'nsid', action: 'unset', revert: false }] },
    {
      input: 'rewrite edns0 subnet set 24 56',
      want: [{ field: 'edns0', mode: 'stop', option: 'subnet', action: 'set', v4: 24, v6: 56, revert: false }],
    },
    { input: 'rewrite edns0 subnet unset', want: [{ field: 'edns0', mode: 'stop', option: 'subnet', action: 'unset', v4: 0, v6: 0, revert: false }] },
    // Several lines are several rules, in Corefile order.
    {
      input: 'rewrite continue type AAAA A\nrewrite name a.org b.org',
      want: [{ field: 'type', mode: 'continue', from: QType.AAAA, to: QType.A }, nameRule('exact', 'a.org.', 'b.org.')],
    },
    // A block with a name and type on its first line is flattened just the same.
    { input: 'rewrite {\n  name a.org\n  b.org\n}', want: [nameRule('exact', 'a.org.', 'b.org.')] },
  ];
  it.each(valid)('$input', ({ input, want }) => {
    expect(parse(new Dispenser(lex(input))).rules).toEqual(want);
  });

  const E = 'Corefile:1 - Error during parsing: ';
  const invalid: Array<{ input: string; err: string }> = [
    { input: 'rewrite', err: `${E}no rule type specified for rewrite` },
    { input: 'rewrite stop', err: `${E}stop rule must begin with a rule type` },
    { input: 'rewrite continue {\n}', err: `${E}continue rule must begin with a rule type` },
    { input: 'rewrite foo a b', err: `${E}invalid rule type "foo"` },
    { input: 'rewrite stop foo a b', err: `${E}invalid rule type "foo"` },
    { input: 'rewrite answer name a b', err: `${E}response rewrites must begin with a name rule` },
    { input: 'rewrite cname exact a.org b.org', err: `${E}cname rules are not supported` },
    { input: 'rewrite name a.org b.org {\n}', err: "Corefile:1 - Error during parsing: Unexpected token '{', expecting argument" },
    // name
    { input: 'rewrite name a', err: `${E}too few arguments for a name rule` },
    { input: 'rewrite name wrong a b', err: `${E}name rule supports only exact, prefix, suffix, substring, and regex name matching, received: wrong` },
    { input: 'rewrite name regex (a b', err: `${E}invalid regex matching pattern: (a: missing closing )` },
    { input: 'rewrite name regex (?=a)b c', err: `${E}invalid regex matching pattern: (?=a)b: lookahead \`(?=\` is not supported` },
    { input: 'rewrite name regex (?P<x>a)\\k<x> c', err: `${E}invalid regex matching pattern: (?P<x>a)\\k<x>: invalid escape \`\\k\`` },
    { input: 'rewrite name regex a++ c', err: `${E}invalid regex matching pattern: a++: possessive quantifier \`++\` is not supported` },
    {
      input: 'rewrite name regex a(b) {2}.org',
      err: `${E}the rewrite regex pattern ({2}.org) uses more subexpressions than its corresponding matching regex pattern (a(b))`,
    },
    { input: 'rewrite name exact a b answer', err: `${E}invalid arguments for exact rule` },
    // Answer rules need the match type written out (CoreDNS reads the first argument as one).
    { input: 'rewrite name a.org b.org answer auto', err: `${E}name rule supports only exact, prefix, suffix, substring, and regex name matching, received: a.org` },
    { input: 'rewrite name exact a b foo bar', err: `${E}exceeded the number of arguments for a non-answer rule argument for exact rule` },
    { input: 'rewrite name regex (.*) {1} answer foo', err: `${E}invalid type "foo" for answer rule for regex rule` },
    { input: 'rewrite name regex (.*) {1} answer name (.*)', err: `${E}name answer rule for regex rule: 2 arguments required` },
    { input: 'rewrite name regex (.*) {1} answer name (.*) {1} answer', err: `${E}type missing for answer rule for regex rule` },
    {
      input: 'rewrite name regex (.*) {1} answer name (.*) {2}',
      err: `${E}name answer rule for regex rule: the rewrite regex pattern ({2}) uses more subexpressions than its corresponding matching regex pattern ((.*))`,
    },
    {
      input: 'rewrite name regex (.*) {1} answer value (?<=x)y {0}',
      err: `${E}value answer rule for regex rule: invalid regex matching pattern: (?<=x)y: lookbehind \`(?<=\` is not supported`,
    },
    {
      input: 'rewrite name regex (.*) {1} answer auto answer name (.*) {1}',
      err: `${E}auto name answer rule cannot be combined with explicit name answer rules`,
    },
    // type and class
    { input: 'rewrite type A', err: `${E}type rules must have exactly two arguments` },
    { input: 'rewrite type A AAAA MX', err: `${E}type rules must have exactly two arguments` },
    { input: 'rewrite type A xyz', err: `${E}invalid type "XYZ"` },
    { input: 'rewrite class IN', err: `${E}class rules must have exactly two arguments` },
    { input: 'rewrite class IN foo', err: `${E}invalid class "FOO"` },
    // ttl
    { input: 'rewrite ttl a', err: `${E}too few arguments for a ttl rule` },
    { input: 'rewrite ttl exact a 30 40', err: `${E}too many arguments for a ttl rule` },
    { input: 'rewrite ttl a -', err: `${E}invalid TTL '-' for a ttl rule` },
    { input: 'rewrite ttl a 30-10', err: `${E}invalid TTL '30-10' for a ttl rule` },
    { input: 'rewrite ttl a 1-2-3', err: `${E}invalid TTL '1-2-3' for a ttl rule` },
    { input: 'rewrite ttl a 4294967296', err: `${E}invalid TTL '4294967296' for a ttl rule` },
    { input: 'rewrite ttl a ten', err: `${E}invalid TTL 'ten' for a ttl rule` },
    { input: 'rewrite ttl wrong a 30', err: `${E}ttl rule supports only exact, prefix, suffix, substring, and regex name matching` },
    { input: 'rewrite ttl regex (a 30', err: `${E}invalid regex pattern in a ttl rule: (a: missing closing )` },
    // rcode
    { input: 'rewrite rcode a NXDOMAIN', err: `${E}too few arguments for a rcode rule` },
    { input: 'rewrite rcode exact a NXDOMAIN NOERROR x', err: `${E}too many arguments for a rcode rule` },
    { input: 'rewrite rcode a FOO NOERROR', err: `${E}invalid matching RCODE 'FOO' for a rcode rule` },
    { input: 'rewrite rcode a NXDOMAIN 24', err: `${E}invalid replacement RCODE '24' for a rcode rule` },
    { input: 'rewrite rcode wrong a 3 0', err: `${E}rcode rule supports only exact, prefix, suffix, substring, and regex name matching` },
    { input: 'rewrite rcode regex a\\1 3 0', err: `${E}invalid regex pattern in a rcode rule: a\\1: backreference \`\\1\` is not supported` },
    // edns0
    { input: 'rewrite edns0 local', err: `${E}too few arguments for an EDNS0 rule` },
    { input: 'rewrite edns0 local foo 0xffee abc', err: `${E}invalid action: "foo"` },
    { input: 'rewrite edns0 foo set', err: `${E}invalid rule type "foo"` },
    { input: 'rewrite edns0 local set 0xffee', err: `${E}EDNS0 local rules require three arguments` },
    { input: 'rewrite edns0 local set 0xffee a b', err: `${E}EDNS0 local rules require three arguments` },
    { input: 'rewrite edns0 local set 0x1ffff abc', err: `${E}invalid EDNS0 local option code "0x1ffff"` },
    { input: 'rewrite edns0 local set code abc', err: `${E}invalid EDNS0 local option code "code"` },
    { input: 'rewrite edns0 local set 0xffee 0xabc', err: `${E}invalid hex data "0xabc" for an EDNS0 local rule` },
    { input: 'rewrite edns0 local set 0xffee {foo}', err: `${E}unsupported variable name "{foo}"` },
    { input: 'rewrite edns0 local unset', err: `${E}local unset action requires exactly two arguments` },
    { input: 'rewrite edns0 nsid set x', err: `${E}EDNS0 NSID rules do not accept args` },
    { input: 'rewrite edns0 nsid unset x', err: `${E}nsid unset action requires exactly one argument` },
    { input: 'rewrite edns0 subnet set 24', err: `${E}EDNS0 subnet rules require three arguments` },
    { input: 'rewrite edns0 subnet set 33 56', err: `${E}invalid IPv4 bit mask length 33` },
    { input: 'rewrite edns0 subnet set 24 129', err: `${E}invalid IPv6 bit mask length 129` },
    { input: 'rewrite edns0 subnet set x 56', err: `${E}invalid IPv4 bit mask length "x"` },
    { input: 'rewrite edns0 subnet unset 24', err: `${E}subnet unset action requires exactly one argument` },
  ];
  it.each(invalid)('$input', ({ input, err }) => {
    expect(() => parse(new Dispenser(lex(input)))).toThrow(err);
  });

  it('reports the line of the rewrite directive, also for a block rule', () => {
    const input = 'rewrite name a.org b.org\nrewrite stop {\n  name regex (a b\n}';
    expect(() => parse(new Dispenser(lex(input)))).toThrow('Corefile:2 - Error during parsing: invalid regex matching pattern: (a: missing closing )');
  });

  it("README's search-path examples are Gardener's and AKS's rules", () => {
    const examples = directiveOccurrences(new URL('./README.md', import.meta.url), 'rewrite');
    const rulesOf = (tokens: Token[]) => parse(new Dispenser(tokens)).rules;
    const [gardener, aks] = examples.filter((occ) => occ.some((tokens) => tokens.some((t) => t.text === 'regex')));
    expect(rulesOf(gardener!.flat())).toEqual(rulesOf(lex(GARDENER)));
    expect(rulesOf(aks!.flat())).toEqual(rulesOf(lex(AKS_EXAMPLE)));
  });

  it('builds a handler named rewrite', () => {
    const inst = plugin.setup(new Dispenser(lex(GARDENER)), {} as SetupContext);
    expect(plugin.name).toBe('rewrite');
    expect(plugin.once).toBeUndefined();
    expect(inst.handler!(undefined).name).toBe('rewrite');
  });
});
