/**
 * The Corefile parser: tokens to server blocks, following coredns/caddy's `caddyfile/parse.go`
 * step by step (same cursor moves, so errors point at the same tokens and carry the same texts).
 *
 * Differences from CoreDNS, all deliberate:
 * - a quoted token is never syntax: `"{"`, `"}"` and `"import"` are plain arguments (the
 *   Dispenser's rule, see types.ts);
 * - a stray `}` where a server block key is expected is an error (`Unexpected '}' because no
 *   matching opening brace`) instead of becoming a key named `}`;
 * - import cycles (a snippet or file that ends up importing itself) are reported as soon as they
 *   are seen, with the cycle spelled out, instead of after 10,000 / 100,000 expansions; the text
 *   starts with CoreDNS's `maximum ... import depth (N) exceeded`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lex } from './lexer.js';
import { CorefileError, type DirectiveOccurrence, type ServerBlock, type Token } from './types.js';

export interface ParseOptions {
  /** Returns true for known directive names. When omitted, directive names are not validated (used by reload hashing). */
  isDirective?: (name: string) => boolean;
  /** Environment for {$VAR} and {%VAR%}; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Reads a file (for import); defaults to fs.readFileSync utf8. Throw an error with code EISDIR for a directory. */
  readFile?: (path: string) => string;
  /**
   * Glob expansion for import patterns (always given an absolute pattern); returns the matching
   * paths sorted, or `[pattern]` when a pattern without wildcards names an existing path.
   * Defaults to {@link globFiles}.
   */
  glob?: (pattern: string) => string[];
  /**
   * Non-fatal problems, without a level prefix, e.g.
   * "No files matching import glob pattern: custom/*.override" (CoreDNS logs it as [WARNING]).
   * Defaults to ignoring them.
   */
  warn?: (msg: string) => void;
}

/** coredns/caddy's caps on expansions during one parse. */
export const MAX_SNIPPET_EXPANSIONS = 10_000;
export const MAX_FILE_EXPANSIONS = 100_000;

/** Where a token came from: the chain of files and snippets it was imported through. */
interface Origin {
  readonly kind: 'file' | 'snippet';
  readonly name: string;
  readonly parent: Origin | undefined;
}

interface Tok {
  readonly t: Token;
  readonly origin: Origin | undefined;
}

/** Replaces {%VAR%} then {$VAR} references (caddy's replaceEnvVars); unset variables become "". */
export function replaceEnvVars(s: string, env: Record<string, string | undefined> = process.env): string {
  return replaceEnvReferences(replaceEnvReferences(s, '{%', '%}', env), '{$', '}', env);
}

function replaceEnvReferences(s: string, start: string, end: string, env: Record<string, string | undefined>): string {
  let from = 0;
  for (;;) {
    const index = s.indexOf(start, from);
    if (index === -1) return s;
    const endIndex = s.indexOf(end, index);
    if (endIndex === -1) return s;
    // caddy gives up on an empty name ("{$}") and leaves the rest of the string alone
    if (endIndex <= index + start.length) return s;
    const value = env[s.slice(index + start.length, endIndex)] ?? '';
    s = s.slice(0, index) + value + s.slice(endIndex + end.length);
    from = index + value.length; // never rescan a substituted value
  }
}

