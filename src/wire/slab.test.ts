import { describe, expect, it } from 'vitest';
import { Slab } from './slab.js';

describe('Slab', () => {
  it('packs small strings side by side and keeps their bytes', () => {
    const slab = new Slab();
    const a = slab.put(Buffer.from('hello'), 5);
    const chunkA = slab.last;
    const b = slab.put(Buffer.from('world!!'), 5);
    expect(slab.last).toBe(chunkA);
    expect(b).toBe(a + 5);
    expect(chunkA.toString('latin1', a, a + 5)).toBe('hello');
    expect(chunkA.toString('latin1', b, b + 5)).toBe('world');
  });

  it('starts a new chunk when one is full, and gives large strings their own', () => {
    const slab = new Slab();
    const first = slab.last;
    for (let i = 0; i < 10; i++) slab.put(Buffer.alloc(1000, i), 1000);
    expect(slab.last).not.toBe(first);
    const big = Buffer.alloc(5000, 7);
    expect(slab.put(big, 5000)).toBe(0);
    expect(slab.last.length).toBe(5000);
    expect(slab.last.equals(big)).toBe(true);
  });
});
