/**
 * Replacement texts of regex rules: `{0}` is the whole match, `{1}`... the groups. Parsed once at
 * setup into literal pieces and group numbers, so a match is expanded in one pass.
 */
import type { GoRegExp } from '../../src/corefile/go-regexp.js';

export class Template {
  private constructor(
    readonly text: string,
    /** Literal text and group numbers, in order. */
    private readonly parts: readonly (string | number)[],
  ) {}

  /**
   * Parses `text` as the replacement for `pattern`. A reference to a group the pattern does not
   * have is CoreDNS's setup error.
   */
  static parse(text: string, pattern: GoRegExp): Template {
    const parts: (string | number)[] = [];
    let last = 0;
    for (const m of text.matchAll(/\{(\d+)\}/g)) {
      const n = Number(m[1]);
      if (n > pattern.groups) {
        throw new Error(
          `the rewrite regex pattern (${text}) uses more subexpressions than its corresponding matching regex pattern (${pattern.source})`,
        );
      }
      if (m.index > last) parts.push(text.slice(last, m.index));
      parts.push(n);
      last = m.index + m[0].length;
    }
    if (last < text.length) parts.push(text.slice(last));
    return new Template(text, parts);
  }

  /** The text with each reference replaced by what its group matched (empty when it did not take part). */
  expand(m: RegExpExecArray): string {
    let s = '';
    for (const p of this.parts) s += typeof p === 'number' ? (m[p] ?? '') : p;
    return s;
  }
}
