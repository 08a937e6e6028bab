/**
 * Domain names between wire form and presentation form.
 *
 * Presentation names are fully qualified with a trailing dot ("example.org.", root is "."),
 * with RFC 4343 escapes (`\.` and `\DDD`) for bytes that would otherwise be ambiguous, so any
 * wire name round-trips. Lowercasing is ASCII-only (RFC 4343 §3).
 */

export class NameError extends Error {}

const MAX_NAME_WIRE = 255;
const MAX_LABEL = 63;
const MAX_POINTER_HOPS = 64;

// 0 = copy as is, 1 = needs "\c" escape, 2 = needs "\DDD" escape
const escapeKind = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  if (b < 0x21 || b > 0x7e) escapeKind[b] = 2;
}
for (const c of '.\\"()@;$ ') escapeKind[c.charCodeAt(0)] = c === ' ' ? 2 : 1;

function appendLabel(out: string, buf: Uint8Array, start: number, len: number, lower: boolean): string {
  let plain = true;
  for (let i = start; i < start + len; i++) {
    if (escapeKind[buf[i]!] !== 0) {
      plain = false;
      break;
    }
  }
  if (plain) {
    const s = Buffer.prototype.latin1Slice.call(buf, start, start + len) as string;
    return out + (lower ? s.toLowerCase() : s) + '.';
  }
  let s = '';
  for (let i = start; i < start + len; i++) {
    let b = buf[i]!;
    if (lower && b >= 0x41 && b <= 0x5a) b += 0x20;
    const k = escapeKind[b];
    if (k === 0) s += String.fromCharCode(b);
    else if (k === 1) s += '\\' + String.fromCharCode(b);
    else s += '\\' + String(b).padStart(3, '0');
  }
  return out + s + '.';
}

const scratch = Buffer.allocUnsafe(MAX_NAME_WIRE);

/**
 * The per-query fast path of readName(buf, off, true) for the common question: no compression,
 * only bytes that need no escaping. The lowercased name is assembled in a scratch buffer and
 * made one flat string (a label-by-label concatenation is a rope that every Map lookup would
 * have to flatten again). Returns undefined when the slow path must decide.
 */
export function readPlainNameLower(buf: Uint8Array, off: number): ReadName | undefined {
  let pos = off;
  let n = 0;
  for (;;) {
    if (pos >= buf.length) return undefined;
    const len = buf[pos]!;
    if (len === 0) break;
    if (len > MAX_LABEL || pos + 1 + len > buf.length || n + len + 2 > MAX_NAME_WIRE) return undefined;
    for (let i = pos + 1; i <= pos + len; i++) {
      let b = buf[i]!;
      if (escapeKind[b] !== 0) return undefined;
      if (b >= 0x41 && b <= 0x5a) b += 0x20;
      scratch[n++] = b;
    }
    scratch[n++] = 0x2e;
    pos += len + 1;
  }
  return { name: n === 0 ? '.' : (Buffer.prototype.latin1Slice.call(scratch, 0, n) as string), end: pos + 1 };
}

export interface ReadName {
  /** Presentation form, fully qualified. */
  name: string;
  /** Offset just after the name in the message (after the first pointer, if any). */
  end: number;
}

/**
 * Reads a possibly compressed name starting at `off`. Throws NameError on truncation, loops,
 * forward-only violations or oversized names.
 */
export function readName(buf: Uint8Array, off: number, lower = false): ReadName {
  let out = '';
  let pos = off;
  let end = -1;
  let hops = 0;
  let wireLen = 1;
  for (;;) {
    if (pos >= buf.length) throw new NameError('name runs past end of message');
    const len = buf[pos]!;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= buf.length) throw new NameError('compression pointer runs past end of message');
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (end < 0) end = pos + 2;
      if (++hops > MAX_POINTER_HOPS || target >= pos) throw new NameError('bad compression pointer');
      pos = target;
      continue;
    }
    if (kind !== 0) throw new NameError(`unsupported label type 0x${kind.toString(16)}`);
    if (pos + 1 + len > buf.length) throw new NameError('label runs past end of message');
    wireLen += len + 1;
    if (wireLen > MAX_NAME_WIRE) throw new NameError('name longer than 255 octets');
    out = appendLabel(out, buf, pos + 1, len, lower);
    pos += len + 1;
  }
  return { name: out === '' ? '.' : out, end };
}

/**
 * The fast path of readName(buf, off) (letter case kept, compression pointers followed) for
 * names whose bytes need no escaping: assembled in the scratch buffer and made one string.
 * Returns undefined when readName must decide (escapes, or anything malformed).
 */
export function readPlainName(buf: Uint8Array, off: number): ReadName | undefined {
  let pos = off;
  let end = -1;
  let hops = 0;
  let n = 0;
  for (;;) {
    if (pos >= buf.length) return undefined;
    const len = buf[pos]!;
    if (len === 0) break;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) return undefined;
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (end < 0) end = pos + 2;
      if (++hops > MAX_POINTER_HOPS || target >= pos) return undefined;
      pos = target;
      continue;
    }
    if (len > MAX_LABEL || pos + 1 + len > buf.length || n + len + 2 > MAX_NAME_WIRE) return undefined;
    for (let i = pos + 1; i <= pos + len; i++) {
      const b = buf[i]!;
      if (escapeKind[b] !== 0) return undefined;
      scratch[n++] = b;
    }
    scratch[n++] = 0x2e;
    pos += len + 1;
  }
  if (end < 0) end = pos + 1;
  return { name: n === 0 ? '.' : (Buffer.prototype.latin1Slice.call(scratch, 0, n) as string), end };
}

