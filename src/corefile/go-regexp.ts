/**
 * Go (RE2) regular expressions in JavaScript, for Corefile arguments (rewrite rules, errors'
 * consolidate patterns). CoreDNS compiles them with Go's regexp package, so a Corefile written
 * for CoreDNS must mean the same here: syntax the two
 * share is kept, Go-only syntax is translated (`(?P<name>...)`, flag groups, `\A`, `\z`, `\Q...\E`,
 * octal and `\x{...}` escapes, POSIX classes), and whatever Go refuses or JavaScript would read
 * differently (lookarounds, backreferences, possessive quantifiers, Unicode classes, unknown
 * escapes) is refused at setup with the offending token named.
 *
 * Known remaining difference: JavaScript resets the captures of a repeated group on every
 * iteration (`(?:(a)|b)+` on "ab" leaves group 1 unset; Go keeps "a").
 */

export class GoRegExpError extends Error {}

export class GoRegExp {
  constructor(
    /** The pattern as written in the Corefile. */
    readonly source: string,
    readonly regexp: RegExp,
    /** Number of capture groups (Go's NumSubexp). */
    readonly groups: number,
    /** A literal every match contains, when the pattern has one (none for case-insensitive patterns). */
    readonly required: string | undefined,
  ) {}

  /**
   * regexp.exec, skipped when the text lacks the required literal: a backtracking engine tries
   * every start position, so `(.*)\.example\.com` costs time quadratic in the name on the many
   * names it does not match; `includes` is linear.
   */
  exec(s: string): RegExpExecArray | null {
    if (this.required !== undefined && !s.includes(this.required)) return null;
    return this.regexp.exec(s);
  }

  test(s: string): boolean {
    if (this.required !== undefined && !s.includes(this.required)) return false;
    return this.regexp.test(s);
  }
}

/** CoreDNS refuses longer rewrite patterns; no Corefile pattern needs more. */
export const MAX_PATTERN_LENGTH = 10_000;
/** Go's limit on `{n,m}` counts. */
const MAX_REPEAT = 1000;

export function compileGoRegExp(source: string): GoRegExp {
  if (source.length > MAX_PATTERN_LENGTH) {
    throw new GoRegExpError(`pattern is ${source.length} characters long, at most ${MAX_PATTERN_LENGTH} are allowed`);
  }
  const { pattern, flags, groups, required } = new Translator(source).run();
  let regexp: RegExp;
  try {
    regexp = new RegExp(pattern, flags);
  } catch (e) {
    throw new GoRegExpError((e as Error).message);
  }
  return new GoRegExp(source, regexp, groups, required);
}

/** ASCII ranges of Go's `[[:name:]]` classes, as JavaScript class contents. */
const POSIX_CLASSES: ReadonlyMap<string, string> = new Map([
  ['alnum', '0-9A-Za-z'],
  ['alpha', 'A-Za-z'],
  ['ascii', '\\x00-\\x7F'],
  ['blank', '\\t '],
  ['cntrl', '\\x00-\\x1F\\x7F'],
  ['digit', '0-9'],
  ['graph', '\\x21-\\x7E'],
  ['lower', 'a-z'],
  ['print', '\\x20-\\x7E'],
  ['punct', '\\x21-\\x2F\\x3A-\\x40\\x5B-\\x60\\x7B-\\x7E'],
  ['space', '\\t\\n\\v\\f\\r '],
  ['upper', 'A-Z'],
  ['word', '0-9A-Za-z_'],
  ['xdigit', '0-9A-Fa-f'],
]);

/** Escapes both dialects read alike. */
const SHARED_ESCAPES = new Set(['d', 'D', 's', 'S', 'w', 'W', 'f', 'n', 'r', 't', 'v']);

const isOctal = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '7';
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9A-Fa-f]$/.test(c);
const isAlnum = (c: string): boolean => /^[0-9A-Za-z]$/.test(c);

/** A code point as a JavaScript escape that works without the `u` flag. */
function codeEscape(cp: number): string {
  return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
}

function escapeLiteral(c: string): string {
  return /[\\^$.|?*+()[\]{}/-]/.test(c) ? `\\${c}` : c;
}

/**
 * Inline flags in the middle of a pattern, `a(?i)b`, apply up to the end of the enclosing group.
 * JavaScript has only scoped modifiers, `(?i:b)`, so each is opened as one and closed (and
 * re-opened after every `|`) where Go's flag scope ends.
 */
