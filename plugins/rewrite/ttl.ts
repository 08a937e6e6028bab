/**
 * `ttl [MATCH] NAME SECONDS|MIN-MAX`: for matching queries, every record of the reply gets its
 * TTL set to SECONDS, or clamped into MIN-MAX (either end may be left open: `30-`, `-300`).
 */
import { isMatchType, nameMatch, nameTest, type NameMatch } from './match.js';
import type { ReplyRecord } from './records.js';
import type { Effect, Mode, Question, ResponseRule, Rule } from './rule.js';

export interface TtlRuleConfig {
  readonly field: 'ttl';
  readonly mode: Mode;
  readonly name: NameMatch;
  readonly min: number;
  readonly max: number;
}

const MAX_TTL = 0xffffffff;

/** `30`, `30-300`, `30-`, `-300` (CoreDNS's isValidTTL); undefined when invalid. */
export function parseTtlRange(s: string): { min: number; max: number } | undefined {
  const num = (x: string): number | undefined => (/^\d+$/.test(x) && Number(x) <= MAX_TTL ? Number(x) : undefined);
  const parts = s.split('-');
  if (parts.length === 1) {
    const v = num(s);
    return v === undefined ? undefined : { min: v, max: v };
  }
  if (parts.length !== 2) return undefined;
  const [lo, hi] = parts as [string, string];
  if (lo === '' && hi === '') return undefined;
  const min = lo === '' ? 0 : num(lo);
  const max = hi === '' ? MAX_TTL : num(hi);
  if (min === undefined || max === undefined || min > max) return undefined;
  return { min, max };
}

/** Parses the arguments after `ttl` (CoreDNS's newTTLRule). */
export function parseTtlRule(mode: Mode, args: readonly string[]): TtlRuleConfig {
  if (args.length < 2) throw new Error('too few arguments for a ttl rule');
  if (args.length > 3) throw new Error('too many arguments for a ttl rule');
  const s = args[args.length - 1]!;
  const range = parseTtlRange(s);
  if (range === undefined) throw new Error(`invalid TTL '${s}' for a ttl rule`);
  let name: NameMatch;
  if (args.length === 2) name = nameMatch('exact', args[0]!);
  else {
    const m = args[0]!.toLowerCase();
    if (!isMatchType(m)) throw new Error('ttl rule supports only exact, prefix, suffix, substring, and regex name matching');
    name = nameMatch(m, args[1]!);
  }
  // Compiling a regex NAME is what checks it.
  nameTest(name, 'invalid regex pattern in a ttl rule');
  return { field: 'ttl', mode, name, ...range };
}

class TtlResponse implements ResponseRule {
  constructor(
    private readonly min: number,
    private readonly max: number,
  ) {}

  record(rr: ReplyRecord): void {
    if (rr.ttl < this.min) rr.ttl = this.min;
    else if (rr.ttl > this.max) rr.ttl = this.max;
  }
}

export class TtlRule implements Rule {
  readonly mode: Mode;
  private readonly test: (name: string) => boolean;
  private readonly effect: Effect;

  constructor(cfg: TtlRuleConfig) {
    this.mode = cfg.mode;
    this.test = nameTest(cfg.name, 'invalid regex pattern in a ttl rule');
    this.effect = { response: [new TtlResponse(cfg.min, cfg.max)] };
  }

  rewrite(q: Question): Effect | undefined {
    return this.test(q.name) ? this.effect : undefined;
  }
}
