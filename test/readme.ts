/** Corefile examples in README files (blocks fenced with `~~~ corefile`), for tests. */
import { readFileSync } from 'node:fs';
import { lex } from '../src/corefile/lexer.js';
import type { Token } from '../src/corefile/types.js';

/** Blocks between a `~~~ corefile` line and the next `~~~` line. */
export function corefileBlocks(markdown: string): string[] {
  const out: string[] = [];
  const lines = markdown.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*~~~\s*corefile\s*$/.test(lines[i]!)) continue;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*~~~\s*$/.test(lines[j]!); j++) body.push(lines[j]!);
    if (j === lines.length) throw new Error(`unterminated ~~~ corefile block at line ${i + 1}`);
    out.push(body.join('\n') + '\n');
    i = j;
  }
  return out;
}

/**
 * Per example block of the README at `readme`, the tokens of each `name` directive inside a
 * server block (its arguments and its own `{ ... }` block), ready for the plugin's parse.
 * `{$NAME}` placeholders are replaced from `env`.
 */
export function directiveOccurrences(readme: URL, name: string, env: Record<string, string> = {}): Token[][][] {
  const md = readFileSync(readme, 'utf8');
  return corefileBlocks(md).map((block) => {
    const toks = lex(block.replace(/\{\$(\w+)\}/g, (_, k: string) => env[k] ?? ''), 'Corefile');
    const sameLine = (a: Token, b: Token) => a.line + a.lineBreaks === b.line;
    const brace = (t: Token) => (t.quoted ? 0 : t.text === '{' ? 1 : t.text === '}' ? -1 : 0);
    const out: Token[][] = [];
    for (let i = 0, depth = 0; i < toks.length; i++) {
      const t = toks[i]!;
      if (depth === 1 && (i === 0 || !sameLine(toks[i - 1]!, t)) && t.text === name) {
        const occ: Token[] = [];
        let inner = 0;
        do {
          occ.push(toks[i]!);
          inner += brace(toks[i]!);
          i++;
        } while (i < toks.length && (inner > 0 || sameLine(toks[i - 1]!, toks[i]!)));
        out.push(occ);
        i--;
        continue;
      }
      depth += brace(t);
    }
    return out;
  });
}