/** Skips a (possibly compressed) name without building it; returns the offset after it. */
export function skipName(buf: Uint8Array, off: number): number {
  let pos = off;
  for (;;) {
    if (pos >= buf.length) throw new NameError('name runs past end of message');
    const len = buf[pos]!;
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new NameError('compression pointer runs past end of message');
      return pos + 2;
    }
    if ((len & 0xc0) !== 0) throw new NameError('unsupported label type');
    pos += len + 1;
  }
}

/** Splits a presentation name into raw labels (escapes resolved). Root gives []. */
export function nameToLabels(name: string): Uint8Array[] {
  if (name === '.' || name === '') return [];
  const labels: Uint8Array[] = [];
  let cur: number[] = [];
  const n = name.length;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x5c) {
      // backslash escape
      const d = name.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(d)) {
        const v = Number(d);
        if (v > 255) throw new NameError(`bad escape \\${d} in ${JSON.stringify(name)}`);
        cur.push(v);
        i += 3;
      } else if (i + 1 < n) {
        cur.push(name.charCodeAt(i + 1) & 0xff);
        i += 1;
      } else {
        throw new NameError(`trailing backslash in ${JSON.stringify(name)}`);
      }
    } else if (c === 0x2e) {
      if (cur.length === 0) throw new NameError(`empty label in ${JSON.stringify(name)}`);
      labels.push(Uint8Array.from(cur));
      cur = [];
    } else {
      if (c > 0xff) throw new NameError(`non-ASCII character in ${JSON.stringify(name)} (use IDNA A-labels)`);
      cur.push(c);
    }
  }
  if (cur.length > 0) labels.push(Uint8Array.from(cur));
  for (const l of labels) {
    if (l.length > MAX_LABEL) throw new NameError(`label longer than 63 octets in ${JSON.stringify(name)}`);
  }
  return labels;
}

/** Uncompressed wire form of a presentation name. */
export function encodeName(name: string): Buffer {
  const labels = nameToLabels(name);
  let size = 1;
  for (const l of labels) size += l.length + 1;
  if (size > MAX_NAME_WIRE) throw new NameError(`name longer than 255 octets: ${JSON.stringify(name)}`);
  const out = Buffer.allocUnsafe(size);
  let p = 0;
  for (const l of labels) {
    out[p++] = l.length;
    out.set(l, p);
    p += l.length;
  }
  out[p] = 0;
  return out;
}

/**
 * Writes the uncompressed wire form of a presentation name into `out` at `off` (which must have
 * room for 255 bytes) and returns the offset after it: encodeName without the intermediate
 * arrays for names without escapes; the same result and the same errors.
 */
export function writeName(out: Buffer, off: number, name: string): number {
  if (name.includes('\\')) return writeEncoded(out, off, name);
  let lenAt = off;
  let p = off + 1;
  let label = 0;
  const n = name === '.' ? 0 : name.length;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2e) {
      if (label === 0 || label > MAX_LABEL) return writeEncoded(out, off, name);
      out[lenAt] = label;
      lenAt = p++;
      label = 0;
    } else {
      if (c > 0xff || p - off >= MAX_NAME_WIRE) return writeEncoded(out, off, name);
      out[p++] = c;
      label++;
    }
  }
  if (label > 0) {
    if (label > MAX_LABEL) return writeEncoded(out, off, name);
    out[lenAt] = label;
    lenAt = p++;
  }
  if (p - off > MAX_NAME_WIRE) return writeEncoded(out, off, name);
  out[lenAt] = 0;
  return p;
}

/** Escapes, and anything encodeName refuses (it throws then), take encodeName. */
function writeEncoded(out: Buffer, off: number, name: string): number {
  const w = encodeName(name);
  w.copy(out, off);
  return off + w.length;
}

/** Adds the trailing dot and lowercases (CoreDNS's plugin.Name(...).Normalize()). */
export function fqdn(name: string): string {
  if (name === '' || name === '.') return '.';
  return name.endsWith('.') && !name.endsWith('\\.') ? name : name + '.';
}

export function normalizeName(name: string): string {
  return lowerAscii(fqdn(name));
}

export function lowerAscii(s: string): string {
  return /[A-Z]/.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s;
}

/** True when `name` equals `zone` or lies below it; both lowercase FQDNs. */
export function isSubdomain(zone: string, name: string): boolean {
  if (zone === '.') return true;
  if (name.length < zone.length) return false;
  if (name.length === zone.length) return name === zone;
  return name.endsWith(zone) && name.charCodeAt(name.length - zone.length - 1) === 0x2e && !isEscapedDot(name, name.length - zone.length - 1);
}

function isEscapedDot(name: string, dotIndex: number): boolean {
  let backslashes = 0;
  for (let i = dotIndex - 1; i >= 0 && name.charCodeAt(i) === 0x5c; i--) backslashes++;
  return backslashes % 2 === 1;
}

/** Parent of a FQDN: "a.b.c." -> "b.c.", "c." -> ".", "." -> undefined. */
export function parentName(name: string): string | undefined {
  if (name === '.') return undefined;
  for (let i = 0; i < name.length - 1; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x5c) {
      i++;
      continue;
    }
    if (c === 0x2e) return name.slice(i + 1);
  }
  return '.';
}

export function countLabels(name: string): number {
  let n = 0;
  for (let cur: string | undefined = name; cur !== undefined && cur !== '.'; cur = parentName(cur)) n++;
  return n;
}

/** Syntax check for a presentation name (labels ≤ 63, total ≤ 255). Returns an error text or undefined. */
export function checkName(name: string): string | undefined {
  try {
    encodeName(fqdn(name));
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
