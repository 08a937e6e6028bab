/**
 * The queries in flight on one connection or socket, by message ID. An ID whose query timed out
 * stays reserved for a while: its late reply must find nothing rather than the next query that
 * happened to draw the same ID (which would see a reply to another question).
 */
import { randomId } from './ids.js';

/** How long a timed-out query's ID stays unusable. */
const RETIRE_MS = 10_000;
/** Random draws before giving up on finding a free ID (only when ~all 65536 are taken). */
const MAX_DRAWS = 64;

export class IdTable<T> {
  private readonly live = new Map<number, T>();
  /** ID -> time it becomes free again; insertion order is expiry order (constant retention). */
  private readonly retired = new Map<number, number>();

  get size(): number {
    return this.live.size;
  }

  /** A free random ID bound to `value`, or -1 when none could be found. */
  add(value: T, now: number): number {
    this.purge(now);
    for (let i = 0; i < MAX_DRAWS; i++) {
      const id = randomId();
      if (this.live.has(id) || this.retired.has(id)) continue;
      this.live.set(id, value);
      return id;
    }
    return -1;
  }

  get(id: number): T | undefined {
    return this.live.get(id);
  }

  /** Frees an ID whose reply arrived. */
  delete(id: number): void {
    this.live.delete(id);
  }

  /** Frees an ID whose query gave up, but keeps it from being drawn for a while. */
  retire(id: number, now: number): void {
    if (!this.live.delete(id)) return;
    this.retired.delete(id);
    this.retired.set(id, now + RETIRE_MS);
  }

  /** A reply for a retired ID: late, dropped; the ID can be drawn again. */
  takeRetired(id: number): boolean {
    return this.retired.delete(id);
  }

  values(): IterableIterator<T> {
    return this.live.values();
  }

  clear(): void {
    this.live.clear();
  }

  private purge(now: number): void {
    if (this.retired.size === 0) return;
    for (const [id, until] of this.retired) {
      if (until > now) break;
      this.retired.delete(id);
    }
  }
}
