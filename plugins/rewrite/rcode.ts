/**
 * `rcode [MATCH] NAME FROM TO`: for matching queries, a reply with rcode FROM is sent with rcode
 * TO instead, whether or not it carries records.
 */
import { rcodeByName } from '../../src/wire/constants.js';
import { isMatchType, nameMatch, nameTest, type NameMatch } from './match.js';
import type { ParsedReply } from './records.js';
import type { Effect, Mode, Question, ResponseRule, Rule } from './rule.js';

export interface RcodeRuleConfig {
  readonly field: 'rcode';
  readonly mode: Mode;
  readonly name: NameMatch;
  readonly from: number;
  readonly to: number;
}

export function parseRcode(s: string): number | undefined {
  if (/^\d+$/.test(s)) return Number(s) <= 23 ? Number(s) : undefined;
  return rcodeByName(s);
}

/** Parses the arguments after `rcode` (CoreDNS's newRCodeRule). */
export function parseRcodeRule(mode: Mode, args: readonly string[]): RcodeRuleConfig {
  if (args.length < 3) throw new Error('too few arguments for a rcode rule');
  if (args.length > 4) throw new Error('too many arguments for a rcode rule');
  const [fromText, toText] = args.slice(-2) as [string, string];
  const from = parseRcode(fromText);
  if (from === undefined) throw new Error(`invalid matching RCODE '${fromText}' for a rcode rule`);
  const to = parseRcode(toText);
  if (to === undefined) throw new Error(`invalid replacement RCODE '${toText}' for a rcode rule`);
  let name: NameMatch;
  if (args.length === 3) name = nameMatch('exact', args[0]!);
  else {
    const m = args[0]!.toLowerCase();
    if (!isMatchType(m)) throw new Error('rcode rule supports only exact, prefix, suffix, substring, and regex name matching');
    name = nameMatch(m, args[1]!);
  }
  // Compiling a regex NAME is what checks it.
  nameTest(name, 'invalid regex pattern in a rcode rule');
  return { field: 'rcode', mode, name, from, to };
}

class RcodeResponse implements ResponseRule {
  constructor(
    private readonly from: number,
    private readonly to: number,
  ) {}

  reply(r: ParsedReply): void {
    if (r.rcode === this.from) r.rcode = this.to;
  }
}

export class RcodeRule implements Rule {
  readonly mode: Mode;
  private readonly test: (name: string) => boolean;
  private readonly effect: Effect;

  constructor(cfg: RcodeRuleConfig) {
    this.mode = cfg.mode;
    this.test = nameTest(cfg.name, 'invalid regex pattern in a rcode rule');
    this.effect = { response: [new RcodeResponse(cfg.from, cfg.to)] };
  }

  rewrite(q: Question): Effect | undefined {
    return this.test(q.name) ? this.effect : undefined;
  }
}
