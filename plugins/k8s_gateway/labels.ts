/**
 * Kubernetes label selectors, with the grammar, validation, normal form and matching rules of
 * k8s.io/apimachinery `labels.Parse`:
 *
 *     selector    = [ requirement { "," requirement } ]
 *     requirement = KEY | "!" KEY
 *                 | KEY ( "=" | "==" | "!=" ) [ VALUE ]
 *                 | KEY ( "in" | "notin" ) "(" [ VALUE { "," VALUE } ] ")"
 *                 | KEY ( ">" | "<" ) INTEGER
 *
 * Whitespace (space, tab, CR, LF) may surround every token. Requirements are sorted by key and
 * set values sorted and de-duplicated, so `selectorString` gives the same text the API server
 * and client-go produce (`"app = service1"` -> `app=service1`). That text is what a Kubernetes
 * source sends as `labelSelector`.
 */

export type Operator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  readonly key: string;
  readonly operator: Operator;
  /** One value for `=`, `==`, `!=`, `gt`, `lt`; a sorted set for `in`/`notin`; none for `exists`/`!`. */
  readonly values: readonly string[];
}

export interface LabelSelector {
  /** Sorted by key; an empty list selects everything. */
  readonly requirements: readonly Requirement[];
}

export class LabelSelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelSelectorError';
  }
}

// --- lexer ---------------------------------------------------------------------------------

type Tok = 'id' | 'eos' | '!' | '=' | '==' | '!=' | 'in' | 'notin' | '>' | '<' | '(' | ')' | ',' | 'error';

interface Item {
  readonly tok: Tok;
  readonly lit: string;
}

const SYMBOLS: ReadonlyMap<string, Tok> = new Map<string, Tok>([
  ['!', '!'],
  ['=', '='],
  ['==', '=='],
  ['!=', '!='],
  ['>', '>'],
  ['<', '<'],
  ['(', '('],
  [')', ')'],
  [',', ','],
]);

const isWhitespace = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
const isSpecial = (ch: string): boolean => '=!(),<>'.includes(ch);

function lex(s: string): Item[] {
  const items: Item[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && isWhitespace(s[i]!)) i++;
    if (i >= s.length) {
      items.push({ tok: 'eos', lit: '' });
      return items;
    }
    if (isSpecial(s[i]!)) {
      // The longest run of special characters that is still a symbol ("!=" but "!" then "!").
      let buffer = '';
      let last: Item | undefined;
      while (i < s.length && isSpecial(s[i]!)) {
        buffer += s[i]!;
        const tok = SYMBOLS.get(buffer);
        if (tok !== undefined) last = { tok, lit: buffer };
        else if (last !== undefined) break;
        i++;
      }
      items.push(last ?? { tok: 'error', lit: `error expected: keyword found '${buffer}'` });
      continue;
    }
    const start = i;
    while (i < s.length && !isWhitespace(s[i]!) && !isSpecial(s[i]!)) i++;
    const word = s.slice(start, i);
    items.push({ tok: word === 'in' ? 'in' : word === 'notin' ? 'notin' : 'id', lit: word });
  }
}

// --- validation (k8s.io/apimachinery/pkg/util/validation) ---------------------------------

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const QUALIFIED_NAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', 'my.name' or '123-abc')";