function hasGlobMeta(p: string): boolean {
  return /[*?[\\]/.test(p);
}

/** Go's path/filepath.Match for one path element: `*`, `?` and `\` escapes (no character classes). */
function elementRegExp(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') throw new Error('syntax error in pattern');
    else if (c === '\\') {
      i++;
      if (i >= pattern.length) throw new Error('syntax error in pattern');
      re += pattern[i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(re + '$', 's');
}

/**
 * A small filepath.Glob: wildcards `*` and `?` (any element), `\` escapes; matches are sorted per
 * directory; a pattern without wildcards yields itself when the path exists. Character classes
 * are not supported (the parser rejects them before calling this).
 */
export function globFiles(pattern: string): string[] {
  if (!hasGlobMeta(pattern)) {
    try {
      fs.lstatSync(pattern);
      return [pattern];
    } catch {
      return [];
    }
  }
  // validate every element first, like Go's Match(pattern, "") check
  const dirPart = path.dirname(pattern);
  const base = path.basename(pattern);
  const re = elementRegExp(base);
  if (hasGlobMeta(dirPart)) for (const el of dirPart.split('/')) elementRegExp(el);
  const dirs = hasGlobMeta(dirPart) ? globFiles(dirPart) : [dirPart];
  const out: string[] = [];
  for (const d of dirs) {
    let names: string[];
    try {
      if (!fs.statSync(d).isDirectory()) continue;
      names = fs.readdirSync(d);
    } catch {
      continue;
    }
    names.sort();
    for (const n of names) {
      if (!re.test(n)) continue;
      const full = path.join(d, n);
      // A dangling symlink is a file on its way out (a ConfigMap key removed after the `..data`
      // swap), not a broken import.
      if (!fs.existsSync(full)) continue;
      out.push(full);
    }
  }
  return out;
}

function describeReadError(file: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'ENOENT') return `open ${file}: no such file or directory`;
  if (code === 'EACCES') return `open ${file}: permission denied`;
  return `open ${file}: ${e instanceof Error ? e.message : String(e)}`;
}

function originHas(o: Origin | undefined, kind: Origin['kind'], name: string): boolean {
  for (; o !== undefined; o = o.parent) if (o.kind === kind && o.name === name) return true;
  return false;
}

/** "a -> b -> a": the part of the chain from the first `name` on, then `name` again. */
function describeCycle(o: Origin | undefined, kind: Origin['kind'], name: string): string {
  const chain: Origin[] = [];
  for (; o !== undefined; o = o.parent) chain.unshift(o);
  const from = chain.findIndex((x) => x.kind === kind && x.name === name);
  const label = (x: { kind: Origin['kind']; name: string }): string => (x.kind === 'snippet' ? `snippet ${x.name}` : x.name);
  return [...chain.slice(from), { kind, name }].map(label).join(' -> ');
}

class Parser {
  private toks: Tok[];
  private cursor = -1;
  private eof = false;
  private keys: Token[] = [];
  private directivesOut: DirectiveOccurrence[] = [];
  private readonly snippets = new Map<string, Tok[]>();
  private snippetExpansions = 0;
  private fileExpansions = 0;
  private readonly env: Record<string, string | undefined>;
  private readonly readFile: (p: string) => string;
  private readonly glob: (p: string) => string[];
  private readonly warn: (m: string) => void;

  constructor(
    contents: string,
    private readonly filename: string,
    private readonly opts: ParseOptions,
  ) {
    this.env = opts.env ?? process.env;
    this.readFile = opts.readFile ?? ((p) => fs.readFileSync(p, 'utf8'));
    this.glob = opts.glob ?? globFiles;
    this.warn = opts.warn ?? (() => {});
    const root: Origin = { kind: 'file', name: path.resolve(filename), parent: undefined };
    this.toks = lex(contents, filename).map((t) => ({ t, origin: root }));
  }

  // --- the Dispenser moves the parser uses --------------------------------------------------

  private cur(): Tok | undefined {
    return this.cursor >= 0 && this.cursor < this.toks.length ? this.toks[this.cursor] : undefined;
  }

  private val(): string {
    return this.cur()?.t.text ?? '';
  }

  private file(): string {
    return this.cur()?.t.file ?? this.filename;
  }

  private line(): number {
    return this.cur()?.t.line ?? 0;
  }

  private next(): boolean {
    if (this.cursor < this.toks.length - 1) {
      this.cursor++;
      return true;
    }
    return false;
  }

  private nextArg(): boolean {
    if (this.cursor < 0) {
      this.cursor++;
      return this.toks.length > 0;
    }
    if (this.cursor >= this.toks.length - 1) return false;
    const a = this.toks[this.cursor]!.t;
    const b = this.toks[this.cursor + 1]!.t;
    if (a.file === b.file && a.line + a.lineBreaks === b.line) {
      this.cursor++;
      return true;
    }
    return false;
  }

  /** True when the current token is the first of its line. */
  private isNewLine(): boolean {
    if (this.cursor < 1) return true;
    if (this.cursor > this.toks.length - 1) return false;
    const a = this.toks[this.cursor - 1]!.t;
    const b = this.toks[this.cursor]!.t;
    return a.file !== b.file || a.line + a.lineBreaks < b.line;
  }

  private is(text: '{' | '}' | 'import'): boolean {
    const t = this.cur()?.t;
    return t !== undefined && !t.quoted && t.text === text;
  }

  private err(msg: string): CorefileError {
    return new CorefileError(`${this.file()}:${this.line()} - Error during parsing: ${msg}`);
  }

  private syntaxErr(expected: string): CorefileError {
    return new CorefileError(`${this.file()}:${this.line()} - Syntax error: Unexpected token '${this.val()}', expecting '${expected}'`);
  }

  private eofErr(): CorefileError {
    return this.err('Unexpected EOF');
  }

  private argErr(): CorefileError {
    if (this.is('{')) return this.err("Unexpected token '{', expecting argument");
    return this.err(`Wrong argument count or unexpected line ending after '${this.val()}'`);
  }

  private subst(s: string): string {
    return replaceEnvVars(s, this.env);
  }

  // --- grammar -------------------------------------------------------------------------------

  parseAll(): ServerBlock[] {
    const blocks: ServerBlock[] = [];
    while (this.next()) {
      this.keys = [];
      this.directivesOut = [];
      this.begin();
      if (this.keys.length > 0) blocks.push({ keys: this.keys, directives: this.directivesOut });
    }
    return blocks;
  }

  private begin(): void {
    if (this.toks.length === 0) return;
    this.addresses();
    // only a line of keys and nothing else
    if (this.eof) return;

    const k = this.keys;
    if (k.length === 1 && k[0]!.text.startsWith('(') && k[0]!.text.endsWith(')')) {
      const name = k[0]!.text.slice(1).replace(/\)$/, '');
      if (this.snippets.has(name)) throw this.err(`redeclaration of previously declared snippet ${name}`);
      const body = this.snippetTokens();
      // caddy's guard against a snippet importing itself directly
      for (let i = 0; i + 1 < body.length; i++) {
        const t = body[i]!.t;
        if (t.quoted || t.text !== 'import') continue;
        const prev = body[i - 1]?.t;
        const atLineStart = prev === undefined || prev.file !== t.file || prev.line !== t.line;
        if (atLineStart && this.subst(body[i + 1]!.t.text) === name) {
          throw this.err(`maximum snippet import depth (${MAX_SNIPPET_EXPANSIONS}) exceeded`);
        }
      }
      this.snippets.set(name, body);
      this.keys = []; // a snippet is never served
      return;
    }
    this.blockContents();
  }

  private addresses(): void {
    let expectingAnother = false;
    for (;;) {
      const tok = this.cur();
      const tkn = this.subst(this.val());

      if (tok !== undefined && !tok.t.quoted && tkn === 'import' && this.isNewLine()) {
        this.doImport();
        continue;
      }

      // an opening brace ends the keys
      if (this.is('{')) {
        if (expectingAnother) throw this.err(`Expected another address but had '${tkn}' - check for extra comma`);
        break;
      }
      if (this.is('}')) throw this.err("Unexpected '}' because no matching opening brace");

      if (tok !== undefined && tkn !== '') {
        // a trailing comma means another key follows, possibly on the next line
        let text = tkn;
        if (text.endsWith(',')) {
          text = text.slice(0, -1);
          expectingAnother = true;
        } else {
          expectingAnother = false;
        }
        this.keys.push({ ...tok.t, text });
      }

      const hasNext = this.next();
      if (expectingAnother && !hasNext) throw this.eofErr();
      if (!hasNext) {
        this.eof = true;
        break;
      }
      if (!expectingAnother && this.isNewLine()) break;
    }
  }

  private blockContents(): void {
    const braced = this.is('{');
    // a single server block may leave out the braces
    if (!braced) this.cursor--;
    this.directives();
    if (braced && !this.is('}')) throw this.syntaxErr('}');
  }

  private directives(): void {
    while (this.next()) {
      if (this.is('}')) break; // end of the server block
      if (this.is('import')) {
        this.doImport();
        this.cursor--; // next() lands on the first imported token
        continue;
      }
      this.directive();
    }
  }

  /** One directive: the rest of its line and, if it opens one, its whole block. */
  private directive(): void {
    const nameTok = this.cur()!;
    const dir = this.subst(nameTok.t.text);
    if (this.opts.isDirective !== undefined && !this.opts.isDirective(dir)) {
      throw this.err(`Unknown directive '${dir}'`);
    }
    const tokens: Token[] = [{ ...nameTok.t, text: dir }];
    let nesting = 0;
    while (this.next()) {
      if (this.is('{')) {
        nesting++;
      } else if (this.isNewLine() && nesting === 0) {
        this.cursor--; // read too far
        break;
      } else if (this.is('}') && nesting > 0) {
        nesting--;
      } else if (this.is('}') && nesting === 0) {
        throw this.err("Unexpected '}' because no matching opening brace");
      } else if (this.is('import') && this.isNewLine()) {
        this.doImport();
        this.cursor--;
        continue;
      }
      const t = this.cur()!.t;
      tokens.push({ ...t, text: this.subst(t.text) });
    }
    if (nesting > 0) throw this.eofErr();
    this.directivesOut.push({ name: dir, tokens });
  }

  /** A snippet's body, between its braces, kept for replay. */
  private snippetTokens(): Tok[] {
    if (!this.is('{')) throw this.syntaxErr('{');
    let count = 1;
    const body: Tok[] = [];
    while (this.next()) {
      if (this.is('}')) {
        count--;
        if (count === 0) break;
      }
      if (this.is('{')) count++;
      body.push(this.cur()!);
    }
    if (count !== 0) throw this.syntaxErr('}');
    return body;
  }

  /**
   * Replaces `import PATTERN` (the current token and its argument) with the snippet's or the
   * files' tokens. Afterwards the cursor is on the first imported token (or on whatever followed
   * the import when nothing was imported).
   */
  private doImport(): void {
    if (!this.nextArg()) throw this.argErr();
    const pattern = this.subst(this.val());
    if (pattern === '') throw this.err('Import requires a non-empty filepath');
    if (this.nextArg()) throw this.err('Import takes only one argument (glob pattern or file)');

    const at = this.cur()!;
    const before = this.toks.slice(0, this.cursor - 1);
    const after = this.toks.slice(this.cursor + 1);
    let imported: Tok[] = [];

    const snippet = this.snippets.get(pattern);
    if (snippet !== undefined) {
      if (this.snippetExpansions >= MAX_SNIPPET_EXPANSIONS || originHas(at.origin, 'snippet', pattern)) {
        const cycle = originHas(at.origin, 'snippet', pattern) ? ` (import cycle: ${describeCycle(at.origin, 'snippet', pattern)})` : '';
        throw this.err(`maximum snippet import depth (${MAX_SNIPPET_EXPANSIONS}) exceeded${cycle}`);
      }
      this.snippetExpansions++;
      const origin: Origin = { kind: 'snippet', name: pattern, parent: at.origin };
      imported = snippet.map((s) => ({ t: s.t, origin }));
    } else {
      if (this.fileExpansions >= MAX_FILE_EXPANSIONS) {
        throw this.err(`maximum file import depth (${MAX_FILE_EXPANSIONS}) exceeded`);
      }
      this.fileExpansions++;
      // relative to the file holding the import, not to the working directory
      const importingFile = path.resolve(this.file());
      const globPattern = path.isAbsolute(pattern) ? pattern : path.join(path.dirname(importingFile), pattern);
      const count = (c: string): number => globPattern.split(c).length - 1;
      if (count('*') > 1 || count('?') > 1 || (globPattern.includes('[') && globPattern.includes(']'))) {
        throw this.err(`Glob pattern may only contain one wildcard (*), but has others: ${globPattern}`);
      }
      let matches: string[];
      try {
        matches = this.glob(globPattern);
      } catch (e) {
        throw this.err(`Failed to use import pattern ${pattern}: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (matches.length === 0) {
        if (/[*?[\]]/.test(globPattern)) this.warn(`No files matching import glob pattern: ${pattern}`);
        else throw this.err(`File to import not found: ${pattern}`);
      }
      for (const m of matches) {
        const abs = path.resolve(m);
        if (originHas(at.origin, 'file', abs)) {
          throw this.err(`maximum file import depth (${MAX_FILE_EXPANSIONS}) exceeded (import cycle: ${describeCycle(at.origin, 'file', abs)})`);
        }
        let contents: string;
        try {
          contents = this.readFile(m);
        } catch (e) {
          throw this.err(`Could not import ${m}: ${describeReadError(m, e)}`);
        }
        const origin: Origin = { kind: 'file', name: abs, parent: at.origin };
        for (const t of lex(contents, abs)) imported.push({ t, origin });
      }
    }

    this.toks = [...before, ...imported, ...after];
    this.cursor--;
  }
}

/**
 * Parses a Corefile into server blocks (imports expanded, snippets removed, env substituted).
 * `file` names the Corefile in errors and anchors relative imports. Throws CorefileError.
 */
export function parseCorefile(contents: string, file: string, opts: ParseOptions = {}): ServerBlock[] {
  return new Parser(contents, file, opts).parseAll();
}

// ---------------------------------------------------------------------------------------------

type Line = (string | Line[])[];

const isBrace = (t: Token, b: '{' | '}'): boolean => !t.quoted && t.text === b;

/** A directive's tokens as lines, where a `{ ... }` block becomes a nested list of lines. */
function encodeTokens(tokens: readonly Token[]): Line[] {
  let i = 0;
  const sameLine = (a: Token, b: Token): boolean => a.file === b.file && a.line + a.lineBreaks === b.line;
  const item = (): string | Line[] => (isBrace(tokens[i]!, '{') ? block() : tokens[i]!.text);
  const line = (): Line => {
    const out: Line = [item()];
    while (i + 1 < tokens.length && sameLine(tokens[i]!, tokens[i + 1]!)) {
      i++;
      out.push(item());
    }
    return out;
  };
  // tokens[i] is '{'; returns with tokens[i] on the matching '}' (or the last token)
  const block = (): Line[] => {
    const out: Line[] = [];
    while (i + 1 < tokens.length) {
      i++;
      if (isBrace(tokens[i]!, '}')) break;
      out.push(line());
    }
    return out;
  };
  const lines: Line[] = [];
  for (; i < tokens.length; i++) lines.push(line());
  return lines;
}

/**
 * A canonical JSON of the server blocks for the reload hash: keys, then each directive's lines
 * (blocks nested), without files, line numbers, comments or spacing. Like caddy's ToJSON the
 * directives are ordered by name (stable, so repeated directives keep their order), because
 * the plugin order comes from plugin.cfg and not from the Corefile.
 */
export function serializeBlocks(blocks: ServerBlock[]): string {
  return JSON.stringify(
    blocks.map((b) => ({
      keys: b.keys.map((k) => k.text),
      body: [...b.directives].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)).flatMap((d) => encodeTokens(d.tokens)),
    })),
  );
}
