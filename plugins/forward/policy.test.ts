import { describe, expect, it } from 'vitest';
import { newPolicy, random, roundRobin, sequential } from './policy.js';

describe('policies', () => {
  const items = ['a', 'b', 'c', 'd'];

  it('sequential keeps configuration order', () => {
    expect(sequential.list(items)).toEqual(items);
    expect(newPolicy('sequential')).toBe(sequential);
  });

  it('round_robin starts one further each time, the rest in order (first call starts at the second)', () => {
    const p = roundRobin();
    expect([1, 2, 3, 4, 5].map(() => p.list(items).join(''))).toEqual(['bacd', 'cabd', 'dabc', 'abcd', 'bacd']);
    // Each instance has its own counter.
    expect(newPolicy('round_robin').list(items).join('')).toBe('bacd');
  });

  it('random permutes, and swaps two upstreams half of the time', () => {
    expect(random.list(['x'])).toEqual(['x']);
    const firsts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const l = random.list(items);
      expect([...l].sort()).toEqual(items);
      firsts.set(l[0]!, (firsts.get(l[0]!) ?? 0) + 1);
    }
    for (const x of items) expect(firsts.get(x)).toBeGreaterThan(350);
    let swapped = 0;
    for (let i = 0; i < 2000; i++) if (random.list(['a', 'b'])[0] === 'b') swapped++;
    expect(swapped).toBeGreaterThan(850);
    expect(swapped).toBeLessThan(1150);
  });
});
