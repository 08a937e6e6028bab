import { describe, expect, it } from 'vitest';
import { type Timed, TimerWheel } from './timer-wheel.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function entry(deadline: number, fired: string[], name: string): Timed {
  return { deadline, wheelSlot: -1, wheelIndex: -1, onTimeout: () => fired.push(name) };
}

describe('TimerWheel', () => {
  it('fires entries at or after their deadline, in deadline order across ticks', async () => {
    const w = new TimerWheel(5, 64);
    const fired: string[] = [];
    const now = performance.now();
    w.add(entry(now + 60, fired, 'c'));
    w.add(entry(now + 20, fired, 'a'));
    w.add(entry(now + 40, fired, 'b'));
    expect(w.pending).toBe(3);
    await sleep(30);
    expect(fired).toEqual(['a']);
    await sleep(60);
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(w.pending).toBe(0);
  });

  it('never fires a removed entry, and swap-removal keeps the others', async () => {
    const w = new TimerWheel(5, 64);
    const fired: string[] = [];
    const now = performance.now();
    const es = ['a', 'b', 'c', 'd'].map((n) => entry(now + 20, fired, n));
    for (const e of es) w.add(e);
    w.remove(es[1]!);
    w.remove(es[1]!); // twice is harmless
    expect(es[1]!.wheelSlot).toBe(-1);
    expect(w.pending).toBe(3);
    await sleep(50);
    expect(fired.sort()).toEqual(['a', 'c', 'd']);
  });

  it('parks deadlines beyond one revolution and fires them on time', async () => {
    // 8 slots of 5 ms: a 40 ms horizon.
    const w = new TimerWheel(5, 8);
    const fired: string[] = [];
    const start = performance.now();
    const firedAt: number[] = [];
    w.add({ deadline: start + 100, wheelSlot: -1, wheelIndex: -1, onTimeout: () => firedAt.push(performance.now() - start) });
    w.add(entry(start + 10, fired, 'near'));
    await sleep(60);
    expect(fired).toEqual(['near']);
    expect(firedAt).toEqual([]);
    await sleep(80);
    expect(firedAt).toHaveLength(1);
    expect(firedAt[0]!).toBeGreaterThanOrEqual(100);
  });

  it('re-adding moves an entry; an entry added from a callback is scheduled', async () => {
    const w = new TimerWheel(5, 64);
    const fired: string[] = [];
    const now = performance.now();
    const e = entry(now + 10, fired, 'moved');
    w.add(e);
    e.deadline = now + 40;
    w.add(e);
    expect(w.pending).toBe(1);
    w.add({ deadline: now + 10, wheelSlot: -1, wheelIndex: -1, onTimeout: () => w.add(entry(performance.now() + 10, fired, 'chained')) });
    await sleep(25);
    expect(fired).toEqual([]);
    await sleep(40);
    expect(fired.sort()).toEqual(['chained', 'moved']);
  });
});
