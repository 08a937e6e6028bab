/**
 * A multi-document YAML file cut into its documents before parsing, so each is parsed on its
 * own: a manifest folder can hold tens of thousands of objects, and a whole file parsed at once
 * keeps all its documents (and js-yaml's event list for them) alive together, long enough to
 * reach the old generation. Cut document by document, the parse garbage dies young.
 *
 * A `---` at the start of a line ends any YAML node (js-yaml agrees), so the cut never changes
 * what a document holds. Directives (`%` lines) and byte-order marks have rules of their own
 * around document boundaries, and U+2028/U+2029 are line ends to JavaScript but not to YAML:
 * files with any of them are left whole.
 */

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;
const PERCENT = 0x25;

/** Where the line after the one holding `i` starts (a lone CR ends a line too). */
function nextLine(b: Buffer, i: number, crs: boolean): number {
  if (!crs) {
    const lf = b.indexOf(LF, i);
    return lf < 0 ? b.length : lf + 1;
  }
  while (i < b.length && b[i] !== LF && b[i] !== CR) i++;
  return i + 1;
}

/** `---` followed by a blank, a line end or the end of the file. */
function isDocumentStart(b: Buffer, i: number): boolean {
  if (b[i] !== DASH || b[i + 1] !== DASH || b[i + 2] !== DASH) return false;
  const next = b[i + 3];
  return next === undefined || next === 0x20 || next === 0x09 || next === LF || next === CR;
}

/** BOM (EF BB BF) and LS/PS (E2 80 A8/A9) in UTF-8. */
function hasSpecialCharacter(b: Buffer): boolean {
  return b.includes('\uFEFF') || b.includes('\u2028') || b.includes('\u2029');
}

/** The texts of the file's documents, each starting at its `---`; undefined: parse it whole. */
export function documentTexts(b: Buffer): string[] | undefined {
  if (hasSpecialCharacter(b)) return undefined;
  const crs = b.includes(CR);
  const out: string[] = [];
  let from = 0;
  for (let i = 0; i < b.length; i = nextLine(b, i, crs)) {
    if (b[i] === PERCENT) return undefined;
    if (i > from && isDocumentStart(b, i)) {
      out.push(b.toString('utf8', from, i));
      from = i;
    }
  }
  out.push(b.toString('utf8', from, b.length));
  return out;
}
