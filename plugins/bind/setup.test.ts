import { describe, expect, it } from 'vitest';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex } from '../../src/corefile/lexer.js';
import { parse } from './setup.js';

const ifaces = {
  lo: [
    { address: '127.0.0.1', family: 'IPv4', netmask: '255.0.0.0', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' },
    { address: '::1', family: 'IPv6', netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', mac: '00:00:00:00:00:00', internal: true, cidr: '::1/128', scopeid: 0 },
  ],
} as unknown as Parameters<typeof parse>[1];

const d = (s: string) => new Dispenser(lex(s, 'Corefile'));

describe('bind setup', () => {
  it.each([
    ['bind 127.0.0.1', ['127.0.0.1']],
    ['bind 127.0.0.1 ::1', ['127.0.0.1', '::1']],
    ['bind lo', ['127.0.0.1', '::1']],
    ['bind lo {\n except ::1\n}', ['127.0.0.1']],
    ['bind 127.0.0.1\nbind ::1', ['127.0.0.1', '::1']],
  ])('%j', (src, hosts) => {
    expect(parse(d(src), ifaces).hosts).toEqual(hosts);
  });

  it.each([
    ['bind', "Corefile:1 - Error during parsing: Wrong argument count or unexpected line ending after 'bind'"],
    ['bind eth9', 'Corefile:1 - Error during parsing: failed to bind on eth9: not a valid IP address or interface name'],
    ['bind 127.0.0.1 {\n except 127.0.0.1\n}', 'no addresses to bind to'],
    ['bind lo {\n only ::1\n}', "unknown property 'only'"],
  ])('%j fails', (src, msg) => {
    expect(() => parse(d(src), ifaces)).toThrow(msg);
  });
});
