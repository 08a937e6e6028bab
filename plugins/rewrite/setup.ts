import type { Dispenser } from '../../src/corefile/dispenser.js';
import { CorefileError } from '../../src/corefile/types.js';
import type { PluginDefinition } from '../../src/plugin/plugin.js';
import { parseClassRule, type ClassRuleConfig } from './class.js';
import { parseEdns0Rule, type Edns0RuleConfig } from './edns0.js';
import { parseNameRule, type NameRuleConfig } from './name.js';
import { parseRcodeRule, type RcodeRuleConfig } from './rcode.js';
import { compileRule, name, Rewrite } from './rewrite.js';
import type { Mode } from './rule.js';
import { parseTtlRule, type TtlRuleConfig } from './ttl.js';
import { parseTypeRule, type TypeRuleConfig } from './type.js';

export type RuleConfig = NameRuleConfig | TypeRuleConfig | ClassRuleConfig | TtlRuleConfig | RcodeRuleConfig | Edns0RuleConfig;

export interface Config {
  /** In Corefile order. */
  readonly rules: readonly RuleConfig[];
}

/**
 * Parses every `rewrite` line of a block, one rule each:
 *
 *     rewrite [continue|stop] FIELD [ARGS...]
 *     rewrite [continue|stop] {
 *         FIELD ARGS...
 *         answer ...
 *     }
 *
 * As in CoreDNS, the tokens of a block are read as one argument list, so a block holds one rule
 * (a name rule with its answer rules); a block is only read when the line itself has fewer than
 * two arguments.
 */
export function parse(c: Dispenser): Config {
  const rules: RuleConfig[] = [];
  while (c.next()) {
    const file = c.file();
    const line = c.line();
    const args = c.remainingArgs();
    if (args.length < 2) {
      while (c.nextBlock()) args.push(c.val());
    } else if (c.nextArg()) {
      throw c.argErr();
    }
    try {
      rules.push(parseRule(args));
    } catch (e) {
      throw new CorefileError(`${file}:${line} - Error during parsing: ${(e as Error).message}`);
    }
  }
  return { rules };
}

/** One rule from its arguments (CoreDNS's newRule); throws with CoreDNS's messages. */
export function parseRule(args: readonly string[]): RuleConfig {
  if (args.length === 0) throw new Error('no rule type specified for rewrite');
  let mode: Mode = 'stop';
  let rest = args;
  const first = args[0]!.toLowerCase();
  if (first === 'stop' || first === 'continue') {
    if (args.length < 2) throw new Error(`${first} rule must begin with a rule type`);
    mode = first;
    rest = args.slice(1);
  }
  const field = rest[0]!.toLowerCase();
  const ruleArgs = rest.slice(1);
  switch (field) {
    case 'answer':
      throw new Error('response rewrites must begin with a name rule');
    case 'name':
      return parseNameRule(mode, ruleArgs);
    case 'type':
    case 'class':
      if (ruleArgs.length !== 2) throw new Error(`${field} rules must have exactly two arguments`);
      return field === 'type' ? parseTypeRule(mode, ruleArgs) : parseClassRule(mode, ruleArgs);
    case 'ttl':
      return parseTtlRule(mode, ruleArgs);
    case 'rcode':
      return parseRcodeRule(mode, ruleArgs);
    case 'edns0':
      return parseEdns0Rule(mode, ruleArgs);
    case 'cname':
      throw new Error('cname rules are not supported: they resolve the new target through an upstream resolver, which exdns does not have');
    default:
      throw new Error(`invalid rule type "${rest[0]}"`);
  }
}

export const plugin: PluginDefinition = {
  name,
  setup(c) {
    const rules = parse(c).rules.map(compileRule);
    return { handler: (next) => new Rewrite(rules, next) };
  },
};
