import { describe, expect, it } from 'vitest';
import { addressString, isDomainName, normalizeHostExact, parseKey, splitHostPort, type ZoneAddress } from './address.js';
import { CorefileError } from './types.js';

const z = (zone: string, port = 53, transport: ZoneAddress['transport'] = 'dns'): string => addressString({ transport, zone, port });
const keys = (key: string, dnsPort = 53): string[] => parseKey(key, dnsPort).map(addressString);

describe('parseKey', () => {
  const cases: { key: string; dnsPort?: number; want: string[] }[] = [
    { key: 'example.org', want: [z('example.org.')] },
    { key: 'example.org.', want: [z('example.org.')] },
    { key: 'Example.ORG', want: [z('example.org.')] },
    { key: 'example.org:1053', want: [z('example.org.', 1053)] },
    { key: 'example.org.:1053', want: [z('example.org.', 1053)] },
    { key: 'dns://example.org:1053', want: [z('example.org.', 1053)] },
    { key: 'dns://example.org', want: [z('example.org.')] },
    { key: '.', want: [z('.')] },
    { key: '.:53', want: [z('.')] },
    { key: '.:5300', want: [z('.', 5300)] },
    { key: ':53', want: [z('.')] },
    { key: ':1053', want: [z('.', 1053)] },
    { key: 'dns://.:53', want: [z('.')] },
    { key: 'dns://:53', want: [z('.')] },
    // Atoi accepts a sign; a port without digits after the colon is part of the host
    { key: 'example.org:+53', want: [z('example.org.')] },
    { key: 'example.org:abc', want: [z('example.org:abc.')] },
    // the host part is a zone, even when it looks like an address
    { key: '[::1]:53', want: [z('[::1].')] },
    { key: '127.0.0.1', want: [z('127.0.0.1.')] },
    // an unknown scheme is not a scheme
    { key: 'http://example.org', want: [z('http://example.org.')] },
    // the -dns.port flag changes only the dns default
    { key: 'example.org', dnsPort: 1053, want: [z('example.org.', 1053)] },
    { key: 'example.org:53', dnsPort: 1053, want: [z('example.org.', 53)] },
    { key: 'tls://example.org', dnsPort: 1053, want: [z('example.org.', 853, 'tls')] },
    { key: 'quic://example.org', want: [z('example.org.', 853, 'quic')] },
    { key: 'grpc://example.org', want: [z('example.org.', 443, 'grpc')] },
    { key: 'https://example.org', want: [z('example.org.', 443, 'https')] },
    { key: 'https3://example.org', want: [z('example.org.', 443, 'https3')] },
    { key: 'tls://.:8853', want: [z('.', 8853, 'tls')] },
    { key: 'https://example.org:8443', want: [z('example.org.', 8443, 'https')] },
    // reverse zones
    { key: '10.0.0.0/8', want: [z('10.in-addr.arpa.')] },
    { key: '10.0.0.0/8:53', want: [z('10.in-addr.arpa.')] },
    { key: '10.0.0.0/16', want: [z('0.10.in-addr.arpa.')] },
    { key: '10.0.0.0/24', want: [z('0.0.10.in-addr.arpa.')] },
    { key: '10.0.0.0/24:1053', want: [z('0.0.10.in-addr.arpa.', 1053)] },
    { key: 'dns://10.0.0.0/24:1053', want: [z('0.0.10.in-addr.arpa.', 1053)] },
    { key: '10.0.0.5/24', want: [z('0.0.10.in-addr.arpa.')] },
    { key: '192.168.1.7/32', want: [z('7.1.168.192.in-addr.arpa.')] },
    { key: '0.0.0.0/0', want: [z('in-addr.arpa.')] },
    { key: '10.0.0.0/15', want: [z('0.10.in-addr.arpa.'), z('1.10.in-addr.arpa.')] },
    { key: '10.0.0.0/23', want: [z('0.0.10.in-addr.arpa.'), z('1.0.10.in-addr.arpa.')] },
    { key: '10.1.2.0/30', want: [0, 1, 2, 3].map((n) => z(`${n}.2.1.10.in-addr.arpa.`)) },
    { key: '2001:db8::/32', want: [z('8.b.d.0.1.0.0.2.ip6.arpa.')] },
    { key: '2001:db8::/48:1053', want: [z('0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.', 1053)] },
    {
      key: '2001:db8::/30',
      want: ['8', '9', 'a', 'b'].map((n) => z(`${n}.b.d.0.1.0.0.2.ip6.arpa.`)),
    },
    {
      key: '2001:db8::/29',
      want: ['8', '9', 'a', 'b', 'c', 'd', 'e', 'f'].map((n) => z(`${n}.b.d.0.1.0.0.2.ip6.arpa.`)),
    },
    {
      key: '2001:db8::/115',
      want: ['0', '1'].map((n) => z(`${n}.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.`)),
    },
    { key: '2001:db8::/112', want: [z('0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.')] },
    { key: '2000::/3', want: [z('2.ip6.arpa.'), z('3.ip6.arpa.')] },
    { key: '64:ff9b::10.0.0.0/120', want: [z('0.0.0.0.a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa.')] },
    // not a valid prefix: CoreDNS takes it as a (strange) zone name
    { key: '10.0.0.0/33', want: [z('10.0.0.0/33.')] },
    { key: '10.0.0.300/24', want: [z('10.0.0.300/24.')] },
  ];
  it.each(cases)('$key', ({ key, dnsPort, want }) => {
    expect(keys(key, dnsPort)).toEqual(want);
  });

  it('expands a non-octet IPv4 mask to every reverse zone at the next octet', () => {
    const got = parseKey('10.0.0.0/27', 53);
    expect(got).toHaveLength(32);
    expect(got[0]).toEqual({ transport: 'dns', zone: '0.0.0.10.in-addr.arpa.', port: 53, cidr: '10.0.0.0/27' });
    expect(got[31]!.zone).toBe('31.0.0.10.in-addr.arpa.');
    const slash18 = parseKey('10.9.3.0/18', 53).map((a) => a.zone);
    expect(slash18).toHaveLength(64);
    expect(slash18.slice(0, 3)).toEqual(['0.9.10.in-addr.arpa.', '1.9.10.in-addr.arpa.', '2.9.10.in-addr.arpa.']);
    expect(slash18[63]).toBe('63.9.10.in-addr.arpa.');
    expect(parseKey('10.0.0.32/27', 53).map((a) => a.zone)[0]).toBe('32.0.0.10.in-addr.arpa.');
  });

  it('marks CIDR keys with the original key', () => {
    expect(parseKey('dns://10.0.0.0/24:53', 53)).toEqual([{ transport: 'dns', zone: '0.0.10.in-addr.arpa.', port: 53, cidr: 'dns://10.0.0.0/24:53' }]);
    expect(parseKey('example.org', 53)[0]).not.toHaveProperty('cidr');
  });

  const errors: { key: string; msg: string }[] = [
    { key: 'example.org:', msg: 'expecting data after last colon: "example.org:"' },
    { key: 'dns://example.org:', msg: 'expecting data after last colon: "example.org:"' },
    { key: ':', msg: 'expecting data after last colon: ":"' },
    { key: 'a'.repeat(256), msg: 'specified zone is too long: 256 > 255' },
    // 255 octets pass the first check but not once fully qualified
    { key: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}`, msg: 'specified zone is too long: 256 > 255' },
    { key: `${'a'.repeat(64)}.org`, msg: `zone is not a valid domain name: ${'a'.repeat(64)}.org` },
    { key: 'example..org', msg: 'zone is not a valid domain name: example..org' },
    { key: '.example.org', msg: 'zone is not a valid domain name: .example.org' },
    { key: 'example.org..:53', msg: 'zone is not a valid domain name: example.org..' },
    { key: '::/0', msg: 'invalid CIDR ::/0' },
    { key: '::ffff:10.0.0.0/104', msg: 'invalid CIDR ::ffff:10.0.0.0/104' },
    { key: '::fFFF:B:F/115', msg: 'invalid CIDR ::fFFF:B:F/115' },
    { key: '0:0:0:0:0:ffff:a00:0/104', msg: 'invalid CIDR 0:0:0:0:0:ffff:a00:0/104' },
    { key: 'example.org:65536', msg: 'invalid port "65536" in "example.org:65536"' },
    { key: 'example.org:-1', msg: 'invalid port "-1" in "example.org:-1"' },
    { key: 'unix:///run/dns.sock', msg: 'unix:// is not a server transport: unix:///run/dns.sock' },
  ];
  it.each(errors)('rejects $key', ({ key, msg }) => {
    expect(() => parseKey(key, 53)).toThrow(CorefileError);
    expect(() => parseKey(key, 53)).toThrow(msg);
    try {
      parseKey(key, 53);
    } catch (e) {
      expect((e as Error).message).toBe(msg);
    }
  });
});

describe('splitHostPort', () => {
  it('keeps the host as written and reports the port', () => {
    expect(splitHostPort('Example.org:1053')).toEqual({ hosts: ['Example.org'], port: 1053, cidr: false });
    expect(splitHostPort('example.org')).toEqual({ hosts: ['example.org'], port: undefined, cidr: false });
    expect(splitHostPort('10.0.0.0/24')).toEqual({ hosts: ['0.0.10.in-addr.arpa.'], port: undefined, cidr: true });
  });
});

describe('isDomainName', () => {
  const cases: [string, boolean][] = [
    ['.', true],
    ['example.org', true],
    ['example.org.', true],
    ['under_score.*.example', true],
    ['a\\.b.example', true],
    ['\\065bc.example', true],
    ['', false],
    ['..', false],
    ['a..b', false],
    ['.a', false],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
  ];
  it.each(cases)('%s -> %s', (name, ok) => {
    expect(isDomainName(name)).toBe(ok);
  });
});

describe('normalizeHostExact', () => {
  it('normalises zone arguments like CoreDNS', () => {
    expect(normalizeHostExact('Example.ORG')).toEqual(['example.org.']);
    expect(normalizeHostExact('dns://example.org:53')).toEqual(['example.org.']);
    expect(normalizeHostExact('10.0.0.0/15')).toEqual(['0.10.in-addr.arpa.', '1.10.in-addr.arpa.']);
    expect(normalizeHostExact('::/0')).toEqual([]);
  });
});

describe('addressString', () => {
  it('formats transport://zone:port', () => {
    expect(addressString({ transport: 'dns', zone: 'example.org.', port: 53 })).toBe('dns://example.org.:53');
    expect(addressString({ transport: 'tls', zone: '.', port: 853 })).toBe('tls://.:853');
  });
});
