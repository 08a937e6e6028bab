import { describe, expect, it } from 'vitest';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex } from '../../src/corefile/lexer.js';
import type { PluginEnv, SetupContext } from '../../src/plugin/plugin.js';
import { directiveOccurrences } from '../../test/readme.js';
import { DEFAULTS, type ForwardConfig } from './config.js';
import { Forward } from './forward.js';
import { ForwardInstance } from './instance.js';
import { parse, plugin } from './setup.js';

const d = (s: string) => new Dispenser(lex(s, 'Corefile'));
const read = (p: string): string => {
  if (p === '/etc/resolv.conf') return 'nameserver 10.0.0.1\nnameserver 10.0.0.2\n';
  throw new Error(`ENOENT ${p}`);
};
const warnings: string[] = [];
const parseText = (s: string) => parse(d(s), read, (m) => warnings.push(m));

/** Upstream addresses and the fields a case sets, over the defaults. */
function cfg(from: string, to: string[], extra: Partial<ForwardConfig> = {}): ForwardConfig {
  const upstreams = to.map((a) => {
    const m = /^\[?(.*?)\]?:(\d+)$/.exec(a)!;
    return { host: m[1]!, port: Number(m[2]), addr: a };
  });
  return { ...DEFAULTS, from, upstreams, ...extra };
}

