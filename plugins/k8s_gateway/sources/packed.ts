/**
 * The objects of one manifest file, kept serialised and compressed per kind between reads.
 *
 * The source must hand the full object set of a kind to the index whenever any file changes,
 * but the index itself keeps few objects (see index.ts ObjectEntry); held as objects, a folder
 * of tens of thousands would cost more memory than everything else together. Objects are
 * serialised as they are read, so they die young, and compressed (objects of one kind repeat
 * most of their bytes: ~10x even at the fastest level).
 */
import { deserialize, serialize } from 'node:v8';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { KubeObject, ObjectKind } from '../types.js';

/** One row of a pack without its object: where the object was in its file, and its key. */
export interface PackedRow {
  /** 1-based document number. */
  readonly doc: number;
  /** 1-based List item number, 0 if none. */
  readonly item: number;
  /** `objectKey` of the object, kept apart so choosing which copy wins needs no object. */
  readonly key: string;
}

export interface Pack {
  readonly bytes: Buffer;
  readonly count: number;
}

/** Per kind, in the order kinds were first seen. */
export type Packs = ReadonlyMap<ObjectKind, Pack>;

export const NO_PACKS: Packs = new Map();

/** A growing byte buffer outside the V8 heap. */
class Bytes {
  buf = Buffer.allocUnsafe(64 * 1024);
  len = 0;

  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
}

/**
 * Rows of [doc u32, item u32, key length u32, key (UTF-8), object length u32, serialised object].
 * Each object is serialised on its own: one serialiser for many objects would keep every one of
 * them alive (it remembers what it wrote, for back-references) until the file is done.
 */
export class PackWriter {
  private readonly open = new Map<ObjectKind, { b: Bytes; count: number }>();

  add(kind: ObjectKind, doc: number, item: number, key: string, obj: KubeObject): void {
    let w = this.open.get(kind);
    if (w === undefined) {
      w = { b: new Bytes(), count: 0 };
      this.open.set(kind, w);
    }
    const v = serialize(obj);
    const keyLen = Buffer.byteLength(key);
    const b = w.b;
    b.reserve(16 + keyLen + v.length);
    let at = b.len;
    b.buf.writeUInt32LE(doc, at);
    b.buf.writeUInt32LE(item, at + 4);
    b.buf.writeUInt32LE(keyLen, at + 8);
    at += 12 + b.buf.write(key, at + 12, 'utf8');
    b.buf.writeUInt32LE(v.length, at);
    v.copy(b.buf, at + 4);
    b.len = at + 4 + v.length;
    w.count++;
  }

  finish(): Packs {
    const out = new Map<ObjectKind, Pack>();
    for (const [kind, { b, count }] of this.open) out.set(kind, { bytes: deflateRawSync(b.buf.subarray(0, b.len), { level: 1 }), count });
    this.open.clear();
    return out;
  }
}

/** Where one row's parts lie in the inflated pack (see PackWriter for the layout). */
interface RowAt {
  readonly at: number;
  readonly keyEnd: number;
  readonly objectAt: number;
  readonly objectEnd: number;
}

function* rowsOf(b: Buffer, count: number): Generator<RowAt> {
  let at = 0;
  for (let i = 0; i < count; i++) {
    const keyEnd = at + 12 + b.readUInt32LE(at + 8);
    const objectAt = keyEnd + 4;
    const objectEnd = objectAt + b.readUInt32LE(keyEnd);
    yield { at, keyEnd, objectAt, objectEnd };
    at = objectEnd;
  }
}

/** The rows of a pack, in order, without deserialising any object. */
export function packedRows(pack: Pack): PackedRow[] {
  const b = inflateRawSync(pack.bytes);
  const out: PackedRow[] = [];
  for (const r of rowsOf(b, pack.count)) {
    out.push({ doc: b.readUInt32LE(r.at), item: b.readUInt32LE(r.at + 4), key: b.toString('utf8', r.at + 12, r.keyEnd) });
  }
  return out;
}

/**
 * The objects of the rows `want` accepts (by row number, 0-based), deserialised one at a time as
 * the consumer asks: a delivery of tens of thousands never holds them all at once.
 */
export function* packedObjects(pack: Pack, want: (row: number) => boolean): Generator<KubeObject> {
  const b = inflateRawSync(pack.bytes);
  let row = 0;
  for (const r of rowsOf(b, pack.count)) {
    if (want(row++)) yield deserialize(b.subarray(r.objectAt, r.objectEnd)) as KubeObject;
  }
}

export function countOf(packs: Packs): number {
  let n = 0;
  for (const p of packs.values()) n += p.count;
  return n;
}
