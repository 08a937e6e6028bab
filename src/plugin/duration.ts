/**
 * Go's time.ParseDuration and Duration.String, for Corefile options written as Go durations
 * ("5m", "30s", "1h30m", "500ms", "1.5h", "-2us"). Durations are returned in milliseconds
 * (fractions of a millisecond are kept, nanosecond precision).
 */

const NS_PER_UNIT: ReadonlyMap<string, number> = new Map([
  ['ns', 1],
  ['us', 1e3],
  ['µs', 1e3], // U+00B5 micro sign
  ['μs', 1e3], // U+03BC Greek mu
  ['ms', 1e6],
  ['s', 1e9],
  ['m', 60e9],
  ['h', 3600e9],
]);

/** Largest duration Go can hold: 1<<63 - 1 nanoseconds. */
const MAX_NS = 9223372036854775807;

/** Go's strconv-style quoting for the error texts. */
function quote(s: string): string {
  return '"' + s.replace(/[\\"]/g, (c) => '\\' + c) + '"';
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/**
 * Parses a Go duration: an optional sign and a sequence of decimal numbers, each with an optional
 * fraction and a unit suffix (ns, us, µs, ms, s, m, h). Returns milliseconds. Throws with Go's
 * error texts: `time: invalid duration "x"`, `time: missing unit in duration "1"`,
 * `time: unknown unit "d" in duration "1d"`.
 */
export function parseDuration(orig: string): number {
  const invalid = () => new Error(`time: invalid duration ${quote(orig)}`);
  let s = orig;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();

  let totalNs = 0;
  let i = 0;
  while (i < s.length) {
    if (!(s[i] === '.' || isDigit(s[i]))) throw invalid();
    const intStart = i;
    while (isDigit(s[i])) i++;
    const intPart = s.slice(intStart, i);
    let fracPart = '';
    if (s[i] === '.') {
      i++;
      const fracStart = i;
      while (isDigit(s[i])) i++;
      fracPart = s.slice(fracStart, i);
    }
    if (intPart === '' && fracPart === '') throw invalid(); // "." alone, ".s"
    const unitStart = i;
    while (i < s.length && s[i] !== '.' && !isDigit(s[i])) i++;
    if (i === unitStart) throw new Error(`time: missing unit in duration ${quote(orig)}`);
    const unitText = s.slice(unitStart, i);
    const unit = NS_PER_UNIT.get(unitText);
    if (unit === undefined) throw new Error(`time: unknown unit ${quote(unitText)} in duration ${quote(orig)}`);
    const v = intPart === '' ? 0 : Number(intPart);
    if (v > MAX_NS / unit) throw invalid();
    let ns = v * unit;
    if (fracPart !== '') ns += Number('0.' + fracPart) * unit;
    totalNs += ns;
    if (totalNs > MAX_NS) throw invalid();
  }
  // Keep nanosecond resolution like Go (fractions below 1ns are truncated).
  totalNs = Math.trunc(totalNs);
  const ms = totalNs / 1e6;
  return neg ? -ms : ms;
}

/** Digits of v / 10^prec with trailing zeros (and a bare point) dropped, Go's fmtFrac. */
function frac(v: bigint, prec: number): { whole: bigint; text: string } {
  const div = 10n ** BigInt(prec);
  const f = (v % div).toString().padStart(prec, '0').replace(/0+$/, '');
  return { whole: v / div, text: f === '' ? '' : '.' + f };
}

/** Go's Duration.String for a duration in milliseconds: "1h30m0s", "5m0s", "30s", "500ms", "1.5µs", "0s". */
export function formatDuration(ms: number): string {
  let ns = BigInt(Math.round(ms * 1e6));
  const sign = ns < 0n ? '-' : '';
  if (ns < 0n) ns = -ns;
  if (ns === 0n) return '0s';
  if (ns < 1_000_000_000n) {
    if (ns < 1000n) return `${sign}${ns}ns`;
    if (ns < 1_000_000n) {
      const f = frac(ns, 3);
      return `${sign}${f.whole}${f.text}µs`;
    }
    const f = frac(ns, 6);
    return `${sign}${f.whole}${f.text}ms`;
  }
  const f = frac(ns, 9);
  let rest = f.whole; // whole seconds
  let out = `${rest % 60n}${f.text}s`;
  rest /= 60n;
  if (rest > 0n) {
    out = `${rest % 60n}m` + out;
    rest /= 60n;
    if (rest > 0n) out = `${rest}h` + out;
  }
  return sign + out;
}