describe('forward setup', () => {
  const ok: Array<[string, ForwardConfig[]]> = [
    ['forward . 127.0.0.1', [cfg('.', ['127.0.0.1:53'])]],
    ['forward . 127.0.0.1:5353 [::1]:53', [cfg('.', ['127.0.0.1:5353', '[::1]:53'])]],
    ['forward Example.ORG 10.0.0.1', [cfg('example.org.', ['10.0.0.1:53'])]],
    ['forward dns://example.org:53 10.0.0.1', [cfg('example.org.', ['10.0.0.1:53'])]],
    ['forward 10.0.0.0/24 10.0.0.1', [cfg('0.0.10.in-addr.arpa.', ['10.0.0.1:53'])]],
    ['forward . /etc/resolv.conf', [cfg('.', ['10.0.0.1:53', '10.0.0.2:53'])]],
    ['forward . 10.0.0.1 {\n}', [cfg('.', ['10.0.0.1:53'])]],
    ['forward . 10.0.0.1 {\n except example.org Example.NET\n except 10.0.0.0/24\n}', [cfg('.', ['10.0.0.1:53'], { ignored: ['example.org.', 'example.net.', '0.0.10.in-addr.arpa.'] })]],
    ['forward . 10.0.0.1 {\n max_fails 0\n max_connect_attempts 3\n}', [cfg('.', ['10.0.0.1:53'], { maxFails: 0, maxConnectAttempts: 3 })]],
    ['forward . 10.0.0.1 {\n health_check 1s\n}', [cfg('.', ['10.0.0.1:53'], { health: { intervalMs: 1000, domain: '.', recursionDesired: true } })]],
    [
      'forward . 10.0.0.1 {\n health_check 0.5s no_rec domain Example.org\n}',
      [cfg('.', ['10.0.0.1:53'], { health: { intervalMs: 500, domain: 'example.org.', recursionDesired: false } })],
    ],
    ['forward . 10.0.0.1 {\n force_tcp\n prefer_udp\n}', [cfg('.', ['10.0.0.1:53'], { forceTcp: true, preferUdp: true })]],
    ['forward . 10.0.0.1 {\n expire 30s\n max_idle_conns 5\n}', [cfg('.', ['10.0.0.1:53'], { expireMs: 30_000, maxIdleConns: 5 })]],
    ['forward . 10.0.0.1 {\n expire 0\n}', [cfg('.', ['10.0.0.1:53'], { expireMs: 0 })]],
    ['forward . 10.0.0.1 {\n policy round_robin\n}', [cfg('.', ['10.0.0.1:53'], { policy: 'round_robin' })]],
    ['forward . 10.0.0.1 {\n policy sequential\n}', [cfg('.', ['10.0.0.1:53'], { policy: 'sequential' })]],
    ['forward . 10.0.0.1 {\n max_concurrent 1000\n}', [cfg('.', ['10.0.0.1:53'], { maxConcurrent: 1000 })]],
    ['forward . 10.0.0.1 {\n next nxdomain SERVFAIL\n next REFUSED\n}', [cfg('.', ['10.0.0.1:53'], { next: [3, 2, 5] })]],
    ['forward . 10.0.0.1 {\n next_on_nodata\n}', [cfg('.', ['10.0.0.1:53'], { nextOnNodata: true })]],
    ['forward . 10.0.0.1 {\n failfast_all_unhealthy_upstreams\n}', [cfg('.', ['10.0.0.1:53'], { failfast: true })]],
    ['forward . 10.0.0.1 {\n failover SERVFAIL refused\n}', [cfg('.', ['10.0.0.1:53'], { failover: [2, 5] })]],
    [
      'forward example.org 10.0.0.1\nforward . 10.0.0.2 {\n policy sequential\n}',
      [cfg('example.org.', ['10.0.0.1:53']), cfg('.', ['10.0.0.2:53'], { policy: 'sequential' })],
    ],
  ];
  it.each(ok)('%s', (src, want) => {
    expect(parseText(src)).toEqual(want);
  });

  it('warns when FROM expands to several reverse zones and takes the first', () => {
    warnings.length = 0;
    expect(parseText('forward 10.0.0.0/23 10.0.0.1')[0]!.from).toBe('0.0.10.in-addr.arpa.');
    expect(warnings).toEqual(["Unsupported CIDR notation: '10.0.0.0/23' expands to multiple zones. Using only '0.0.10.in-addr.arpa.'."]);
  });

  const P = 'Corefile:2 - Error during parsing: ';
  const bad: Array<[string, string]> = [
    ['forward', "Corefile:1 - Error during parsing: Wrong argument count or unexpected line ending after 'forward'"],
    ['forward .', "Corefile:1 - Error during parsing: Wrong argument count or unexpected line ending after '.'"],
    ['forward . {\n}', "Corefile:1 - Error during parsing: Wrong argument count or unexpected line ending after '.'"],
    ['forward . /nonexistent', 'Corefile:1 - Error during parsing: not an IP address or file: "/nonexistent"'],
    ['forward . tls://9.9.9.9', "Corefile:1 - Error during parsing: 'tls' is not supported as a destination protocol in forward: tls://9.9.9.9"],
    [`forward . ${Array.from({ length: 16 }, (_, i) => `10.0.0.${i + 1}`).join(' ')}`, 'more than 15 TOs configured: 16'],
    ['forward . 10.0.0.1 {\n except\n}', `${P}Wrong argument count or unexpected line ending after 'except'`],
    ['forward . 10.0.0.1 {\n max_fails\n}', `${P}Wrong argument count or unexpected line ending after 'max_fails'`],
    ['forward . 10.0.0.1 {\n max_fails -1\n}', `${P}strconv.ParseUint: parsing "-1": invalid syntax`],
    ['forward . 10.0.0.1 {\n max_fails 4294967296\n}', `${P}strconv.ParseUint: parsing "4294967296": value out of range`],
    ['forward . 10.0.0.1 {\n max_connect_attempts x\n}', `${P}strconv.ParseUint: parsing "x": invalid syntax`],
    ['forward . 10.0.0.1 {\n health_check\n}', `${P}Wrong argument count or unexpected line ending after 'health_check'`],
    ['forward . 10.0.0.1 {\n health_check 1\n}', `${P}time: missing unit in duration "1"`],
    ['forward . 10.0.0.1 {\n health_check -1s\n}', `${P}health_check can't be negative: -1000000000`],
    ['forward . 10.0.0.1 {\n health_check 1s foo\n}', `${P}health_check: unknown option foo`],
    ['forward . 10.0.0.1 {\n health_check 1s domain\n}', `${P}Wrong argument count or unexpected line ending after 'domain'`],
    ['forward . 10.0.0.1 {\n health_check 1s domain a..b\n}', `${P}health_check: invalid domain name a..b`],
    ['forward . 10.0.0.1 {\n force_tcp true\n}', `${P}Wrong argument count or unexpected line ending after 'true'`],
    ['forward . 10.0.0.1 {\n prefer_udp x\n}', `${P}Wrong argument count or unexpected line ending after 'x'`],
    ['forward . 10.0.0.1 {\n expire -10s\n}', `${P}expire can't be negative: -10s`],
    ['forward . 10.0.0.1 {\n expire soon\n}', `${P}time: invalid duration "soon"`],
    ['forward . 10.0.0.1 {\n max_idle_conns -1\n}', `${P}max_idle_conns can't be negative: -1`],
    ['forward . 10.0.0.1 {\n max_idle_conns many\n}', `${P}strconv.Atoi: parsing "many": invalid syntax`],
    ['forward . 10.0.0.1 {\n policy\n}', `${P}Wrong argument count or unexpected line ending after 'policy'`],
    ['forward . 10.0.0.1 {\n policy fastest\n}', `${P}unknown policy 'fastest'`],
    ['forward . 10.0.0.1 {\n max_concurrent -5\n}', `${P}max_concurrent can't be negative: -5`],
    ['forward . 10.0.0.1 {\n max_concurrent 1.5\n}', `${P}strconv.Atoi: parsing "1.5": invalid syntax`],
    ['forward . 10.0.0.1 {\n next\n}', `${P}Wrong argument count or unexpected line ending after 'next'`],
    ['forward . 10.0.0.1 {\n next INVALID\n}', `${P}INVALID is not a valid rcode`],
    ['forward . 10.0.0.1 {\n next NXDOMAIN 3\n}', `${P}3 is not a valid rcode`],
    ['forward . 10.0.0.1 {\n next_on_nodata yes\n}', `${P}Wrong argument count or unexpected line ending after 'yes'`],
    ['forward . 10.0.0.1 {\n failfast_all_unhealthy_upstreams false\n}', `${P}Wrong argument count or unexpected line ending after 'false'`],
    ['forward . 10.0.0.1 {\n failover\n}', `${P}Wrong argument count or unexpected line ending after 'failover'`],
    ['forward . 10.0.0.1 {\n failover NOERROR\n}', `${P}NoError cannot be used in failover`],
    ['forward . 10.0.0.1 {\n failover SERVFAIL BOGUS\n}', `${P}BOGUS is not a valid rcode`],
    ['forward . 10.0.0.1 {\n tls\n}', `${P}tls is not supported: exdns forwards over plain DNS (UDP and TCP) only, not DNS over TLS`],
    ['forward . 10.0.0.1 {\n tls_servername dns.quad9.net\n}', `${P}tls_servername is not supported: exdns forwards over plain DNS (UDP and TCP) only, not DNS over TLS`],
    ['forward . 10.0.0.1 {\n doh_method GET\n}', `${P}doh_method is not supported: exdns forwards over plain DNS (UDP and TCP) only, not DNS over HTTPS`],
    ['forward . 10.0.0.1 {\n resolver 10.0.0.2\n}', `${P}resolver is not supported: exdns does not resolve host names in TO: use IP addresses`],
    ['forward . 10.0.0.1 {\n max_age 1m\n}', `${P}max_age is not supported: not implemented by exdns: connections close after \`expire\` without traffic`],
    ['forward . 10.0.0.1 {\n spray\n}', `${P}unknown property 'spray'`],
    // Extra arguments after a one-argument option become the next "option", as in CoreDNS.
    ['forward . 10.0.0.1 {\n max_fails 3 4\n}', `${P}unknown property '4'`],
    ['forward . 10.0.0.1\nforward', "Corefile:2 - Error during parsing: Wrong argument count or unexpected line ending after 'forward'"],
  ];
  it.each(bad)('%s fails', (src, msg) => {
    expect(() => parseText(src)).toThrow(msg);
  });

  it('reports setup errors as plugin/forward and builds a chained, any-class instance', () => {
    expect(plugin.name).toBe('forward');
    expect(plugin.once).toBeUndefined();
    const ctx = { block: { zones: ['.'], keys: ['.'], servers: ['dns://:53'], index: 0 }, env: {} as PluginEnv } satisfies SetupContext;
    const inst = plugin.setup(d('forward example.org 10.0.0.1\nforward . 10.0.0.2'), ctx) as ForwardInstance;
    expect(inst).toBeInstanceOf(ForwardInstance);
    expect(inst.acceptsAnyClass).toBe(true);
    const next = { name: 'whoami', serveDNS: async () => 0 };
    const h = inst.handler(next) as Forward;
    expect(h).toBe(inst.forwards[0]);
    expect(h.next).toBe(inst.forwards[1]);
    expect(inst.forwards[1]!.next).toBe(next);
    inst.stop();
  });

  it('parses every README example', () => {
    const examples = directiveOccurrences(new URL('./README.md', import.meta.url), 'forward');
    expect(examples.length).toBeGreaterThanOrEqual(8);
    for (const occurrences of examples) {
      expect(occurrences.length).toBeGreaterThan(0);
      for (const tokens of occurrences) expect(() => parse(new Dispenser(tokens), read)).not.toThrow();
    }
  });
});
