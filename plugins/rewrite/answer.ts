/**
 * Response rules that map names in the reply back to what the client asked: `answer auto`
 * (remap the rewritten name, or swap a suffix back) and `answer name|value FROM TO` (regex).
 * `name` rules edit owner names, `value` rules the name a record points to (see records.ts).
 */
import { fqdn, lowerAscii } from '../../src/wire/name.js';
import { recordValue, setRecordValue, type ReplyRecord } from './records.js';
import type { GoRegExp } from '../../src/corefile/go-regexp.js';
import type { ResponseRule } from './rule.js';
import { Template } from './template.js';

export interface StringRewriter {
  /** The rewritten name, or `s` itself when the rewriter does not apply. */
  rewrite(s: string): string;
}

/**
 * The rewritten query name, and names below it, back to the name the client asked for.
 * Compared without regard to case: a reply may spell the name differently from the question it
 * answers (CoreDNS compares case-sensitively and misses such names, coredns/coredns#6915).
 */
export class Remap implements StringRewriter {
  private readonly below: string;

  constructor(
    /** Lowercase FQDN the query was rewritten to. */
    private readonly from: string,
    /** Lowercase FQDN the client asked for. */
    private readonly to: string,
  ) {
    this.below = '.' + from;
  }

  rewrite(s: string): string {
    const lower = lowerAscii(s);
    if (lower === this.from) return this.to;
    if (lower.endsWith(this.below)) return s.slice(0, s.length - this.from.length) + this.to;
    return s;
  }
}

/** A suffix swapped back (answer auto of a suffix rule); not label-aware, like the rule itself. */
export class SuffixSwap implements StringRewriter {
  constructor(
    private readonly suffix: string,
    private readonly replacement: string,
  ) {}

  rewrite(s: string): string {
    if (!lowerAscii(s).endsWith(this.suffix)) return s;
    return s.slice(0, s.length - this.suffix.length) + this.replacement;
  }
}

/**
 * `answer name|value FROM TO`: when FROM matches, the name becomes TO with its `{N}` references
 * expanded (the whole name is replaced, not just the matched part) and a trailing dot added.
 */
export class RegexRewriter implements StringRewriter {
  private readonly template: Template;

  constructor(
    private readonly pattern: GoRegExp,
    to: string,
  ) {
    // CoreDNS normalises TO (lowercase, trailing dot); the dot is added after expansion so that
    // a TO ending in a group that ends in a dot does not give "..".
    this.template = Template.parse(lowerAscii(to), pattern);
  }

  rewrite(s: string): string {
    const m = this.pattern.exec(s);
    return m === null ? s : fqdn(this.template.expand(m));
  }
}

export class NameResponse implements ResponseRule {
  constructor(private readonly r: StringRewriter) {}

  record(rr: ReplyRecord): void {
    rr.name = this.r.rewrite(rr.name);
  }
}

export class ValueResponse implements ResponseRule {
  constructor(private readonly r: StringRewriter) {}

  record(rr: ReplyRecord): void {
    const v = recordValue(rr);
    if (v !== undefined) setRecordValue(rr, this.r.rewrite(v));
  }
}

/** Owner names and values at once: the two rules `answer auto` stands for, in one object. */
export class NameAndValueResponse implements ResponseRule {
  constructor(private readonly r: StringRewriter) {}

  record(rr: ReplyRecord): void {
    rr.name = this.r.rewrite(rr.name);
    const v = recordValue(rr);
    if (v !== undefined) setRecordValue(rr, this.r.rewrite(v));
  }
}
