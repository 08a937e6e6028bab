/** The Corefile as tokens and server blocks (coredns/caddy's caddyfile model). */

export interface Token {
  readonly text: string;
  /** File the token came from (the importing file for snippet tokens is NOT used: snippets keep their own origin). */
  readonly file: string;
  /** 1-based line of the token's first character. */
  readonly line: number;
  /** True when the token was written in double quotes (so `"{"` is an argument, not a brace). */
  readonly quoted: boolean;
  /** Line breaks inside a quoted token (a quoted token may span lines). */
  readonly lineBreaks: number;
}

/** One occurrence of a directive: its name token, then every token of its line and nested block. */
export interface DirectiveOccurrence {
  readonly name: string;
  readonly tokens: readonly Token[];
}

export interface ServerBlock {
  /** Raw keys as written (after env substitution), e.g. "example.org:1053", "dns://.:53", "10.0.0.0/24". */
  readonly keys: readonly Token[];
  /** Directive occurrences in Corefile order (imports already expanded). */
  readonly directives: readonly DirectiveOccurrence[];
}

export class CorefileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorefileError';
  }
}
