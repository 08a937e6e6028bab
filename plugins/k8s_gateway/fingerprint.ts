/**
 * A 60-bit fingerprint of a JSON-like value, so the index can tell an unchanged object in a
 * relist or file reload without keeping the object itself. Key order does not matter (like the
 * deep comparison it stands in for): an object's entries are combined by addition.
 */

/** Two independent 30-bit lanes: small integers, stored unboxed in the entries that keep them. */
export interface Fingerprint {
  readonly fp0: number;
  readonly fp1: number;
}

// Lane state for the walk in progress; the walk is synchronous and never re-entered.
let h0 = 0;
let h1 = 0;

function mix(x: number): void {
  h0 = Math.imul(h0 ^ x, 0x01000193);
  h1 = Math.imul(h1 ^ x, 0x5bd1e995);
  h1 ^= h1 >>> 15;
}

function mixString(s: string): void {
  mix(s.length);
  for (let i = 0; i < s.length; i++) mix(s.charCodeAt(i));
}

/** Tags keep `"1"` apart from `1`, `[]` from `{}`, and so on. */
const enum Tag {
  Null = 1,
  False,
  True,
  Number,
  String,
  Array,
  Object,
  Other,
}

function walk(v: unknown): void {
  if (v === null || v === undefined) return mix(Tag.Null);
  switch (typeof v) {
    case 'boolean':
      return mix(v ? Tag.True : Tag.False);
    case 'number':
      mix(Tag.Number);
      return mixString(String(v));
    case 'string':
      mix(Tag.String);
      return mixString(v);
    case 'object':
      break;
    default:
      mix(Tag.Other);
      return mixString(String(v));
  }
  if (Array.isArray(v)) {
    mix(Tag.Array);
    mix(v.length);
    for (const item of v) walk(item);
    return;
  }
  // Entries hashed on their own and summed: the same set of entries in any order sums alike.
  const keys = Object.keys(v);
  let s0 = 0;
  let s1 = 0;
  const o0 = h0;
  const o1 = h1;
  for (const k of keys) {
    h0 = 0x811c9dc5;
    h1 = 0x2545f491;
    mixString(k);
    walk((v as Record<string, unknown>)[k]);
    s0 = (s0 + h0) | 0;
    s1 = (s1 + h1) | 0;
  }
  h0 = o0;
  h1 = o1;
  mix(Tag.Object);
  mix(keys.length);
  mix(s0);
  mix(s1);
}

export function fingerprint(v: unknown): Fingerprint {
  h0 = 0x811c9dc5;
  h1 = 0x2545f491;
  walk(v);
  return { fp0: (h0 ^ (h0 >>> 17)) & 0x3fffffff, fp1: (h1 ^ (h1 >>> 13)) & 0x3fffffff };
}