/** Problems with a label key (`[prefix/]name`), k8s IsQualifiedName; [] when valid. */
export function labelKeyErrors(key: string): string[] {
  const errs: string[] = [];
  const parts = key.split('/');
  let name: string;
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else if (prefix.length > 253) errs.push('prefix part must be no more than 253 characters');
    else if (!DNS1123_SUBDOMAIN.test(prefix)) {
      errs.push(
        "prefix part must be a lowercase RFC 1123 subdomain: lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character (e.g. 'example.com')",
      );
    }
  } else {
    return [`a qualified name ${QUALIFIED_NAME_MSG}, with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  else if (!QUALIFIED_NAME.test(name)) errs.push(`name part ${QUALIFIED_NAME_MSG}`);
  return errs;
}

/** Problems with a label value, k8s IsValidLabelValue; [] when valid. */
export function labelValueErrors(value: string): string[] {
  if (value.length > 63) return ['must be no more than 63 characters'];
  if (!LABEL_VALUE.test(value)) {
    return [
      "a valid label value must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', 'my_value' or '12345')",
    ];
  }
  return [];
}

function checkKey(key: string): void {
  const errs = labelKeyErrors(key);
  if (errs.length > 0) throw new LabelSelectorError(`invalid label key ${JSON.stringify(key)}: ${errs.join('; ')}`);
}

const INT64 = /^[+-]?[0-9]+$/;
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** Go's strconv.ParseInt(s, 10, 64), or undefined. */
function parseInt64(s: string): bigint | undefined {
  if (!INT64.test(s)) return undefined;
  const v = BigInt(s);
  return v > INT64_MAX || v < INT64_MIN ? undefined : v;
}

function newRequirement(key: string, operator: Operator, values: string[]): Requirement {
  checkKey(key);
  if ((operator === 'gt' || operator === 'lt') && parseInt64(values[0]!) === undefined) {
    throw new LabelSelectorError(
      `invalid value ${JSON.stringify(values[0])} for key ${JSON.stringify(key)}: for 'gt', 'lt' operators, the value must be an integer`,
    );
  }
  for (const v of values) {
    const errs = labelValueErrors(v);
    if (errs.length > 0) throw new LabelSelectorError(`invalid label value ${JSON.stringify(v)} for key ${JSON.stringify(key)}: ${errs.join('; ')}`);
  }
  return { key, operator, values };
}

// --- parser --------------------------------------------------------------------------------

const BINARY_OPERATORS = 'in, notin, =, ==, !=, gt, lt';

class Parser {
  private pos = 0;

  constructor(private readonly items: readonly Item[]) {}

  /** In a value position `in` and `notin` are plain identifiers. */
  private lookahead(values: boolean): Item {
    const it = this.items[this.pos]!;
    return values && (it.tok === 'in' || it.tok === 'notin') ? { tok: 'id', lit: it.lit } : it;
  }

  private consume(values: boolean): Item {
    const it = this.lookahead(values);
    if (this.pos < this.items.length - 1) this.pos++;
    return it;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.lookahead(true);
      if (tok === 'eos') return reqs;
      if (tok !== 'id' && tok !== '!') throw new LabelSelectorError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      try {
        reqs.push(this.requirement());
      } catch (e) {
        throw new LabelSelectorError(`unable to parse requirement: ${(e as Error).message}`);
      }
      const next = this.consume(true);
      if (next.tok === 'eos') return reqs;
      if (next.tok !== ',') throw new LabelSelectorError(`found '${next.lit}', expected: ',' or 'end of string'`);
      const after = this.lookahead(true);
      if (after.tok !== 'id' && after.tok !== '!') throw new LabelSelectorError(`found '${after.lit}', expected: identifier after ','`);
    }
  }

  private requirement(): Requirement {
    let first = this.consume(true);
    let negated = false;
    if (first.tok === '!') {
      negated = true;
      first = this.consume(true);
    }
    if (first.tok !== 'id') throw new LabelSelectorError(`found '${first.lit}', expected: identifier`);
    const key = first.lit;
    checkKey(key);
    if (negated) return newRequirement(key, '!', []);
    const la = this.lookahead(true).tok;
    if (la === 'eos' || la === ',') return newRequirement(key, 'exists', []);

    const op = this.consume(false);
    switch (op.tok) {
      case 'in':
      case 'notin':
        return newRequirement(key, op.tok, this.setValues());
      case '=':
      case '==':
      case '!=':
        return newRequirement(key, op.tok, [this.exactValue()]);
      case '>':
        return newRequirement(key, 'gt', [this.exactValue()]);
      case '<':
        return newRequirement(key, 'lt', [this.exactValue()]);
      default:
        throw new LabelSelectorError(`found '${op.lit}', expected: ${BINARY_OPERATORS}`);
    }
  }

  private exactValue(): string {
    const la = this.lookahead(true).tok;
    if (la === 'eos' || la === ',') return '';
    const it = this.consume(true);
    if (it.tok === 'id') return it.lit;
    throw new LabelSelectorError(`found '${it.lit}', expected: identifier`);
  }

  /** `( [v {, v}] )`, as a sorted set; empty entries (`()`, `(a,)`) count as the value "". */
  private setValues(): string[] {
    const open = this.consume(true);
    if (open.tok !== '(') throw new LabelSelectorError(`found '${open.lit}' expected: '('`);
    const la = this.lookahead(true);
    const set = new Set<string>();
    if (la.tok === ')') {
      this.consume(true);
      set.add('');
    } else if (la.tok === 'id' || la.tok === ',') {
      this.identifiers(set);
      const close = this.consume(true);
      if (close.tok !== ')') throw new LabelSelectorError(`found '${close.lit}', expected: ')'`);
    } else {
      throw new LabelSelectorError(`found '${la.lit}', expected: ',', ')' or identifier`);
    }
    return [...set].sort(compareStrings);
  }

  private identifiers(set: Set<string>): void {
    for (;;) {
      const it = this.consume(true);
      if (it.tok === 'id') {
        set.add(it.lit);
        const la = this.lookahead(true);
        if (la.tok === ',') continue;
        if (la.tok === ')') return;
        throw new LabelSelectorError(`found '${la.lit}', expected: ',' or ')'`);
      } else if (it.tok === ',') {
        if (set.size === 0) set.add(''); // "(,"
        const la = this.lookahead(true);
        if (la.tok === ')') {
          set.add(''); // ",)"
          return;
        }
        if (la.tok === ',') {
          this.consume(true);
          set.add(''); // ",,"
        }
      } else {
        throw new LabelSelectorError(`found '${it.lit}', expected: ',', or identifier`);
      }
    }
  }
}

/** Go string order (UTF-16 code units equal bytes here: keys and values are ASCII once valid). */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// --- API -----------------------------------------------------------------------------------

/** Parses a selector; throws LabelSelectorError with k8s's parser messages. "" selects everything. */
export function parseSelector(text: string): LabelSelector {
  const reqs = new Parser(lex(text)).parse();
  // Array.prototype.sort is stable: requirements with the same key keep their written order.
  reqs.sort((a, b) => compareStrings(a.key, b.key));
  return { requirements: reqs };
}

function requirementString(r: Requirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${r.values.join(',')})`;
    case 'gt':
      return `${r.key}>${r.values[0]!}`;
    case 'lt':
      return `${r.key}<${r.values[0]!}`;
    default:
      return `${r.key}${r.operator}${r.values[0]!}`;
  }
}

/** The normal form client-go prints (`labels.Selector.String()`), valid `labelSelector` syntax. */
export function selectorString(sel: LabelSelector): string {
  return sel.requirements.map(requirementString).join(',');
}

function requirementMatches(r: Requirement, labels: Record<string, string> | undefined): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key]! : undefined;
  switch (r.operator) {
    case 'exists':
      return has;
    case '!':
      return !has;
    case '=':
    case '==':
    case 'in':
      return value !== undefined && r.values.includes(value);
    case '!=':
    case 'notin':
      return value === undefined || !r.values.includes(value);
    case 'gt':
    case 'lt': {
      if (value === undefined) return false;
      const have = parseInt64(value);
      const want = parseInt64(r.values[0]!);
      if (have === undefined || want === undefined) return false;
      return r.operator === 'gt' ? have > want : have < want;
    }
  }
}

/** True when `labels` (an object's metadata.labels, possibly absent) satisfies every requirement. */
export function matches(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  return sel.requirements.every((r) => requirementMatches(r, labels));
}
