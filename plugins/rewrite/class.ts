/**
 * `class FROM TO`: a query of class FROM is passed on as class TO; the reply keeps the client's
 * question. As in CoreDNS, the server refuses classes other than IN before any plugin runs
 * unless a plugin of the block accepts them, so FROM is usually IN.
 */
import { stringToClass } from '../../src/wire/constants.js';
import type { Effect, Mode, Question, Rule } from './rule.js';

export interface ClassRuleConfig {
  readonly field: 'class';
  readonly mode: Mode;
  readonly from: number;
  readonly to: number;
}

/** miekg/dns's name for class 2, which exdns's class table lacks. */
const CS = 2;

/** Parses the two arguments after `class` (the count is checked by the caller, as in CoreDNS). */
export function parseClassRule(mode: Mode, args: readonly string[]): ClassRuleConfig {
  const [from, to] = args.map((a) => {
    const c = a.toUpperCase() === 'CS' ? CS : stringToClass(a);
    if (c === undefined) throw new Error(`invalid class "${a.toUpperCase()}"`);
    return c;
  }) as [number, number];
  return { field: 'class', mode, from, to };
}

export class ClassRule implements Rule {
  readonly mode: Mode;
  private readonly from: number;
  private readonly effect: Effect;

  constructor(cfg: ClassRuleConfig) {
    this.mode = cfg.mode;
    this.from = cfg.from;
    this.effect = { qclass: cfg.to };
  }

  rewrite(q: Question): Effect | undefined {
    return q.qclass === this.from ? this.effect : undefined;
  }
}
