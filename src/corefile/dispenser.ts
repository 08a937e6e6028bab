/**
 * The cursor a plugin's setup uses to read its directive's tokens: coredns/caddy's Dispenser,
 * same method semantics and the same error texts, so setup code reads like CoreDNS's.
 * Tokens of every occurrence of the directive in a server block are concatenated; each
 * occurrence starts with the directive name.
 */
import { CorefileError, type Token } from './types.js';

export class Dispenser {
  private cursor = -1;
  private nesting = 0;

  constructor(
    private readonly tokens: readonly Token[],
    /** Used in errors when there are no tokens at all. */
    private readonly fallbackFile = 'Corefile',
  ) {}

  /** Advances to the next token of any line. */
  next(): boolean {
    if (this.cursor < this.tokens.length - 1) {
      this.cursor++;
      return true;
    }
    return false;
  }

  /** Advances only if the next token is on the same line (an argument of the current one). */
  nextArg(): boolean {
    if (this.cursor < 0) {
      this.cursor++;
      return this.tokens.length > 0;
    }
    if (this.cursor >= this.tokens.length - 1) return false;
    const cur = this.tokens[this.cursor]!;
    const nxt = this.tokens[this.cursor + 1]!;
    if (cur.file === nxt.file && cur.line + cur.lineBreaks === nxt.line) {
      this.cursor++;
      return true;
    }
    return false;
  }

  /** Advances only if the next token starts a new line. */
  nextLine(): boolean {
    if (this.cursor < 0) {
      this.cursor++;
      return this.tokens.length > 0;
    }
    if (this.cursor >= this.tokens.length - 1) return false;
    const cur = this.tokens[this.cursor]!;
    const nxt = this.tokens[this.cursor + 1]!;
    if (cur.file !== nxt.file || cur.line + cur.lineBreaks < nxt.line) {
      this.cursor++;
      return true;
    }
    return false;
  }

  /**
   * Iterates over the lines of a `{ ... }` block opened on the current line: true with the
   * cursor on each line's first token, false (and the block consumed) at the closing brace.
   */
  nextBlock(): boolean {
    if (this.nesting > 0) {
      if (!this.next()) return false;
      if (this.isBrace('}')) {
        this.nesting--;
        return false;
      }
      return true;
    }
    if (!this.nextArg()) return false;
    if (!this.isBrace('{')) {
      this.cursor--;
      return false;
    }
    if (!this.next()) return false;
    if (this.isBrace('}')) return false;
    this.nesting++;
    return true;
  }

  /** Reads every occurrence of a directive that takes no arguments (any, whoami). */
  noArgs(): void {
    while (this.next()) {
      if (this.nextArg()) throw this.argErr();
    }
  }

  /** Every remaining argument on the current line, stopping before an opening brace. */
  remainingArgs(): string[] {
    const args: string[] = [];
    while (this.nextArg()) {
      if (this.isBrace('{')) {
        this.cursor--;
        break;
      }
      args.push(this.val());
    }
    return args;
  }

  val(): string {
    if (this.cursor < 0 || this.cursor >= this.tokens.length) return '';
    return this.tokens[this.cursor]!.text;
  }

  token(): Token | undefined {
    return this.tokens[this.cursor];
  }

  line(): number {
    return this.tokens[Math.max(0, Math.min(this.cursor, this.tokens.length - 1))]?.line ?? 0;
  }

  file(): string {
    return this.tokens[Math.max(0, Math.min(this.cursor, this.tokens.length - 1))]?.file ?? this.fallbackFile;
  }

  /** True when the current token is an unquoted brace `b`. */
  isBrace(b: '{' | '}'): boolean {
    const t = this.tokens[this.cursor];
    return t !== undefined && !t.quoted && t.text === b;
  }

  /** `FILE:LINE - Error during parsing: MSG` */
  err(msg: string): CorefileError {
    return new CorefileError(`${this.file()}:${this.line()} - Error during parsing: ${msg}`);
  }

  argErr(): CorefileError {
    if (this.isBrace('{')) return this.err("Unexpected token '{', expecting argument");
    return this.err(`Wrong argument count or unexpected line ending after '${this.val()}'`);
  }

  syntaxErr(expected: string): CorefileError {
    return new CorefileError(`${this.file()}:${this.line()} - Syntax error: Unexpected token '${this.val()}', expecting '${expected}'`);
  }

  /** Error for a sub-directive the plugin does not know. */
  unknownProperty(): CorefileError {
    return this.err(`unknown property '${this.val()}'`);
  }
}
