import { describe, expect, it } from 'vitest';
import { parseHosts, parseHostsInSlices, type HostsMap, type ParseOptions } from './hostsfile.js';
import { addressFromReverse } from './reverse.js';

const ALL: ParseOptions = { zones: ['.'], autoReverse: true };

/** name -> address texts, for comparing. */
function names(m: ReadonlyMap<string, readonly { text: string }[]>): Record<string, string[]> {
  return Object.fromEntries([...m].map(([k, v]) => [k, v.map((a) => a.text)]));
}

function ptrNames(m: HostsMap): Record<string, string[]> {
  return Object.fromEntries([...m.byAddr].map(([k, v]) => [k, [...v]]));
}

function summary(m: HostsMap) {
  return { v4: names(m.v4), v6: names(m.v6), byAddr: ptrNames(m), size: m.size };
}

describe('parseHosts', () => {
  const tests: Array<{ name: string; text: string; opts?: ParseOptions; v4?: Record<string, string[]>; v6?: Record<string, string[]>; size?: number }> = [
    { name: 'canonical name and aliases', text: '192.0.2.1 host.example.org host alias.example.org', v4: { 'host.example.org.': ['192.0.2.1'], 'host.': ['192.0.2.1'], 'alias.example.org.': ['192.0.2.1'] } },
    { name: 'tabs and repeated blanks', text: '192.0.2.1\t\t host.example.org  \t alias', v4: { 'host.example.org.': ['192.0.2.1'], 'alias.': ['192.0.2.1'] } },
    { name: 'CRLF line ends', text: '192.0.2.1 a.example.org\r\n192.0.2.2 b.example.org\r\n', v4: { 'a.example.org.': ['192.0.2.1'], 'b.example.org.': ['192.0.2.2'] } },
    { name: 'names are lowercased and qualified', text: '192.0.2.1 Host.EXAMPLE.org. Other', v4: { 'host.example.org.': ['192.0.2.1'], 'other.': ['192.0.2.1'] } },
    { name: 'comment lines and trailing comments', text: '# 192.0.2.9 commented.example.org\n192.0.2.1 a.example.org # b.example.org\n192.0.2.2 c.example.org#d.example.org', v4: { 'a.example.org.': ['192.0.2.1'], 'c.example.org.': ['192.0.2.2'] } },
    { name: 'an address without names', text: '192.0.2.1\n192.0.2.2 # only a comment', v4: {} },
    { name: 'not an address', text: 'example.org 192.0.2.1\n192.0.2.300 bad.example.org\n010.0.0.1 octal.example.org\n1.2.3 short.example.org', v4: {} },
    { name: 'IPv6, zone dropped', text: '::1 localhost\nfe80::1%eth0 link.example.org\n2001:DB8::1 upper.example.org', v6: { 'localhost.': ['0:0:0:0:0:0:0:1'], 'link.example.org.': ['fe80:0:0:0:0:0:0:1'], 'upper.example.org.': ['2001:db8:0:0:0:0:0:1'] } },
    { name: 'IPv4-mapped IPv6 is IPv4', text: '::ffff:192.0.2.5 mapped.example.org\n::FFFF:c000:206 hex.example.org', v4: { 'mapped.example.org.': ['192.0.2.5'], 'hex.example.org.': ['192.0.2.6'] }, v6: {} },
    { name: 'IPv4-compatible IPv6 stays IPv6', text: '::192.0.2.7 compat.example.org', v4: {}, v6: { 'compat.example.org.': ['0:0:0:0:0:0:c000:207'] } },
    { name: 'several lines for one name, file order, duplicates once', text: '192.0.2.2 a.example.org\n192.0.2.1 a.example.org\n192.0.2.2 a.example.org a.example.org', v4: { 'a.example.org.': ['192.0.2.2', '192.0.2.1'] }, size: 4 },
    { name: 'names outside the zones are dropped', text: '192.0.2.1 a.example.org a.example.net localhost', opts: { zones: ['example.org.'], autoReverse: true }, v4: { 'a.example.org.': ['192.0.2.1'] }, size: 2 },
    { name: 'names that cannot be on the wire are dropped', text: `192.0.2.1 a..example.org ${'x'.repeat(64)}.example.org ok.example.org`, v4: { 'ok.example.org.': ['192.0.2.1'] } },
    { name: 'entries counted as CoreDNS does: by name plus by address', text: '192.0.2.1 a b\n::1 c', size: 6 },
    { name: 'no_reverse counts no PTR data', text: '192.0.2.1 a b\n::1 c', opts: { zones: ['.'], autoReverse: false }, size: 3 },
  ];
  it.each(tests)('$name', ({ text, opts, v4, v6, size }) => {
    const s = summary(parseHosts(text, opts ?? ALL));
    if (v4 !== undefined) expect(s.v4).toEqual(v4);
    if (v6 !== undefined) expect(s.v6).toEqual(v6);
    if (size !== undefined) expect(s.size).toBe(size);
  });

  it('keeps the names of each address for PTR, in file order, except wildcards', () => {
    const m = parseHosts('127.0.0.1 localhost localhost.domain\n192.0.2.1 *.example.org www.example.org\n::ffff:127.0.0.1 mapped', ALL);
    expect(ptrNames(m)).toEqual({
      '7f000001': ['localhost.', 'localhost.domain.', 'mapped.'],
      c0000201: ['www.example.org.'],
    });
    expect(names(m.v4)['*.example.org.']).toEqual(['192.0.2.1']);
  });

  it('parses a large blocklist in slices, letting the server answer meanwhile', async () => {
    const lines = ['127.0.0.1 localhost'];
    for (let i = 0; i < 25_000; i++) lines.push(`0.0.0.0 ads${i}.example.com # blocked`);
    const text = lines.join('\n');
    let turns = 0;
    const tick = setInterval(() => turns++, 0);
    const sliced = await parseHostsInSlices(text, ALL);
    clearInterval(tick);
    expect(turns).toBeGreaterThan(0);
    const whole = parseHosts(text, ALL);
    expect([sliced.v4.size, sliced.byAddr.size, sliced.size]).toEqual([whole.v4.size, whole.byAddr.size, whole.size]);
    expect(names(sliced.v4)['ads24999.example.com.']).toEqual(['0.0.0.0']);
    expect(sliced.byAddr.get('00000000')?.size).toBe(25_000);
    expect(sliced.size).toBe(50_002);
  });

  it('keeps no PTR data with no_reverse', () => {
    expect(parseHosts('127.0.0.1 localhost', { zones: ['.'], autoReverse: false }).byAddr.size).toBe(0);
  });
});

describe('addressFromReverse', () => {
  const tests: Array<[string, string | undefined]> = [
    ['1.2.0.192.in-addr.arpa.', '192.0.2.1'],
    ['2.0.192.in-addr.arpa.', undefined],
    ['5.1.2.0.192.in-addr.arpa.', undefined],
    ['256.2.0.192.in-addr.arpa.', undefined],
    ['01.2.0.192.in-addr.arpa.', undefined],
    ['1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.', '2001:db8:0:0:0:0:0:1'],
    ['5.0.2.0.0.0.0.c.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.', '192.0.2.5'],
    ['8.b.d.0.1.0.0.2.ip6.arpa.', undefined],
    ['g.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.', undefined],
    ['example.org.', undefined],
    ['in-addr.arpa.', undefined],
  ];
  it.each(tests)('%s', (name, want) => {
    expect(addressFromReverse(name)?.text).toBe(want);
  });
});