interface Frame {
  readonly modifiers: string[];
}

interface Translation {
  pattern: string;
  flags: string;
  groups: number;
  required: string | undefined;
}

class Translator {
  private i = 0;
  private out = '';
  private groups = 0;
  private flags = '';
  private readonly names = new Set<string>();
  private readonly frames: Frame[] = [{ modifiers: [] }];
  // Literal runs outside any group, for GoRegExp.required: a top-level alternation or a
  // case-insensitive flag anywhere means there is no literal every match must contain.
  private literalRun = '';
  private readonly runs: string[] = [];
  private lastWasLiteral = false;
  private noRequired = false;

  constructor(private readonly src: string) {}

  run(): Translation {
    this.leadingFlags();
    while (this.i < this.src.length) this.step();
    if (this.frames.length > 1) throw new GoRegExpError('missing closing )');
    this.closeModifiers(this.frames[0]!);
    this.endRun();
    let required: string | undefined;
    if (!this.noRequired) for (const r of this.runs) if (r.length > (required?.length ?? 0)) required = r;
    return { pattern: this.out, flags: this.flags, groups: this.groups, required };
  }

  /** A literal character matched at this point of every match (when outside any group). */
  private literal(c: string): void {
    if (this.frames.length > 1) return;
    this.literalRun += c;
    this.lastWasLiteral = true;
  }

  private endRun(): void {
    if (this.literalRun !== '') this.runs.push(this.literalRun);
    this.literalRun = '';
    this.lastWasLiteral = false;
  }

  private fail(msg: string): never {
    throw new GoRegExpError(msg);
  }

  /** `(?is)` at the very start sets flags for the whole pattern: those become RegExp flags. */
  private leadingFlags(): void {
    const m = /^\(\?([A-Za-z]*)(?:-([A-Za-z]*))?\)/.exec(this.src);
    if (m === null) return;
    if (m[1] === '' && (m[2] ?? '') === '') this.fail(`missing flags in \`${m[0]}\``);
    const on = this.checkFlags(m[1]!, m[0]);
    this.checkFlags(m[2] ?? '', m[0]);
    this.flags = on;
    if (on.includes('i')) this.noRequired = true;
    this.i = m[0].length;
  }

  /** Validates Go flags (i, m, s; U has no JavaScript counterpart); returns them deduplicated. */
  private checkFlags(flags: string, token: string): string {
    let out = '';
    for (const f of flags) {
      if (f === 'U') this.fail(`ungreedy flag in \`${token}\` is not supported`);
      if (f !== 'i' && f !== 'm' && f !== 's') this.fail(`unknown flag \`${f}\` in \`${token}\``);
      if (!out.includes(f)) out += f;
    }
    return out;
  }

