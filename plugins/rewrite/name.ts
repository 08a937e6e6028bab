/**
 * `name [MATCH] FROM TO [answer auto|name FROM TO|value FROM TO ...]`: rewrites the query name.
 *
 *     exact      FROM equals the name            -> TO
 *     prefix     name starts with FROM           -> TO + rest
 *     suffix     name ends with FROM             -> rest + TO
 *     substring  name contains FROM              -> every occurrence replaced by TO
 *     regex      FROM (Go regex) matches the name -> TO with {N} expanded, lowercased, trailing dot
 *
 * The reply gets the client's question back in any case; the answer rules map names in it back
 * too. An exact rule always maps its answers back (as if `answer auto` were given).
 */
import { normalizeName } from '../../src/wire/name.js';
import { NameAndValueResponse, NameResponse, RegexRewriter, Remap, SuffixSwap, ValueResponse } from './answer.js';
import { compilePattern, isMatchType, nameMatch, type MatchType } from './match.js';
import type { GoRegExp } from '../../src/corefile/go-regexp.js';
import type { Effect, Mode, Question, ResponseRule, Rule } from './rule.js';
import { Template } from './template.js';

/** `answer name FROM TO` (owner names) or `answer value FROM TO` (record values), FROM a Go regex. */
export interface AnswerRule {
  readonly kind: 'name' | 'value';
  readonly from: string;
  readonly to: string;
}

export interface NameRuleConfig {
  readonly field: 'name';
  readonly mode: Mode;
  readonly match: MatchType;
  /** Normalised, or the regex as written. */
  readonly from: string;
  /** Normalised, or the regex rule's replacement as written. */
  readonly to: string;
  /** Map the rewritten name back in owner names and values (`answer auto`; always on for exact). */
  readonly auto: boolean;
  readonly answers: readonly AnswerRule[];
}

/** Parses the arguments after `name` (CoreDNS's newNameRule). */
export function parseNameRule(mode: Mode, args: readonly string[]): NameRuleConfig {
  if (args.length < 2) throw new Error('too few arguments for a name rule');
  let match: string;
  let from: string;
  let to: string;
  if (args.length === 2) {
    match = 'exact';
    [from, to] = args as [string, string];
  } else {
    match = args[0]!.toLowerCase();
    from = args[1]!;
    to = args[2]!;
  }
  if (!isMatchType(match)) {
    throw new Error(`name rule supports only exact, prefix, suffix, substring, and regex name matching, received: ${match}`);
  }
  const answers = args.length > 3 ? parseAnswerRules(match, args.slice(3)) : { auto: false, rules: [] };
  const cfg: NameRuleConfig = {
    field: 'name',
    mode,
    match,
    from: nameMatch(match, from).value,
    to: match === 'regex' ? to : normalizeName(to),
    auto: answers.auto || match === 'exact',
    answers: answers.rules,
  };
  // Compiling now is what checks the regexes; the rule compiles them again when built.
  new NameRule(cfg);
  return cfg;
}

/** `answer auto`, `answer name FROM TO`, `answer value FROM TO`; `answer` may be left out after the first. */
function parseAnswerRules(match: string, args: readonly string[]): { auto: boolean; rules: AnswerRule[] } {
  const rules: AnswerRule[] = [];
  let auto = false;
  let named = 0;
  let last = '';
  let i = 0;
  if (args.length < 2) throw new Error(`invalid arguments for ${match} rule`);
  while (i < args.length) {
    if (last === '' && args[i] !== 'answer') {
      throw new Error(`exceeded the number of arguments for a non-answer rule argument for ${match} rule`);
    }
    if (args[i] === 'answer') i++;
    if (i === args.length) throw new Error(`type missing for answer rule for ${match} rule`);
    last = args[i++]!;
    switch (last) {
      case 'auto':
        auto = true;
        break;
      case 'name':
      case 'value': {
        if (args.length - i < 2) throw new Error(`${last} answer rule for ${match} rule: 2 arguments required`);
        const rule: AnswerRule = { kind: last, from: args[i]!, to: args[i + 1]! };
        try {
          new RegexRewriter(compilePattern(rule.from, 'invalid regex matching pattern'), rule.to);
        } catch (e) {
          throw new Error(`${last} answer rule for ${match} rule: ${(e as Error).message}`);
        }
        rules.push(rule);
        i += 2;
        if (last === 'name') named++;
        break;
      }
      default:
        throw new Error(`invalid type "${last}" for answer rule for ${match} rule`);
    }
  }
  if (auto && named > 0) throw new Error('auto name answer rule cannot be combined with explicit name answer rules');
  return { auto, rules };
}

export class NameRule implements Rule {
  readonly mode: Mode;
  private readonly rewriteName: (name: string) => string | undefined;
  private readonly explicit: readonly ResponseRule[];
  /** The response rules when they do not depend on the query (no auto, or a suffix swap). */
  private readonly fixed: readonly ResponseRule[] | undefined;

  constructor(cfg: NameRuleConfig) {
    this.mode = cfg.mode;
    this.rewriteName = rewriter(cfg);
    this.explicit = cfg.answers.map((a) => {
      const r = new RegexRewriter(compilePattern(a.from, 'invalid regex matching pattern'), a.to);
      return a.kind === 'name' ? new NameResponse(r) : new ValueResponse(r);
    });
    if (!cfg.auto) this.fixed = this.explicit;
    else if (cfg.match === 'suffix') this.fixed = [new NameAndValueResponse(new SuffixSwap(cfg.to, cfg.from)), ...this.explicit];
  }

  rewrite(q: Question): Effect | undefined {
    const from = q.name;
    const to = this.rewriteName(from);
    if (to === undefined) return undefined;
    return { name: to, response: this.fixed ?? [new NameAndValueResponse(new Remap(to, from)), ...this.explicit] };
  }
}

/** The name a query is rewritten to, or undefined when the rule does not match it. */
function rewriter(cfg: NameRuleConfig): (name: string) => string | undefined {
  const { from, to } = cfg;
  switch (cfg.match) {
    case 'exact':
      return (name) => (name === from ? to : undefined);
    case 'prefix':
      return (name) => (name.startsWith(from) ? to + name.slice(from.length) : undefined);
    case 'suffix':
      return (name) => (name.endsWith(from) ? name.slice(0, name.length - from.length) + to : undefined);
    case 'substring':
      return (name) => (name.includes(from) ? name.replaceAll(from, to) : undefined);
    case 'regex': {
      const pattern: GoRegExp = compilePattern(from, 'invalid regex matching pattern');
      const template = Template.parse(to, pattern);
      return (name) => {
        const m = pattern.exec(name);
        return m === null ? undefined : normalizeName(template.expand(m));
      };
    }
  }
}
