import { describe, expect, it } from 'vitest';
import { makeRequest, nextHandler, Recorder, runCase, type Case } from '../../test/kit.js';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex } from '../../src/corefile/lexer.js';
import { Fallthrough } from '../../src/plugin/fallthrough.js';
import { PluginError } from '../../src/plugin/plugin.js';
import { QType, Rcode } from '../../src/wire/constants.js';
import { Hosts, type HostsOptions } from './hosts.js';
import { EMPTY_HOSTS, parseHosts } from './hostsfile.js';
import { HostsTable } from './table.js';

const hostsFile = `
127.0.0.1 localhost localhost.domain
::1 localhost localhost.domain
10.0.0.1 example.org
::FFFF:10.0.0.2 example.com
10.0.0.3 v4only.example.org # a comment
2001:db8::3 v6only.example.org
192.0.2.10 *.wild.example.org
192.0.2.11 explicit.wild.example.org
`;

// Anything handed to the next plugin shows up as REFUSED returned unwritten; hosts' own
// "no such name" is SERVFAIL returned unwritten.
const PASSED = Rcode.REFUSED;

function fallthrough(args: string): Fallthrough {
  const c = new Dispenser(lex(`fallthrough ${args}`, 'Corefile'));
  c.next();
  return Fallthrough.parse(c);
}

function hosts(opts: Partial<HostsOptions> = {}, text = hostsFile): Hosts {
  const zones = opts.zones ?? ['.'];
  const table = new HostsTable(parseHosts(text, { zones, autoReverse: true }), EMPTY_HOSTS);
  const full: HostsOptions = { zones, ttl: 3600, fallthrough: Fallthrough.none(), fallthroughUnsupported: false, ...opts };
  return new Hosts(() => table, full, nextHandler(PASSED));
}

