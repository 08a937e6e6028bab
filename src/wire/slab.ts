/**
 * Long-lived small byte strings (prepared answers) packed into shared chunks. A Buffer of its
 * own costs ~100 bytes of object on top of its data, more than a typical answer; tens of
 * thousands of them would dominate the memory of the answers. Chunks are never reused: one
 * lives while any string in it does, the same trade Node's own Buffer pool makes.
 */
const CHUNK_SIZE = 8192;
/** Strings above this get a chunk of their own, so one large answer does not waste a chunk. */
const MAX_SHARED = CHUNK_SIZE / 4;

export class Slab {
  private chunk: Buffer = Buffer.allocUnsafeSlow(CHUNK_SIZE);
  private used = 0;
  /** Chunk holding the string last stored. */
  last: Buffer = this.chunk;

  /** Copies `src[0, len)` in; returns its offset in `last`. */
  put(src: Uint8Array, len: number): number {
    if (len > MAX_SHARED) {
      this.last = Buffer.allocUnsafeSlow(len);
      this.last.set(src.subarray(0, len), 0);
      return 0;
    }
    if (this.used + len > CHUNK_SIZE) {
      this.chunk = Buffer.allocUnsafeSlow(CHUNK_SIZE);
      this.used = 0;
    }
    const at = this.used;
    this.chunk.set(src.subarray(0, len), at);
    this.used += len;
    this.last = this.chunk;
    return at;
  }
}
