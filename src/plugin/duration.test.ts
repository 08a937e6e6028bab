import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  const ok: Array<[string, number]> = [
    ['0', 0],
    ['+0', 0],
    ['-0', 0],
    ['5m', 300_000],
    ['30s', 30_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['.5s', 500],
    ['1.s', 1000],
    ['-2us', -0.002],
    ['100ns', 0.0001],
    ['3µs', 0.003],
    ['3μs', 0.003],
    ['1h1m1s1ms', 3_661_001],
    ['0s', 0],
    ['+10s', 10_000],
    ['1m0.25s', 60_250],
  ];
  it.each(ok)('parses %j', (input, ms) => {
    expect(parseDuration(input)).toBeCloseTo(ms, 9);
  });

  const bad: Array<[string, string]> = [
    ['', 'time: invalid duration ""'],
    ['-', 'time: invalid duration "-"'],
    ['s', 'time: invalid duration "s"'],
    ['.s', 'time: invalid duration ".s"'],
    ['1', 'time: missing unit in duration "1"'],
    ['1s2', 'time: missing unit in duration "1s2"'],
    ['1.5.5s', 'time: missing unit in duration "1.5.5s"'],
    ['5d', 'time: unknown unit "d" in duration "5d"'],
    ['1e3s', 'time: unknown unit "e" in duration "1e3s"'],
    ['1 s', 'time: unknown unit " s" in duration "1 s"'],
    ['x', 'time: invalid duration "x"'],
    ['3000000h', 'time: invalid duration "3000000h"'],
  ];
  it.each(bad)('rejects %j', (input, msg) => {
    expect(() => parseDuration(input)).toThrow(msg);
  });
});

describe('formatDuration', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [0.000001, '1ns'],
    [0.0015, '1.5µs'],
    [500, '500ms'],
    [1.25, '1.25ms'],
    [30_000, '30s'],
    [300_000, '5m0s'],
    [5_400_000, '1h30m0s'],
    [90_500, '1m30.5s'],
    [-1500, '-1.5s'],
    [100 * 3_600_000, '100h0m0s'],
  ];
  it.each(cases)('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const s of ['1h30m0s', '5m0s', '30s', '500ms', '1.5µs', '42ns']) expect(formatDuration(parseDuration(s))).toBe(s);
  });
});