describe('hosts', () => {
  const cases: Case[] = [
    { qname: 'example.org.', qtype: QType.A, answer: ['example.org. 3600 IN A 10.0.0.1'] },
    // Lookups ignore case; records are owned by the lowercased name, as in CoreDNS.
    { qname: 'EXAMPLE.org.', qtype: QType.A, answer: ['example.org. 3600 IN A 10.0.0.1'] },
    // An IPv4-mapped address is an A record.
    { qname: 'example.com.', qtype: QType.A, answer: ['example.com. 3600 IN A 10.0.0.2'] },
    { qname: 'example.com.', qtype: QType.AAAA, answer: [] },
    { qname: 'localhost.', qtype: QType.AAAA, answer: ['localhost. 3600 IN AAAA ::1'] },
    { qname: 'localhost.domain.', qtype: QType.A, answer: ['localhost.domain. 3600 IN A 127.0.0.1'] },
    { qname: 'v6only.example.org.', qtype: QType.AAAA, answer: ['v6only.example.org. 3600 IN AAAA 2001:db8::3'] },
    // NODATA: the name exists, with the other family or for another type.
    { qname: 'example.org.', qtype: QType.AAAA, answer: [], ns: [] },
    { qname: 'v6only.example.org.', qtype: QType.A, answer: [], ns: [] },
    { qname: 'example.org.', qtype: QType.MX, answer: [], ns: [] },
    { qname: 'example.org.', qtype: QType.TXT, answer: [], ns: [] },
    // No such name and no fallthrough: SERVFAIL, hosts has no SOA for an NXDOMAIN.
    { qname: 'nothere.example.org.', qtype: QType.A, returns: Rcode.SERVFAIL },
    { qname: 'nothere.example.org.', qtype: QType.MX, returns: Rcode.SERVFAIL },
    // PTR for the generated reverse entries, every name of the address in file order.
    { qname: '1.0.0.10.in-addr.arpa.', qtype: QType.PTR, answer: ['1.0.0.10.in-addr.arpa. 3600 IN PTR example.org.'] },
    { qname: '2.0.0.10.in-addr.arpa.', qtype: QType.PTR, answer: ['2.0.0.10.in-addr.arpa. 3600 IN PTR example.com.'] },
    {
      qname: '1.0.0.127.in-addr.arpa.',
      qtype: QType.PTR,
      answer: ['1.0.0.127.in-addr.arpa. 3600 IN PTR localhost.', '1.0.0.127.in-addr.arpa. 3600 IN PTR localhost.domain.'],
    },
    {
      qname: '3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.',
      qtype: QType.PTR,
      answer: ['3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 3600 IN PTR v6only.example.org.'],
    },
    // The IPv4-mapped spelling of an address has the same PTR.
    {
      qname: '2.0.0.0.0.0.a.0.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.',
      qtype: QType.PTR,
      answer: ['2.0.0.0.0.0.a.0.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa. 3600 IN PTR example.com.'],
    },
    // A PTR query without an entry always goes on, fallthrough or not.
    { qname: '9.0.0.10.in-addr.arpa.', qtype: QType.PTR, returns: PASSED },
    { qname: '0.0.10.in-addr.arpa.', qtype: QType.PTR, returns: PASSED },
    { qname: 'example.org.', qtype: QType.PTR, returns: PASSED },
    // Wildcards: one label below the parent, explicit names win, the parent is not covered.
    { qname: 'app.wild.example.org.', qtype: QType.A, answer: ['app.wild.example.org. 3600 IN A 192.0.2.10'] },
    { qname: 'explicit.wild.example.org.', qtype: QType.A, answer: ['explicit.wild.example.org. 3600 IN A 192.0.2.11'] },
    { qname: 'app.wild.example.org.', qtype: QType.AAAA, answer: [] },
    { qname: 'deep.app.wild.example.org.', qtype: QType.A, returns: Rcode.SERVFAIL },
    { qname: 'wild.example.org.', qtype: QType.A, returns: Rcode.SERVFAIL },
    // Wildcard entries get no PTR.
    { qname: '10.2.0.192.in-addr.arpa.', qtype: QType.PTR, returns: PASSED },
    { qname: '11.2.0.192.in-addr.arpa.', qtype: QType.PTR, answer: ['11.2.0.192.in-addr.arpa. 3600 IN PTR explicit.wild.example.org.'] },
  ];
  const h = hosts();
  it.each(cases)('$qname $qtype', async (tc) => {
    const rec = await runCase(h, tc);
    if (tc.returns !== undefined) expect(rec.written).toBe(false);
    else expect(rec.msg().header.aa).toBe(1);
  });

  describe('with zones', () => {
    const zoned = hosts({ zones: ['example.org.'] });
    const cases: Case[] = [
      { qname: 'example.org.', qtype: QType.A, answer: ['example.org. 3600 IN A 10.0.0.1'] },
      // Out of zone: next plugin, whatever the type; names out of zone were never loaded.
      { qname: 'example.com.', qtype: QType.A, returns: PASSED },
      { qname: 'localhost.', qtype: QType.MX, returns: PASSED },
      // PTR queries need no zone, but only in-zone names have entries.
      { qname: '1.0.0.10.in-addr.arpa.', qtype: QType.PTR, answer: ['1.0.0.10.in-addr.arpa. 3600 IN PTR example.org.'] },
      { qname: '1.0.0.127.in-addr.arpa.', qtype: QType.PTR, returns: PASSED },
      { qname: 'nothere.example.org.', qtype: QType.A, returns: Rcode.SERVFAIL },
    ];
    it.each(cases)('$qname $qtype', async (tc) => {
      await runCase(zoned, tc);
    });
  });

  describe('fallthrough', () => {
    const cases: Array<Case & { args: string; unsupported?: boolean }> = [
      { args: '', qname: 'nothere.example.org.', qtype: QType.A, returns: PASSED },
      { args: '', qname: 'nothere.example.org.', qtype: QType.TXT, returns: PASSED },
      // Only names without any address fall through: NODATA stays NODATA.
      { args: '', qname: 'example.org.', qtype: QType.AAAA, answer: [] },
      { args: '', qname: 'example.org.', qtype: QType.TXT, answer: [] },
      { args: 'example.org', qname: 'nothere.example.org.', qtype: QType.A, returns: PASSED },
      { args: 'example.net', qname: 'nothere.example.org.', qtype: QType.A, returns: Rcode.SERVFAIL },
      // fallthrough_unsupported: other types for a known name go on too, within fallthrough's zones.
      { args: '', unsupported: true, qname: 'example.org.', qtype: QType.TXT, returns: PASSED },
      { args: '', unsupported: true, qname: 'example.org.', qtype: QType.HTTPS, returns: PASSED },
      { args: '', unsupported: true, qname: 'example.org.', qtype: QType.AAAA, answer: [] },
      { args: '', unsupported: true, qname: 'example.org.', qtype: QType.A, answer: ['example.org. 3600 IN A 10.0.0.1'] },
      { args: 'example.net', unsupported: true, qname: 'example.org.', qtype: QType.TXT, answer: [] },
    ];
    it.each(cases)('fallthrough $args: $qname $qtype', async (tc) => {
      await runCase(hosts({ fallthrough: fallthrough(tc.args), fallthroughUnsupported: tc.unsupported === true }), tc);
    });
  });

  it('answers a sinkhole address with as many PTR records as a message can hold, quickly', async () => {
    const lines = ['0.0.0.0 first.example.org'];
    for (let i = 0; i < 20_000; i++) lines.push(`0.0.0.0 ads${i}.tracker.example.org`);
    const h = hosts({}, lines.join('\n'));
    const req = makeRequest('0.0.0.0.in-addr.arpa.', QType.PTR, { client: { proto: 'tcp' } });
    const rec = new Recorder(req);
    const t0 = performance.now();
    expect(await h.serveDNS(req, rec)).toBe(Rcode.NOERROR);
    expect(performance.now() - t0).toBeLessThan(1000);
    const m = rec.msg();
    expect(m.header.tc).toBe(0);
    expect(rec.wire!.length).toBeLessThanOrEqual(0xffff);
    expect(m.answers.length).toBeGreaterThan(1000);
    expect(m.answers[0]!.domain).toBe('first.example.org');
  });

  it('uses the configured TTL for forward and reverse records', async () => {
    const h = hosts({ ttl: 300 });
    await runCase(h, { qname: 'example.org.', qtype: QType.A, answer: ['example.org. 300 IN A 10.0.0.1'] });
    await runCase(h, { qname: '1.0.0.10.in-addr.arpa.', qtype: QType.PTR, answer: ['1.0.0.10.in-addr.arpa. 300 IN PTR example.org.'] });
  });

  it('answers for names of the file and of the Corefile, file first', async () => {
    const zones = ['.'];
    const file = parseHosts('10.0.0.1 both.example.org\n10.0.0.2 both.example.org', { zones, autoReverse: true });
    const inline = parseHosts('10.0.0.3 both.example.org\n10.0.0.1 both.example.org\n10.0.0.4 inline.example.org', { zones, autoReverse: true });
    const table = new HostsTable(file, inline);
    const opts: HostsOptions = { zones, ttl: 3600, fallthrough: Fallthrough.none(), fallthroughUnsupported: false };
    const h = new Hosts(() => table, opts, undefined);
    await runCase(h, {
      qname: 'both.example.org.',
      qtype: QType.A,
      answer: ['both.example.org. 3600 IN A 10.0.0.1', 'both.example.org. 3600 IN A 10.0.0.2', 'both.example.org. 3600 IN A 10.0.0.3'],
    });
    await runCase(h, { qname: 'inline.example.org.', qtype: QType.A, answer: ['inline.example.org. 3600 IN A 10.0.0.4'] });
  });

  it('fails without a next plugin when it has to pass a query on', async () => {
    const table = new HostsTable(EMPTY_HOSTS, EMPTY_HOSTS);
    const opts: HostsOptions = { zones: ['example.org.'], ttl: 3600, fallthrough: Fallthrough.none(), fallthroughUnsupported: false };
    const req = makeRequest('example.net.', QType.A);
    await expect(new Hosts(() => table, opts, undefined).serveDNS(req, new Recorder(req))).rejects.toThrow(
      new PluginError(Rcode.SERVFAIL, 'plugin/hosts: no next plugin found'),
    );
  });
});