  private get frame(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  private closeModifiers(f: Frame): void {
    this.out += ')'.repeat(f.modifiers.length);
  }

  private step(): void {
    const c = this.src[this.i]!;
    switch (c) {
      case '\\':
        this.escape();
        return;
      case '[':
        this.endRun();
        this.charClass();
        return;
      case '(':
        this.endRun();
        this.group();
        return;
      case ')': {
        if (this.frames.length === 1) this.fail('unexpected )');
        this.endRun();
        this.closeModifiers(this.frames.pop()!);
        this.out += ')';
        this.i++;
        return;
      }
      case '|': {
        if (this.frames.length === 1) this.noRequired = true;
        const f = this.frame;
        this.closeModifiers(f);
        this.out += '|' + f.modifiers.join('');
        this.i++;
        return;
      }
      case '*':
      case '+':
      case '?':
        this.i++;
        this.quantifier(c);
        return;
      case '{': {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
        if (m === null) {
          // Not a repeat: Go reads a literal brace.
          this.out += '\\{';
          this.literal('{');
          this.i++;
          return;
        }
        const min = Number(m[1]);
        const max = m[2] === undefined ? min : m[3] === '' ? undefined : Number(m[3]);
        if (min > MAX_REPEAT || (max !== undefined && (max > MAX_REPEAT || max < min))) this.fail(`invalid repeat count \`${m[0]}\``);
        this.i += m[0].length;
        this.quantifier(m[0]);
        return;
      }
      case '}':
        this.out += '\\}';
        this.literal('}');
        this.i++;
        return;
      case '.':
      case '^':
      case '$':
        this.endRun();
        this.out += c;
        this.i++;
        return;
      default:
        this.out += c;
        this.literal(c);
        this.i++;
    }
  }

  /** Emits a quantifier just read, with its lazy `?`; possessive forms do not exist in Go. */
  private quantifier(q: string): void {
    if (this.src[this.i] === '+') this.fail(`possessive quantifier \`${q}+\` is not supported`);
    // The literal just read is repeated, or optional: the run of required literals ends here,
    // without it when it may be absent.
    if (this.lastWasLiteral && (q === '*' || q === '?' || q.startsWith('{0'))) this.literalRun = this.literalRun.slice(0, -1);
    this.endRun();
    this.out += q;
    if (this.src[this.i] === '?') {
      this.out += '?';
      this.i++;
    }
  }

  private group(): void {
    const rest = this.src.slice(this.i);
    if (!rest.startsWith('(?')) {
      this.groups++;
      this.out += '(';
      this.i++;
      this.frames.push({ modifiers: [] });
      return;
    }
    const named = /^\(\?P?<([^>]*)>/.exec(rest);
    if (named !== null && !rest.startsWith('(?<=') && !rest.startsWith('(?<!')) {
      this.namedGroup(named[1]!, named[0]);
      return;
    }
    for (const [prefix, what] of [
      ['(?=', 'lookahead'],
      ['(?!', 'negative lookahead'],
      ['(?<=', 'lookbehind'],
      ['(?<!', 'negative lookbehind'],
      ['(?P=', 'backreference'],
      ['(?P>', 'recursion'],
      ['(?>', 'atomic group'],
      ['(?#', 'comment group'],
      ['(?|', 'branch reset group'],
      ['(?(', 'conditional group'],
    ] as const) {
      if (rest.startsWith(prefix)) this.fail(`${what} \`${prefix}\` is not supported`);
    }
    if (rest.startsWith('(?:')) {
      this.out += '(?:';
      this.i += 3;
      this.frames.push({ modifiers: [] });
      return;
    }
    const flags = /^\(\?([A-Za-z]*)(?:-([A-Za-z]*))?([:)])/.exec(rest);
    if (flags === null) this.fail(`unsupported group syntax \`${rest.slice(0, 3)}\``);
    if (flags[1] === '' && (flags[2] ?? '') === '') this.fail(`missing flags in \`${flags[0]}\``);
    const on = this.checkFlags(flags[1]!, flags[0]);
    const off = this.checkFlags(flags[2] ?? '', flags[0]);
    if (on.includes('i')) this.noRequired = true;
    const opener = `(?${on}${off === '' ? '' : '-' + off}:`;
    this.i += flags[0].length;
    if (flags[3] === ':') {
      this.out += on === '' && off === '' ? '(?:' : opener;
      this.frames.push({ modifiers: [] });
      return;
    }
    if (on === '' && off === '') return;
    this.out += opener;
    this.frame.modifiers.push(opener);
  }

  private namedGroup(name: string, token: string): void {
    if (!/^[A-Za-z0-9_]+$/.test(name)) this.fail(`invalid capture group name in \`${token}\``);
    if (/^[0-9]/.test(name)) this.fail(`capture group name in \`${token}\` starts with a digit, which JavaScript does not allow`);
    if (this.names.has(name)) this.fail(`duplicate capture group name \`${name}\``);
    this.names.add(name);
    this.groups++;
    this.out += `(?<${name}>`;
    this.i += token.length;
    this.frames.push({ modifiers: [] });
  }

  /** An escape outside a character class. */
  private escape(): void {
    const c = this.src[this.i + 1];
    if (c === undefined) this.fail('trailing backslash at end of expression');
    if (c.charCodeAt(0) < 0x80 && !isAlnum(c)) {
      this.out += '\\' + c;
      this.literal(c);
      this.i += 2;
      return;
    }
    this.endRun();
    switch (c) {
      case 'A':
        // Beginning of text whatever the m flag says.
        this.out += '(?<![\\s\\S])';
        this.i += 2;
        return;
      case 'z':
        this.out += '(?![\\s\\S])';
        this.i += 2;
        return;
      case 'b':
      case 'B':
        this.out += '\\' + c;
        this.i += 2;
        return;
      case 'Q': {
        const end = this.src.indexOf('\\E', this.i + 2);
        const text = this.src.slice(this.i + 2, end < 0 ? undefined : end);
        for (const ch of text) {
          this.out += escapeLiteral(ch);
          this.literal(ch);
        }
        this.i = end < 0 ? this.src.length : end + 2;
        return;
      }
      case 'Z':
        this.fail('`\\Z` is not supported (Go has `\\z` for the end of text)');
    }
    this.out += this.commonEscape('outside');
  }

  /**
   * Escapes valid both inside and outside classes; returns their JavaScript form and advances.
   * Backreferences and letters Go does not define are errors (JavaScript would silently read
   * `\1` as a backreference and `\q` as `q`).
   */
  private commonEscape(where: 'inside' | 'outside'): string {
    const start = this.i;
    const c = this.src[this.i + 1]!;
    this.i += 2;
    if (SHARED_ESCAPES.has(c)) return '\\' + c;
    if (c === 'a') return '\\x07';
    if (c === 'p' || c === 'P') {
      const m = /^\\[pP](\{[^}]*\}|.)/.exec(this.src.slice(start));
      this.fail(`Unicode class \`${m?.[0] ?? '\\' + c}\` is not supported`);
    }
    if (c === 'x') {
      if (this.src[this.i] === '{') {
        const m = /^\{([0-9A-Fa-f]+)\}/.exec(this.src.slice(this.i));
        if (m === null) this.fail(`invalid escape \`${this.src.slice(start, this.i + 1)}\``);
        const cp = parseInt(m[1]!, 16);
        if (cp > 0xffff) this.fail(`escape \`\\x${m[0]}\` is beyond what exdns supports (at most \\x{FFFF})`);
        this.i += m[0].length;
        return codeEscape(cp);
      }
      if (!isHex(this.src[this.i]) || !isHex(this.src[this.i + 1])) this.fail(`invalid escape \`${this.src.slice(start, this.i + 2)}\``);
      this.i += 2;
      return '\\x' + this.src.slice(this.i - 2, this.i);
    }
    if (c === '0' || (c >= '1' && c <= '7' && isOctal(this.src[this.i]))) {
      // Go's octal escapes: \0, \012, \12 (a lone \1 to \9 is a backreference, refused below).
      let v = Number(c);
      for (let n = 1; n < 3 && isOctal(this.src[this.i]); n++) v = v * 8 + Number(this.src[this.i++]);
      return codeEscape(v);
    }
    if (c >= '1' && c <= '9') this.fail(`backreference \`\\${c}\` is not supported`);
    if (c.charCodeAt(0) < 0x80 && !isAlnum(c)) return '\\' + c;
    this.fail(`invalid escape \`\\${c}\`${where === 'inside' ? ' in character class' : ''}`);
  }

  private charClass(): void {
    const start = this.i;
    this.out += '[';
    this.i++;
    if (this.src[this.i] === '^') {
      this.out += '^';
      this.i++;
    }
    // A `]` right after the opening bracket is a literal in Go; in JavaScript it would close an
    // empty class.
    if (this.src[this.i] === ']') {
      this.out += '\\]';
      this.i++;
    }
    for (;;) {
      const c = this.src[this.i];
      if (c === undefined) this.fail(`missing closing ] in \`${this.src.slice(start)}\``);
      if (c === ']') {
        this.out += ']';
        this.i++;
        return;
      }
      if (c === '[' && this.src[this.i + 1] === ':') {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(this.src.slice(this.i));
        if (m !== null) {
          if (m[1] === '^') this.fail(`negated POSIX class \`${m[0]}\` is not supported`);
          const ranges = POSIX_CLASSES.get(m[2]!);
          if (ranges === undefined) this.fail(`invalid character class range \`${m[0]}\``);
          this.out += ranges;
          this.i += m[0].length;
          continue;
        }
      }
      if (c === '[') {
        this.out += '\\[';
        this.i++;
        continue;
      }
      if (c === '\\') {
        const next = this.src[this.i + 1];
        if (next === undefined) this.fail('trailing backslash at end of expression');
        if (next === 'Q' || next === 'b' || next === 'A' || next === 'z' || next === 'B') {
          this.fail(`invalid escape \`\\${next}\` in character class`);
        }
        this.out += this.commonEscape('inside');
        continue;
      }
      this.out += c;
      this.i++;
    }
  }
}
