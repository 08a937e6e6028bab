/**
 * One timer for every in-flight upstream query. A setTimeout per query costs a Timeout object
 * and a timer-list insert and removal per query; here a query is pushed into the bucket of its
 * deadline's tick and swap-removed when its reply arrives, both O(1) without allocation, and a
 * single timer walks the buckets only while something is waiting. Deadlines fire up to one tick
 * late, which is irrelevant for timeouts measured in seconds.
 */

/** Something that can time out; the wheel keeps its position in these fields. */
export interface Timed {
  /** performance.now() after which onTimeout runs. */
  deadline: number;
  /** Bucket and index in it, -1 when not scheduled (maintained by the wheel). */
  wheelSlot: number;
  wheelIndex: number;
  onTimeout(): void;
}

export class TimerWheel {
  private readonly buckets: Timed[][];
  /** The last tick whose bucket was processed. */
  private tick: number;
  private size = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly tickMs = 10,
    private readonly slots = 1024,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.buckets = Array.from({ length: slots }, () => []);
    this.tick = Math.floor(this.now() / tickMs);
  }

  /** Entries scheduled and not yet fired or removed. */
  get pending(): number {
    return this.size;
  }

  add(t: Timed): void {
    if (t.wheelSlot >= 0) this.remove(t);
    if (this.size === 0) this.tick = Math.floor(this.now() / this.tickMs);
    let at = Math.ceil(t.deadline / this.tickMs);
    if (at <= this.tick) at = this.tick + 1;
    // Beyond one revolution: park in the farthest bucket; it is re-filed when that bucket runs.
    if (at - this.tick >= this.slots) at = this.tick + this.slots - 1;
    const slot = at % this.slots;
    const b = this.buckets[slot]!;
    t.wheelSlot = slot;
    t.wheelIndex = b.length;
    b.push(t);
    this.size++;
    this.arm();
  }

  remove(t: Timed): void {
    const slot = t.wheelSlot;
    if (slot < 0) return;
    const b = this.buckets[slot]!;
    const last = b.pop()!;
    if (last !== t) {
      b[t.wheelIndex] = last;
      last.wheelIndex = t.wheelIndex;
    }
    t.wheelSlot = -1;
    t.wheelIndex = -1;
    if (--this.size === 0) this.disarm();
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(this.run, this.tickMs);
    // Waiting queries never keep the process alive on their own: their sockets decide that.
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly run = (): void => {
    this.timer = undefined;
    const now = this.now();
    const target = Math.floor(now / this.tickMs);
    const due: Timed[] = [];
    const parked: Timed[] = [];
    // After a stall longer than a revolution every bucket is visited once, not twice.
    const last = Math.min(target, this.tick + this.slots);
    for (let tick = this.tick + 1; tick <= last; tick++) {
      const b = this.buckets[tick % this.slots]!;
      for (let i = b.length - 1; i >= 0; i--) {
        const t = b[i]!;
        this.remove(t);
        // An entry filed at a tick already reached is due, unless it was parked there from beyond the horizon.
        (t.deadline <= now ? due : parked).push(t);
      }
    }
    this.tick = target;
    for (const t of parked) this.add(t);
    for (const t of due) t.onTimeout();
    if (this.size > 0) this.arm();
  };
}

/** The wheel every upstream connection of the process shares. */
export const sharedWheel = new TimerWheel();
