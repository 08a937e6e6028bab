import { describe, expect, it, vi } from 'vitest';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex } from '../../src/corefile/lexer.js';
import { parse } from './setup.js';
import { Reload } from './reload.js';
import type { ConfigControl } from '../../src/plugin/plugin.js';

const d = (s: string) => new Dispenser(lex(s, 'Corefile'));

describe('reload setup', () => {
  it.each([
    ['reload', 30_000, 15_000],
    ['reload 10s', 10_000, 5_000],
    ['reload 10s 2s', 10_000, 2_000],
    ['reload 1m 1s', 60_000, 1_000],
  ])('%s', (src, interval, jitter) => {
    const cfg = parse(d(src), () => 0.5);
    expect(cfg.intervalMs).toBe(interval);
    expect(cfg.jitterMs).toBe(jitter);
    expect(cfg.periodMs).toBe(interval);
  });

  it('spreads the period by at most half the jitter', () => {
    expect(parse(d('reload 10s 2s'), () => 0).periodMs).toBe(9_000);
    expect(parse(d('reload 10s 2s'), () => 0.999).periodMs).toBeLessThan(11_000);
  });

  it.each([
    ['reload 1s', 'interval value must be greater or equal to 2s'],
    ['reload 10s 500ms', 'jitter value must be greater or equal to 1s'],
    ['reload 10s 2s 3s', "Wrong argument count or unexpected line ending after '3s'"],
    ['reload abc', 'time: invalid duration "abc"'],
  ])('%s fails', (src, msg) => {
    expect(() => parse(d(src))).toThrow(msg);
  });
});

describe('reload check', () => {
  it('reloads only when the hash changed', async () => {
    let current = 'a';
    const reload = vi.fn(async () => true);
    const control: ConfigControl = { hash: 'a', currentHash: async () => current, reload };
    const r = new Reload({ periodMs: 2000, intervalMs: 2000, jitterMs: 1000 }, control);
    expect(await r.check()).toBe(false);
    expect(reload).not.toHaveBeenCalled();
    current = 'b';
    expect(await r.check()).toBe(true);
    expect(reload).toHaveBeenCalledWith('timer');
  });

  it('survives a Corefile that no longer parses', async () => {
    const control: ConfigControl = {
      hash: 'a',
      currentHash: async () => {
        throw new Error('Corefile:1 - Error during parsing: Unexpected EOF');
      },
      reload: async () => true,
    };
    expect(await new Reload({ periodMs: 2000, intervalMs: 2000, jitterMs: 1000 }, control).check()).toBe(false);
  });
});
