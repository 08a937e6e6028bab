/**
 * Log line formats with CoreDNS's placeholders (plugin/pkg/replacer): a format is compiled once,
 * at setup, into literal strings and value functions, so a query only concatenates.
 *
 * Unknown `{labels}` stay in the output verbatim; `{/key}` reads request metadata; values that
 * are not known print `-`.
 */
import type { Request } from '../../src/plugin/request.js';
import { classToString, Flag, rcodeToString, typeToString } from '../../src/wire/constants.js';

/** Everything a log line may show about one query and its reply. */
export interface LogEntry {
  readonly req: Request;
  /** Rcode of the reply (or the unwritten/error rcode when nothing was written). */
  readonly rcode: number;
  /** Bytes sent; 0 when nothing was written. */
  readonly rsize: number;
  /** Header flags word of the reply sent; undefined when nothing was written. */
  readonly rflags: number | undefined;
}

export type Formatter = (e: LogEntry) => string;

export const EMPTY_VALUE = '-';

/** `{remote}:{port} - {>id} "{type} {class} {name} {proto} {size} {>do} {>bufsize}" {rcode} {>rflags} {rsize} {duration}` */
export const COMMON_LOG_FORMAT = `{remote}:{port} ${EMPTY_VALUE} {>id} "{type} {class} {name} {proto} {size} {>do} {>bufsize}" {rcode} {>rflags} {rsize} {duration}`;
export const COMBINED_LOG_FORMAT = COMMON_LOG_FORMAT + ` "{>opcode}"`;
export const DEFAULT_LOG_FORMAT = COMMON_LOG_FORMAT;

/** IPv6 addresses in brackets (RFC 3986), IPv4 as is. */
function rfc3986(addr: string): string {
  return addr.includes(':') ? `[${addr}]` : addr;
}

/** The mnemonic, or the number for rcodes without one (miekg's RcodeToString fallback). */
function rcodeText(r: number): string {
  const s = rcodeToString(r);
  return s.startsWith('RCODE') ? String(r) : s;
}

const FLAG_NAMES: ReadonlyArray<[number, string]> = [
  [Flag.QR, 'qr'],
  [Flag.AA, 'aa'],
  [Flag.TC, 'tc'],
  [Flag.RD, 'rd'],
  [Flag.RA, 'ra'],
  [Flag.Z, 'z'],
  [Flag.AD, 'ad'],
  [Flag.CD, 'cd'],
];

/** Set header flags as "qr,aa,rd" in CoreDNS's order. */
export function flagsText(flags: number): string {
  let s = '';
  for (const [bit, name] of FLAG_NAMES) {
    if ((flags & bit) !== 0) s = s === '' ? name : `${s},${name}`;
  }
  return s;
}

/** Elapsed milliseconds as seconds with an "s" suffix at nanosecond resolution: "0.037990251s". */
export function secondsText(ms: number): string {
  const ns = Math.max(0, Math.round(ms * 1e6));
  const whole = Math.floor(ns / 1e9);
  const frac = ns - whole * 1e9;
  if (frac === 0) return `${whole}s`;
  return `${whole}.${String(frac).padStart(9, '0').replace(/0+$/, '')}s`;
}

const LABELS: ReadonlyMap<string, Formatter> = new Map<string, Formatter>([
  ['{type}', (e) => typeToString(e.req.qtype)],
  ['{name}', (e) => e.req.name],
  ['{class}', (e) => classToString(e.req.qclass)],
  ['{proto}', (e) => e.req.proto],
  ['{size}', (e) => String(e.req.len)],
  ['{remote}', (e) => rfc3986(e.req.ip)],
  ['{port}', (e) => String(e.req.port)],
  ['{local}', (e) => rfc3986(e.req.client.localAddress)],
  ['{>id}', (e) => String(e.req.id)],
  ['{>opcode}', (e) => String(e.req.query.opcode)],
  ['{>do}', (e) => (e.req.do ? 'true' : 'false')],
  ['{>bufsize}', (e) => String(e.req.size)],
  ['{rcode}', (e) => rcodeText(e.rcode)],
  ['{rsize}', (e) => String(e.rsize)],
  ['{duration}', (e) => secondsText(performance.now() - e.req.start)],
  ['{>rflags}', (e) => (e.rflags === undefined ? EMPTY_VALUE : flagsText(e.rflags))],
]);

/** The placeholders the format language knows (metadata `{/key}` aside). */
export const KNOWN_LABELS: readonly string[] = [...LABELS.keys()];

type Part = string | Formatter;

/**
 * Splits a format into parts exactly like CoreDNS's parseFormat: find the next `}`, back up to
 * the nearest `{` before it; a known label or `{/metadata}` becomes a value, anything else
 * (including a lone `}`) stays literal.
 */
export function parseFormat(format: string): Part[] {
  const parts: Part[] = [];
  let lit = '';
  let s = format;
  const push = (p: Formatter) => {
    if (lit !== '') parts.push(lit);
    lit = '';
    parts.push(p);
  };
  for (;;) {
    const j = s.indexOf('}');
    if (j < 0) break;
    const i = s.lastIndexOf('{', j);
    const val = i < 0 ? '' : s.slice(i, j + 1);
    const label = LABELS.get(val);
    if (label !== undefined) {
      lit += s.slice(0, i);
      push(label);
    } else if (val.startsWith('{/')) {
      const key = val.slice(2, -1);
      lit += s.slice(0, i);
      push((e) => e.req.metadata(key) ?? EMPTY_VALUE);
    } else {
      lit += s.slice(0, j + 1);
    }
    s = s.slice(j + 1);
  }
  lit += s;
  if (lit !== '') parts.push(lit);
  return parts;
}

/** Compiles a format into a function building the line for one query. */
export function compileFormat(format: string): Formatter {
  const parts = parseFormat(format);
  if (parts.length === 0) return () => '';
  if (parts.length === 1) {
    const only = parts[0]!;
    return typeof only === 'string' ? () => only : only;
  }
  return (e) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(e);
    return out;
  };
}
