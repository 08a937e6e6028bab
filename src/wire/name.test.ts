import { describe, expect, it } from 'vitest';
import { encodeName, isSubdomain, parentName, readName, readPlainName, readPlainNameLower, normalizeName, checkName, writeName } from './name.js';

describe('readName', () => {
  it.each([
    ['example.org.', 'example.org.'],
    ['.', '.'],
    ['Foo.Example.ORG.', 'Foo.Example.ORG.'],
    ['a\\.b.example.', 'a\\.b.example.'],
    ['sp\\032ace.example.', 'sp\\032ace.example.'],
  ])('round-trips %s', (name, want) => {
    const wire = encodeName(name);
    expect(readName(wire, 0).name).toBe(want);
    expect(readName(wire, 0).end).toBe(wire.length);
  });

  it('lowercases ASCII only when asked', () => {
    expect(readName(encodeName('WwW.Example.Org.'), 0, true).name).toBe('www.example.org.');
  });

  it('follows compression pointers and reports the end after the pointer', () => {
    const buf = Buffer.concat([encodeName('example.org.'), Buffer.from([3, 0x77, 0x77, 0x77, 0xc0, 0x00])]);
    expect(readName(buf, 13)).toEqual({ name: 'www.example.org.', end: 19 });
  });

  it.each([
    ['pointer loop', Buffer.from([0xc0, 0x00])],
    ['forward pointer', Buffer.from([0xc0, 0x02, 0x00])],
    ['truncated label', Buffer.from([5, 0x61, 0x62])],
    ['missing terminator', Buffer.from([1, 0x61])],
    ['reserved label type', Buffer.from([0x40, 0x00])],
  ])('rejects %s', (_, buf) => {
    expect(() => readName(buf, 0)).toThrow();
  });

  it('rejects names over 255 octets', () => {
    const labels = Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x61)]));
    expect(() => readName(Buffer.concat([...labels, Buffer.from([0])]), 0)).toThrow(/255/);
  });
});

describe('name helpers', () => {
  it.each([
    ['example.org.', 'www.example.org.', true],
    ['example.org.', 'example.org.', true],
    ['example.org.', 'wwwexample.org.', false],
    ['.', 'anything.', true],
    ['b.c.', 'a\\.b.c.', false],
  ])('isSubdomain(%s, %s) = %s', (zone, name, want) => {
    expect(isSubdomain(zone, name)).toBe(want);
  });

  it('walks parents', () => {
    expect(parentName('a.b.c.')).toBe('b.c.');
    expect(parentName('c.')).toBe('.');
    expect(parentName('.')).toBeUndefined();
    expect(parentName('a\\.b.c.')).toBe('c.');
  });

  it('normalises and checks', () => {
    expect(normalizeName('Example.ORG')).toBe('example.org.');
    expect(checkName('a'.repeat(64) + '.org')).toMatch(/63/);
    expect(checkName('ok.example.org')).toBeUndefined();
  });
});

describe('readPlainNameLower (the question fast path)', () => {
  const names = ['.', 'a.', 'WwW.ExAmPlE.CoM.', 'svc-1.ns_2.example.com.', `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}.`];
  for (const n of names) {
    it(`agrees with readName for ${n.slice(0, 40)}`, () => {
      const wire = encodeName(n);
      expect(readPlainNameLower(wire, 0)).toEqual(readName(wire, 0, true));
    });
  }
  it('leaves escapes, pointers and bad lengths to readName', () => {
    expect(readPlainNameLower(Buffer.from([3, 0x61, 0x2e, 0x62, 0]), 0)).toBeUndefined();
    expect(readPlainNameLower(Buffer.from([1, 0x61, 0xc0, 0x00]), 0)).toBeUndefined();
    expect(readPlainNameLower(Buffer.from([5, 0x61]), 0)).toBeUndefined();
    expect(readPlainNameLower(Buffer.from([1, 0x20, 0]), 0)).toBeUndefined();
  });
});

describe('readPlainName (the reply fast path)', () => {
  it.each(['example.org.', '.', 'Foo.Example.ORG.', '_sip._udp.example.org.', 'a-b.x.'])('agrees with readName on %s', (name) => {
    const wire = encodeName(name);
    expect(readPlainName(wire, 0)).toEqual(readName(wire, 0));
  });

  it('follows compression pointers, keeping the case', () => {
    const buf = Buffer.concat([encodeName('Example.org.'), Buffer.from([3, 0x57, 0x77, 0x77, 0xc0, 0x00])]);
    expect(readPlainName(buf, 13)).toEqual({ name: 'Www.Example.org.', end: 19 });
    expect(readPlainName(buf, 13)).toEqual(readName(buf, 13));
  });

  it.each([
    ['a byte that needs an escape', encodeName('a\\.b.example.')],
    ['a space', encodeName('sp\\032ace.example.')],
    ['pointer loop', Buffer.from([0xc0, 0x00])],
    ['forward pointer', Buffer.from([0xc0, 0x02, 0x00])],
    ['truncated label', Buffer.from([5, 0x61, 0x62])],
    ['missing terminator', Buffer.from([1, 0x61])],
    ['reserved label type', Buffer.from([0x40, 0x00])],
  ])('leaves %s to readName', (_what, buf) => {
    expect(readPlainName(buf, 0)).toBeUndefined();
  });
});

describe('writeName', () => {
  it.each(['example.org.', 'example.org', '.', '', 'Foo.Example.ORG.', 'a\\.b.example.', 'sp\\032ace.example.', `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}.`])(
    'writes what encodeName gives for %s',
    (name) => {
      const out = Buffer.alloc(300, 0xee);
      const end = writeName(out, 7, name);
      expect(out.subarray(7, end)).toEqual(encodeName(name));
      expect(out[end]).toBe(0xee);
    },
  );

  it.each(['a..b.', '.a.', `${'a'.repeat(64)}.`, `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}.`, 'x\u0100.'])(
    'refuses %s as encodeName does',
    (name) => {
      expect(() => encodeName(name)).toThrow();
      expect(() => writeName(Buffer.alloc(300), 0, name)).toThrow();
    },
  );
});
