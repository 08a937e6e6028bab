/**
 * Gives memory back to the system after a bulk load (an initial sync, a relist, a reload of many
 * manifests). Loading leaves V8's old generation sized for the load's transient garbage, and V8
 * keeps those pages, so a server that loaded 20,000 objects sat 20-40 MB above what it holds,
 * by chance of where the last collection fell. A "last resort" collection (V8's
 * LowMemoryNotification: full, compacting, freed pages returned) costs about 100 ms with 20,000
 * objects and brings RSS back to what is live. It runs at most once per cooldown; requests
 * meanwhile coalesce into one at the cooldown's end.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { log } from './log.js';

export type Collect = () => void;

const COOLDOWN_MS = 30_000;

/** V8's memory-reducing collection, or null where it cannot be had (then releasing does nothing). */
export function lastResortCollector(): Collect | null {
  try {
    // `gc` is installed in contexts created after the flag is set; the main one keeps none.
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    if (typeof gc !== 'function') return null;
    return () => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  } catch {
    return null;
  }
}

export class MemoryReleaser {
  private collect: Collect | null | undefined;
  private lastRun = Number.NEGATIVE_INFINITY;
  private pending: NodeJS.Timeout | undefined;

  constructor(
    private readonly collector: () => Collect | null = lastResortCollector,
    private readonly clock: () => number = () => performance.now(),
    private readonly cooldownMs = COOLDOWN_MS,
  ) {}

  /**
   * Releases memory now (synchronously, so that whatever is reported next, such as readiness,
   * already sees it), unless a release ran within the cooldown; then as `releaseSoon`.
   */
  release(why: string): void {
    if (this.clock() - this.lastRun < this.cooldownMs) this.releaseSoon(why);
    else this.run(why);
  }

  /** Schedules one release: on the next turn of the event loop, or when the cooldown ends. */
  releaseSoon(why: string): void {
    if (this.pending !== undefined) return;
    this.pending = setTimeout(
      () => {
        this.pending = undefined;
        this.run(why);
      },
      Math.max(0, this.lastRun + this.cooldownMs - this.clock()),
    );
    this.pending.unref();
  }

  private run(why: string): void {
    this.lastRun = this.clock();
    if (this.collect === undefined) this.collect = this.collector();
    if (this.collect === null) return;
    const before = process.memoryUsage.rss();
    this.collect();
    const ms = this.clock() - this.lastRun;
    log.debug(`memory released after ${why}: RSS ${mb(before)} -> ${mb(process.memoryUsage.rss())} MB in ${ms.toFixed(0)} ms`);
  }
}

function mb(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}

const shared = new MemoryReleaser();

/** See MemoryReleaser: now, or at the cooldown's end. */
export function releaseMemory(why: string): void {
  shared.release(why);
}

/** See MemoryReleaser: on the next turn of the event loop, or at the cooldown's end. */
export function releaseMemorySoon(why: string): void {
  shared.releaseSoon(why);
}
