import { describe, expect, it } from 'vitest';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex as lexCorefile } from '../../src/corefile/lexer.js';
import type { Token } from '../../src/corefile/types.js';
import type { SetupContext } from '../../src/plugin/plugin.js';
import { addressBytes, contains, parseSubnet } from './cidr.js';
import { parse, plugin } from './setup.js';

const lex = (src: string): Token[] => lexCorefile(src, 'Corefile');

/** A subnet as "network/bits" for comparing. */
function show(s: { network: Buffer; bits: number }): string {
  return `${s.network.toString('hex')}/${s.bits}`;
}

describe('loadbalance setup', () => {
  const tests: Array<{ input: string; prefer?: string[]; err?: string }> = [
    { input: 'loadbalance', prefer: [] },
    { input: 'loadbalance round_robin', prefer: [] },
    { input: 'loadbalance {\n prefer 192.0.2.0/24\n}', prefer: ['c0000200/24'] },
    { input: 'loadbalance round_robin {\n prefer 192.0.2.77/24 2001:db8::1/32\n prefer 10.0.0.0/8\n}', prefer: ['c0000200/24', '20010db8000000000000000000000000/32', '0a000000/8'] },
    { input: 'loadbalance {\n prefer\n}', prefer: [] },
    { input: 'loadbalance\nloadbalance {\n prefer 10.0.0.0/8\n}', prefer: ['0a000000/8'] },
    { input: 'loadbalance fleeb', err: 'unknown policy: fleeb' },
    { input: 'loadbalance round_robin a', err: 'Corefile:1 - Error during parsing: unknown property for round_robin' },
    { input: 'loadbalance round_robin {\n reload 10s\n}', err: "Corefile:2 - Error during parsing: unknown property 'reload'" },
    { input: 'loadbalance {\n prefer invalid\n}', err: 'Corefile:2 - Error during parsing: invalid CIDR "invalid": invalid CIDR address: invalid' },
    { input: 'loadbalance {\n prefer 192.0.2.1\n}', err: 'Corefile:2 - Error during parsing: invalid CIDR "192.0.2.1": invalid CIDR address: 192.0.2.1' },
    { input: 'loadbalance {\n prefer 192.0.2.0/33\n}', err: 'invalid CIDR "192.0.2.0/33": invalid CIDR address: 192.0.2.0/33' },
    { input: 'loadbalance weighted wfile', err: 'Corefile:1 - Error during parsing: policy weighted is not supported by exdns; use round_robin' },
  ];
  it.each(tests)('$input', ({ input, prefer, err }) => {
    const c = new Dispenser(lex(input));
    if (err !== undefined) {
      expect(() => parse(c)).toThrow(err);
      return;
    }
    const cfg = parse(c);
    expect(cfg.policy).toBe('round_robin');
    expect(cfg.prefer.map(show)).toEqual(prefer);
  });

  it('builds a handler that wraps the next one', () => {
    const inst = plugin.setup(new Dispenser(lex('loadbalance')), {} as SetupContext);
    expect(plugin.once).toBeUndefined();
    expect(inst.handler!(undefined).name).toBe('loadbalance');
  });
});

describe('subnets', () => {
  const tests: Array<{ cidr: string; ip: string; in: boolean }> = [
    { cidr: '192.0.2.0/24', ip: '192.0.2.200', in: true },
    { cidr: '192.0.2.0/24', ip: '192.0.3.1', in: false },
    { cidr: '192.0.2.128/25', ip: '192.0.2.127', in: false },
    { cidr: '192.0.2.128/25', ip: '192.0.2.129', in: true },
    { cidr: '0.0.0.0/0', ip: '203.0.113.1', in: true },
    { cidr: '0.0.0.0/0', ip: '2001:db8::1', in: false },
    { cidr: '2001:db8::/32', ip: '2001:db8:ffff::1', in: true },
    { cidr: '2001:db8::/32', ip: '2001:db9::1', in: false },
    { cidr: '::/0', ip: '192.0.2.1', in: false },
    // IPv4-mapped on either side is IPv4 (Go's To4).
    { cidr: '192.0.2.0/24', ip: '::ffff:192.0.2.1', in: true },
    { cidr: '::ffff:192.0.2.0/120', ip: '192.0.2.1', in: true },
    { cidr: '::ffff:0:0/96', ip: '203.0.113.1', in: true },
    { cidr: '192.0.2.1/32', ip: '192.0.2.1', in: true },
  ];
  it.each(tests)('$cidr contains $ip: $in', (tc) => {
    expect(contains(parseSubnet(tc.cidr), addressBytes(tc.ip)!)).toBe(tc.in);
  });

  it.each(['192.0.2.0', '192.0.2.0/', '192.0.2.0/-1', '192.0.2.0/+8', '192.0.2/24', '2001:db8::/129', 'fe80::%eth0/64', 'example.org/24', '010.0.0.0/8'])(
    'rejects %s',
    (s) => {
      expect(() => parseSubnet(s)).toThrow(`invalid CIDR address: ${s}`);
    },
  );
});
