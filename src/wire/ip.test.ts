import { describe, expect, it } from 'vitest';
import { ipv4Bytes, ipv6Bytes } from './ip.js';

describe('ip bytes', () => {
  it.each([
    ['::1', '00000000000000000000000000000001'],
    ['::', '00000000000000000000000000000000'],
    ['2001:db8::8:800:200c:417a', '20010db8000000000008080020 0c417a'.replace(' ', '')],
    ['fe80::1%eth0', 'fe800000000000000000000000000001'],
    ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
  ])('%s', (ip, hex) => {
    expect(ipv6Bytes(ip)?.toString('hex')).toBe(hex);
  });
  it('rejects non-addresses', () => {
    expect(ipv6Bytes('1.2.3.4')).toBeUndefined();
    expect(ipv4Bytes('256.1.1.1')).toBeUndefined();
    expect(ipv4Bytes('10.0.0.1')?.toString('hex')).toBe('0a000001');
  });
});
