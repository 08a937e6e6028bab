import { describe, expect, it } from 'vitest';
import { resolvConfServers } from './resolvconf.js';
import { parseTo, splitHostPort } from './to.js';

const files: Record<string, string> = {
  '/etc/resolv.conf': '# generated\nsearch example.org\nnameserver 10.0.0.1\nnameserver 2001:db8::53 # v6\noptions ndots:5\n',
  '/empty.conf': 'search example.org\n',
  '/bad.conf': 'nameserver dns.example.org\n',
};
const read = (p: string): string => {
  const t = files[p];
  if (t === undefined) throw new Error(`ENOENT: ${p}`);
  return t;
};

describe('parseTo', () => {
  const ok: Array<[string[], string[]]> = [
    [['10.0.0.1'], ['10.0.0.1:53']],
    [['10.0.0.1:5353'], ['10.0.0.1:5353']],
    [['dns://10.0.0.1'], ['10.0.0.1:53']],
    [['dns://10.0.0.1:1053'], ['10.0.0.1:1053']],
    [['::1'], ['[::1]:53']],
    [['[::1]:5300'], ['[::1]:5300']],
    [['dns://[2001:db8::1]:53'], ['[2001:db8::1]:53']],
    [['fe80::1%eth0'], ['[fe80::1%eth0]:53']],
    [['/etc/resolv.conf'], ['10.0.0.1:53', '[2001:db8::53]:53']],
    [['127.0.0.1:9005', '/etc/resolv.conf', '10.0.0.10'], ['127.0.0.1:9005', '10.0.0.1:53', '[2001:db8::53]:53', '10.0.0.10:53']],
  ];
  it.each(ok)('%j', (to, want) => {
    expect(parseTo(to, read).map((u) => u.addr)).toEqual(want);
  });

  it('keeps host and port apart', () => {
    expect(parseTo(['[::1]:5300'], read)).toEqual([{ host: '::1', port: 5300, addr: '[::1]:5300' }]);
  });

  const bad: Array<[string[], string]> = [
    [['/nonexistent'], 'not an IP address or file: "/nonexistent"'],
    [['dns.example.org'], 'not an IP address or file: "dns.example.org" (host names are not resolved: use an IP address)'],
    [['dns.example.org:53'], 'not an IP address or file: "dns.example.org:53"'],
    [['[::1]'], 'not an IP address or file: "[::1]"'],
    [['10.0.0.1:99999'], 'invalid port "99999" in "10.0.0.1:99999"'],
    [['10.0.0.1:0'], 'invalid port "0" in "10.0.0.1:0"'],
    [['10.0.0.1:dns'], 'invalid port "dns" in "10.0.0.1:dns"'],
    [['/empty.conf'], 'no nameservers found'],
    [['/bad.conf'], '/bad.conf: nameserver "dns.example.org" is not an IP address'],
    [['dns://'], 'invalid address: "dns://"'],
    [['tls://9.9.9.9'], "'tls' is not supported as a destination protocol in forward: tls://9.9.9.9 (exdns forwards over plain DNS, UDP and TCP, only)"],
    [['https://9.9.9.9'], "'https' is not supported as a destination protocol in forward: https://9.9.9.9 (exdns forwards over plain DNS, UDP and TCP, only)"],
    [['grpc://10.0.0.1'], "'grpc' is not supported as a destination protocol in forward: grpc://10.0.0.1"],
    [['quic://10.0.0.1'], "'quic' is not supported as a destination protocol in forward: quic://10.0.0.1"],
  ];
  it.each(bad)('%j fails', (to, msg) => {
    expect(() => parseTo(to, read)).toThrow(msg);
  });
});

describe('splitHostPort (Go net.SplitHostPort)', () => {
  it.each([
    ['1.2.3.4:53', { host: '1.2.3.4', port: '53' }],
    ['[::1]:53', { host: '::1', port: '53' }],
    ['[::1]', undefined],
    ['::1', undefined],
    ['1.2.3.4', undefined],
    ['[::1]x:53', undefined],
  ])('%s', (s, want) => {
    expect(splitHostPort(s)).toEqual(want);
  });
});

describe('resolvConfServers', () => {
  it('takes the first field after each nameserver keyword', () => {
    expect(resolvConfServers('nameserver 1.1.1.1\n  nameserver\t8.8.8.8 extra\n#nameserver 9.9.9.9\nnameserver\ndomain x\r\nnameserver 10.0.0.2\r\n')).toEqual([
      '1.1.1.1',
      '8.8.8.8',
      '10.0.0.2',
    ]);
  });
});
