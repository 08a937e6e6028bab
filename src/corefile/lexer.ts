/**
 * The Corefile lexer, with the rules of coredns/caddy's caddyfile lexer:
 * - tokens are separated by Unicode whitespace; `\r` outside quotes is dropped entirely
 *   (it neither separates nor belongs to a token);
 * - a leading UTF-8 byte order mark is dropped;
 * - an unquoted `#` starts a comment up to the end of the line, even in the middle of a word
 *   (`foo#bar` lexes as `foo`);
 * - a `"` at the start of a token opens a quoted token that may contain whitespace and line
 *   breaks; inside it `\"` is the only escape, every other backslash is kept as written;
 *   a `"` in the middle of a word is an ordinary character.
 */
import type { Token } from './types.js';

/** Go's unicode.IsSpace. */
function isSpace(c: string): boolean {
  switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case '\u0085':
    case '\u00a0':
    case '\u1680':
    case '\u2028':
    case '\u2029':
    case '\u202f':
    case '\u205f':
    case '\u3000':
      return true;
    default:
      return c >= '\u2000' && c <= '\u200a';
  }
}

/** Splits `contents` into tokens; every token records `file` and its 1-based line. */
export function lex(contents: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = contents.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;

  let val = '';
  let inToken = false; // val may legitimately be empty for `""`
  let startLine = 1;
  let quoted = false;
  let escaped = false;
  let comment = false;
  let breaks = 0;

  const emit = (): void => {
    tokens.push({ text: val, file, line: startLine, quoted, lineBreaks: breaks });
    val = '';
    inToken = false;
    quoted = false;
    escaped = false;
    breaks = 0;
  };

  for (; i < contents.length; i++) {
    const ch = contents[i]!;

    if (quoted) {
      if (!escaped) {
        if (ch === '\\') {
          escaped = true;
          continue;
        }
        if (ch === '"') {
          emit();
          continue;
        }
      }
      if (ch === '\n') {
        line++;
        breaks++;
      }
      if (escaped && ch !== '"') val += '\\'; // only \" is an escape
      val += ch;
      escaped = false;
      continue;
    }

    if (isSpace(ch)) {
      if (ch === '\r') continue;
      if (ch === '\n') {
        line++;
        comment = false;
      }
      if (inToken) emit();
      continue;
    }

    if (ch === '#') comment = true;
    if (comment) continue;

    if (!inToken) {
      inToken = true;
      startLine = line;
      if (ch === '"') {
        quoted = true;
        continue;
      }
    }
    val += ch;
  }

  // End of input: an unterminated token is kept when it has text (Go: len(val) > 0).
  if (inToken && val.length > 0) emit();
  return tokens;
}
