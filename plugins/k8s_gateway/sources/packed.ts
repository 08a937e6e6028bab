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

/** One object with where it was in its file: document number (1-based) and List item (1-based, 0 if none). */
export interface PackedObject {
  readonly doc: number;
  readonly item: number;
  readonly obj: KubeObject;
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
 * Rows of [doc u32, item u32, length u32, serialised object]. Each object is serialised on its
 * own: one serialiser for many objects would keep every one of them alive (it remembers what it
 * wrote, for back-references) until the file is done.
 */
export class PackWriter {
  private readonly open = new Map<ObjectKind, { b: Bytes; count: number }>();

  add(kind: ObjectKind, doc: number, item: number, obj: KubeObject): void {
    let w = this.open.get(kind);
    if (w === undefined) {
      w = { b: new Bytes(), count: 0 };
      this.open.set(kind, w);
    }
    const v = serialize(obj);
    const b = w.b;
    b.reserve(12 + v.length);
    b.buf.writeUInt32LE(doc, b.len);
    b.buf.writeUInt32LE(item, b.len + 4);
    b.buf.writeUInt32LE(v.length, b.len + 8);
    v.copy(b.buf, b.len + 12);
    b.len += 12 + v.length;
    w.count++;
  }

  finish(): Packs {
    const out = new Map<ObjectKind, Pack>();
    for (const [kind, { b, count }] of this.open) out.set(kind, { bytes: deflateRawSync(b.buf.subarray(0, b.len), { level: 1 }), count });
    this.open.clear();
    return out;
  }
}

export function unpack(pack: Pack): PackedObject[] {
  const b = inflateRawSync(pack.bytes);
  const out: PackedObject[] = [];
  let off = 0;
  for (let i = 0; i < pack.count; i++) {
    const doc = b.readUInt32LE(off);
    const item = b.readUInt32LE(off + 4);
    const len = b.readUInt32LE(off + 8);
    out.push({ doc, item, obj: deserialize(b.subarray(off + 12, off + 12 + len)) as KubeObject });
    off += 12 + len;
  }
  return out;
}

export function countOf(packs: Packs): number {
  let n = 0;
  for (const p of packs.values()) n += p.count;
  return n;
}
