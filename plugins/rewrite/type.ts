/** `type FROM TO`: a query of type FROM is passed on as type TO; the reply keeps the client's question. */
import { stringToType } from '../../src/wire/constants.js';
import type { Effect, Mode, Question, Rule } from './rule.js';

export interface TypeRuleConfig {
  readonly field: 'type';
  readonly mode: Mode;
  readonly from: number;
  readonly to: number;
}

/** Parses the two arguments after `type` (the count is checked by the caller, as in CoreDNS). */
export function parseTypeRule(mode: Mode, args: readonly string[]): TypeRuleConfig {
  const [from, to] = args.map((a) => {
    const t = stringToType(a);
    if (t === undefined) throw new Error(`invalid type "${a.toUpperCase()}"`);
    return t;
  }) as [number, number];
  return { field: 'type', mode, from, to };
}

export class TypeRule implements Rule {
  readonly mode: Mode;
  private readonly from: number;
  private readonly effect: Effect;

  constructor(cfg: TypeRuleConfig) {
    this.mode = cfg.mode;
    this.from = cfg.from;
    this.effect = { qtype: cfg.to };
  }

  rewrite(q: Question): Effect | undefined {
    return q.qtype === this.from ? this.effect : undefined;
  }
}
