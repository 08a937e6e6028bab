import { afterEach, describe, expect, it, vi } from 'vitest';
import { lastResortCollector, MemoryReleaser } from './memory-release.js';

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('MemoryReleaser', () => {
  afterEach(() => vi.useRealTimers());

  it('collects garbage at once with V8 last-resort collection', async () => {
    const collect = lastResortCollector();
    expect(collect).toBeTypeOf('function');
    let garbage: object | undefined = { big: new Array(1000).fill('x') };
    const ref = new WeakRef(garbage);
    garbage = undefined;
    await tick(); // a WeakRef keeps its target alive until the job that made it ends
    new MemoryReleaser().release('test');
    expect(ref.deref()).toBeUndefined();
  });

  it('runs at most once per cooldown; requests meanwhile coalesce into one at its end', () => {
    vi.useFakeTimers();
    let t = 1000;
    const runs: number[] = [];
    const r = new MemoryReleaser(() => () => runs.push(t), () => t, 30_000);
    r.release('first');
    expect(runs).toEqual([1000]);
    t = 11_000;
    r.release('second');
    r.releaseSoon('third');
    expect(runs).toEqual([1000]);
    t = 31_000;
    vi.advanceTimersByTime(20_000);
    expect(runs).toEqual([1000, 31_000]);
    vi.advanceTimersByTime(60_000);
    expect(runs).toHaveLength(2);
  });

  it('releaseSoon waits for the next turn when no release ran lately', () => {
    vi.useFakeTimers();
    const runs: string[] = [];
    const r = new MemoryReleaser(() => () => runs.push('gc'), () => 0, 30_000);
    r.releaseSoon('load');
    expect(runs).toEqual([]);
    vi.advanceTimersByTime(0);
    expect(runs).toEqual(['gc']);
  });

  it('does nothing where the collector cannot be had', () => {
    const r = new MemoryReleaser(() => null);
    expect(() => r.release('x')).not.toThrow();
  });
});
