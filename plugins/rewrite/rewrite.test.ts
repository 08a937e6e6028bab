/**
 * Table tests through the real handler (CoreDNS's rewrite_test.go style): each row is a query,
 * the rewrite lines, what the next plugin answers for the question it receives, and what the
 * client gets. Every row runs twice, with the next plugin writing a message and a prepared reply
 * (whose compression pointers point into the rewritten question).
 */
import { describe, expect, it } from 'vitest';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex } from '../../src/corefile/lexer.js';
import { PluginError, type Handler, type SetupContext } from '../../src/plugin/plugin.js';
import { classToString, QClass, QType, Rcode, typeToString } from '../../src/wire/constants.js';
import { fromDns2Name } from '../../src/wire/message.js';
import { PreparedReply } from '../../src/wire/reply.js';
import { type Case, expectSection, makeRequest, Recorder, runCase } from '../../test/kit.js';
import { plugin } from './setup.js';
import { Stub, type StubAction } from './testdata/stub.js';

const SOA_NET = 'example.net. 60 IN SOA ns.example.net. hostmaster.example.net. 1 7200 1800 86400 60';

interface Row extends Case {
  id: string;
  /** The rewrite lines of the server block. */
  rules: string;
  /** What the next plugin does, by the question it receives. */
  next: Record<string, StubAction>;
  /** "name TYPE CLASS" of the questions that reached the next plugin. */
  sees: string[];
}

function rewriteHandler(rules: string, next: Handler | undefined): Handler {
  return plugin.setup(new Dispenser(lex(rules, 'Corefile')), {} as SetupContext).handler!(next);
}

const seenAs = (stub: Stub): string[] => stub.seen.map((r) => `${r.name} ${typeToString(r.qtype)} ${classToString(r.qclass)}`);

const rows: Row[] = [
  // ---- name exact: always answered under the asked name ----
  {
    id: 'exact rewrites and maps the answer back',
    rules: 'rewrite name a.example.org b.example.net',
    qname: 'a.example.org.',
    qtype: QType.A,
    next: { 'b.example.net. A': { answer: ['b.example.net. 60 IN A 192.0.2.1'] } },
    sees: ['b.example.net. A IN'],
    answer: ['a.example.org. 60 IN A 192.0.2.1'],
  },
  {
    id: 'exact maps names below the rewritten name and CNAME targets',
    rules: 'rewrite name a.example.org b.example.net',
    qname: 'a.example.org.',
    qtype: QType.A,
    next: { 'b.example.net. A': { answer: ['b.example.net. 60 IN CNAME www.b.example.net.', 'www.b.example.net. 60 IN A 192.0.2.2'] } },
    sees: ['b.example.net. A IN'],
    answer: ['a.example.org. 60 IN CNAME www.a.example.org.', 'www.a.example.org. 60 IN A 192.0.2.2'],
  },
  {
    id: 'exact maps NS values in the answer and owners in the additional section',
    rules: 'rewrite name a.example.org b.example.net',
    qname: 'a.example.org.',
    qtype: QType.NS,
    next: { 'b.example.net. NS': { answer: ['b.example.net. 60 IN NS ns1.b.example.net.'], extra: ['ns1.b.example.net. 60 IN A 192.0.2.53'] } },
    sees: ['b.example.net. NS IN'],
    answer: ['a.example.org. 60 IN NS ns1.a.example.org.'],
    extra: ['ns1.a.example.org. 60 IN A 192.0.2.53'],
  },
  {
    id: 'exact maps the SOA MNAME (the value CoreDNS rewrites) but not the RNAME',
    rules: 'rewrite name a.example.org b.example.net',
    qname: 'a.example.org.',
    qtype: QType.SOA,
    next: { 'b.example.net. SOA': { answer: ['b.example.net. 60 IN SOA ns.b.example.net. hostmaster.b.example.net. 1 7200 1800 86400 60'] } },
    sees: ['b.example.net. SOA IN'],
    answer: ['a.example.org. 60 IN SOA ns.a.example.org. hostmaster.b.example.net. 1 7200 1800 86400 60'],
  },
  {
    id: 'exact maps PTR values',
    rules: 'rewrite name 10.2.0.192.in-addr.arpa 10.2.0.192.in-addr.example.net',
    qname: '10.2.0.192.in-addr.arpa.',
    qtype: QType.PTR,
    next: { '10.2.0.192.in-addr.example.net. PTR': { answer: ['10.2.0.192.in-addr.example.net. 60 IN PTR x.10.2.0.192.in-addr.example.net.'] } },
    sees: ['10.2.0.192.in-addr.example.net. PTR IN'],
    answer: ['10.2.0.192.in-addr.arpa. 60 IN PTR x.10.2.0.192.in-addr.arpa.'],
  },
  {
    id: 'exact keeps the client letter case in the question and the answer',
    rules: 'rewrite name a.example.org b.example.net',
    qname: 'A.Example.ORG.',
    qtype: QType.A,
    next: { 'b.example.net. A': { answer: ['b.example.net. 60 IN A 192.0.2.1'] } },
    sees: ['b.example.net. A IN'],
    answer: ['A.Example.ORG. 60 IN A 192.0.2.1'],
  },
  {
    id: 'exact: NXDOMAIN with the SOA of another zone',
    rules: 'rewrite name a.example.org b.example.net',
    qname: 'a.example.org.',
    qtype: QType.A,
    next: { 'b.example.net.': { rcode: Rcode.NXDOMAIN, ns: [SOA_NET] } },
    sees: ['b.example.net. A IN'],
    rcode: Rcode.NXDOMAIN,
    ns: [SOA_NET],
  },
  {
    id: 'a query no rule matches goes through unchanged',
    rules: 'rewrite name a.example.org b.example.net',
    qname: 'c.example.org.',
    qtype: QType.A,
    next: { 'c.example.org. A': { answer: ['c.example.org. 60 IN A 192.0.2.3'] } },
    sees: ['c.example.org. A IN'],
    answer: ['c.example.org. 60 IN A 192.0.2.3'],
  },
  // ---- prefix, suffix, substring: FROM and TO get a trailing dot ----
  {
    id: 'prefix foo bar means foo. -> bar., answer auto maps back',
    rules: 'rewrite name prefix foo bar answer auto',
    qname: 'foo.example.org.',
    qtype: QType.A,
    next: { 'bar.example.org. A': { answer: ['bar.example.org. 60 IN A 192.0.2.4'], ns: ['example.org. 60 IN NS ns.example.org.'] } },
    sees: ['bar.example.org. A IN'],
    answer: ['foo.example.org. 60 IN A 192.0.2.4'],
    ns: ['example.org. 60 IN NS ns.example.org.'],
  },
  {
    id: 'prefix does not match inside a label',
    rules: 'rewrite name prefix foo bar answer auto',
    qname: 'foobar.example.org.',
    qtype: QType.A,
    next: { 'foobar.example.org. A': { answer: ['foobar.example.org. 60 IN A 192.0.2.5'] } },
    sees: ['foobar.example.org. A IN'],
    answer: ['foobar.example.org. 60 IN A 192.0.2.5'],
  },
  {
    id: 'prefix without answer auto: only the question is restored',
    rules: 'rewrite name prefix foo bar',
    qname: 'foo.example.org.',
    qtype: QType.A,
    next: { 'bar.example.org. A': { answer: ['bar.example.org. 60 IN A 192.0.2.4'] } },
    sees: ['bar.example.org. A IN'],
    answer: ['bar.example.org. 60 IN A 192.0.2.4'],
  },
  {
    id: 'suffix with answer auto swaps the suffix back in names and values',
    rules: 'rewrite name suffix .example.org .example.net answer auto',
    qname: 'www.example.org.',
    qtype: QType.A,
    next: { 'www.example.net. A': { answer: ['www.example.net. 60 IN CNAME cdn.example.net.', 'cdn.example.net. 60 IN A 192.0.2.6'] } },
    sees: ['www.example.net. A IN'],
    answer: ['www.example.org. 60 IN CNAME cdn.example.org.', 'cdn.example.org. 60 IN A 192.0.2.6'],
  },
  {
    id: 'suffix is not label-aware',
    rules: 'rewrite name suffix example.org example.net',
    qname: 'myexample.org.',
    qtype: QType.A,
    next: { 'myexample.net. A': { answer: ['myexample.net. 60 IN A 192.0.2.7'] } },
    sees: ['myexample.net. A IN'],
    answer: ['myexample.net. 60 IN A 192.0.2.7'],
  },
  {
    id: 'substring a.b means a.b. -> x.',
    rules: 'rewrite name substring sub.a b answer auto',
    qname: 'x.sub.a.org.',
    qtype: QType.A,
    next: { 'x.b.org. A': { answer: ['x.b.org. 60 IN A 192.0.2.8'] } },
    sees: ['x.b.org. A IN'],
    answer: ['x.sub.a.org. 60 IN A 192.0.2.8'],
  },
  // ---- regex ----
  {
    id: 'regex with groups, lowercased with a trailing dot',
    rules: 'rewrite name regex ^(.+)\\.old\\.org\\.$ {1}.NEW.org answer auto',
    qname: 'host.old.org.',
    qtype: QType.AAAA,
    next: { 'host.new.org. AAAA': { answer: ['host.new.org. 60 IN AAAA 2001:db8::1'] } },
    sees: ['host.new.org. AAAA IN'],
    answer: ['host.old.org. 60 IN AAAA 2001:db8::1'],
  },
  {
    id: 'regex that does not match',
    rules: 'rewrite name regex ^(.+)\\.old\\.org\\.$ {1}.new.org answer auto',
    qname: 'old.org.',
    qtype: QType.A,
    next: {},
    sees: ['old.org. A IN'],
    rcode: Rcode.NXDOMAIN,
  },
  {
    id: 'answer name and value rewrite every section: SRV target, NS value, glue owners',
    rules: 'rewrite name regex (.*)\\.svc\\.example\\.org {1}.internal answer name (.*)\\.internal {1}.svc.example.org answer value (.*)\\.internal {1}.svc.example.org',
    qname: '_sip._udp.svc.example.org.',
    qtype: QType.SRV,
    next: {
      '_sip._udp.internal. SRV': {
        answer: ['_sip._udp.internal. 60 IN SRV 10 60 5060 sip.internal.'],
        ns: ['internal. 60 IN NS ns.internal.'],
        extra: ['sip.internal. 60 IN A 192.0.2.5', 'ns.internal. 60 IN A 192.0.2.53'],
      },
    },
    sees: ['_sip._udp.internal. SRV IN'],
    answer: ['_sip._udp.svc.example.org. 60 IN SRV 10 60 5060 sip.svc.example.org.'],
    ns: ['internal. 60 IN NS ns.svc.example.org.'],
    extra: ['sip.svc.example.org. 60 IN A 192.0.2.5', 'ns.svc.example.org. 60 IN A 192.0.2.53'],
  },
  {
    id: 'answer value rewrites MX exchanges',
    rules: 'rewrite name regex (.*)\\.svc\\.example\\.org {1}.internal answer name (.*)\\.internal {1}.svc.example.org answer value (.*)\\.internal {1}.svc.example.org',
    qname: 'mail.svc.example.org.',
    qtype: QType.MX,
    next: { 'mail.internal. MX': { answer: ['mail.internal. 60 IN MX 10 mx.internal.'], extra: ['mx.internal. 60 IN A 192.0.2.25'] } },
    sees: ['mail.internal. MX IN'],
    answer: ['mail.svc.example.org. 60 IN MX 10 mx.svc.example.org.'],
    extra: ['mx.svc.example.org. 60 IN A 192.0.2.25'],
  },
  {
    id: 'answer value without answer name leaves owners alone',
    rules: 'rewrite name regex (.*)\\.svc\\.example\\.org {1}.internal answer value (.*)\\.internal {1}.svc.example.org',
    qname: 'www.svc.example.org.',
    qtype: QType.A,
    next: { 'www.internal. A': { answer: ['www.internal. 60 IN CNAME web.internal.', 'web.internal. 60 IN A 192.0.2.9'] } },
    sees: ['www.internal. A IN'],
    answer: ['www.internal. 60 IN CNAME web.svc.example.org.', 'web.internal. 60 IN A 192.0.2.9'],
  },
  // ---- type and class ----
  {
    id: 'type ANY -> HINFO, the reply keeps the ANY question',
    rules: 'rewrite type ANY HINFO',
    qname: 'example.org.',
    qtype: QType.ANY,
    next: { 'example.org. HINFO': { answer: ['example.org. 60 IN TXT "stand-in"'] } },
    sees: ['example.org. HINFO IN'],
    answer: ['example.org. 60 IN TXT "stand-in"'],
  },
  {
    id: 'type rule for another type does not apply',
    rules: 'rewrite type A AAAA',
    qname: 'a.example.org.',
    qtype: QType.MX,
    next: { 'a.example.org. MX': { answer: ['a.example.org. 60 IN MX 10 mx.example.org.'] } },
    sees: ['a.example.org. MX IN'],
    answer: ['a.example.org. 60 IN MX 10 mx.example.org.'],
  },
  {
    id: 'class IN -> CH',
    rules: 'rewrite class IN CH',
    qname: 'version.example.org.',
    qtype: QType.TXT,
    next: { 'version.example.org. TXT': { answer: ['version.example.org. 0 CH TXT "exdns"'] } },
    sees: ['version.example.org. TXT CH'],
    answer: ['version.example.org. 0 CH TXT "exdns"'],
  },
  {
    id: 'class CH -> IN',
    rules: 'rewrite class CH IN',
    qname: 'a.example.org.',
    qtype: QType.A,
    opts: { qclass: QClass.CH },
    next: { 'a.example.org. A': { answer: ['a.example.org. 60 IN A 192.0.2.10'] } },
    sees: ['a.example.org. A IN'],
    answer: ['a.example.org. 60 IN A 192.0.2.10'],
  },
  // ---- ttl ----
  {
    id: 'ttl SECONDS sets every record of every section',
    rules: 'rewrite ttl a.example.org 30',
    qname: 'a.example.org.',
    qtype: QType.A,
    next: {
      'a.example.org. A': {
        answer: ['a.example.org. 300 IN A 192.0.2.1'],
        ns: ['example.org. 3600 IN NS ns.example.org.'],
        extra: ['ns.example.org. 10 IN A 192.0.2.53'],
      },
    },
    sees: ['a.example.org. A IN'],
    answer: ['a.example.org. 30 IN A 192.0.2.1'],
    ns: ['example.org. 30 IN NS ns.example.org.'],
    extra: ['ns.example.org. 30 IN A 192.0.2.53'],
  },
  {
    id: 'ttl MIN-MAX clamps',
    rules: 'rewrite ttl a.example.org 30-300',
    qname: 'a.example.org.',
    qtype: QType.A,
    next: {
      'a.example.org. A': {
        answer: ['a.example.org. 120 IN A 192.0.2.1'],
        ns: ['example.org. 3600 IN NS ns.example.org.'],
        extra: ['ns.example.org. 10 IN A 192.0.2.53'],
      },
    },
    sees: ['a.example.org. A IN'],
    answer: ['a.example.org. 120 IN A 192.0.2.1'],
    ns: ['example.org. 300 IN NS ns.example.org.'],
    extra: ['ns.example.org. 30 IN A 192.0.2.53'],
  },
  {
    id: 'ttl MIN- raises only',
    rules: 'rewrite ttl a.example.org 100-',
    qname: 'a.example.org.',
    qtype: QType.A,
    next: { 'a.example.org. A': { answer: ['a.example.org. 10 IN A 192.0.2.1', 'a.example.org. 3600 IN A 192.0.2.2'] } },
    sees: ['a.example.org. A IN'],
    answer: ['a.example.org. 100 IN A 192.0.2.1', 'a.example.org. 3600 IN A 192.0.2.2'],
  },
  {
    id: 'ttl -MAX lowers only',
    rules: 'rewrite ttl a.example.org -60',
    qname: 'a.example.org.',
    qtype: QType.A,
    next: { 'a.example.org. A': { answer: ['a.example.org. 10 IN A 192.0.2.1', 'a.example.org. 3600 IN A 192.0.2.2'] } },
    sees: ['a.example.org. A IN'],
    answer: ['a.example.org. 10 IN A 192.0.2.1', 'a.example.org. 60 IN A 192.0.2.2'],
  },
  {
    id: 'ttl suffix',
    rules: 'rewrite ttl suffix .example.org 5',
    qname: 'b.example.org.',
    qtype: QType.A,
    next: { 'b.example.org. A': { answer: ['b.example.org. 60 IN A 192.0.2.1'] } },
    sees: ['b.example.org. A IN'],
    answer: ['b.example.org. 5 IN A 192.0.2.1'],
  },
  {
    id: 'ttl regex that does not match leaves the reply alone',
    rules: 'rewrite ttl regex ^a\\. 5',
    qname: 'b.example.org.',
    qtype: QType.A,
    next: { 'b.example.org. A': { answer: ['b.example.org. 60 IN A 192.0.2.1'] } },
    sees: ['b.example.org. A IN'],
    answer: ['b.example.org. 60 IN A 192.0.2.1'],
  },
  // ---- rcode ----
  {
    id: 'rcode NXDOMAIN -> NOERROR keeps the records',
    rules: 'rewrite rcode a.example.org NXDOMAIN NOERROR',
    qname: 'a.example.org.',
    qtype: QType.A,
    next: { 'a.example.org.': { rcode: Rcode.NXDOMAIN, ns: [SOA_NET] } },
    sees: ['a.example.org. A IN'],
    rcode: Rcode.NOERROR,
    ns: [SOA_NET],
  },
  {
    id: 'rcode applies to a reply without records',
    rules: 'rewrite rcode suffix example.org 5 NXDOMAIN',
    qname: 'a.example.org.',
    qtype: QType.A,
    next: { 'a.example.org.': { rcode: Rcode.REFUSED } },
    sees: ['a.example.org. A IN'],
    rcode: Rcode.NXDOMAIN,
  },
  {
    id: 'rcode applies to an error the chain returned unwritten',
    rules: 'rewrite rcode a.example.org SERVFAIL REFUSED',
    qname: 'a.example.org.',
    qtype: QType.A,
    next: { 'a.example.org.': Rcode.SERVFAIL },
    sees: ['a.example.org. A IN'],
    rcode: Rcode.REFUSED,
  },
  {
    id: 'rcode FROM that does not match',
    rules: 'rewrite rcode a.example.org SERVFAIL REFUSED',
    qname: 'a.example.org.',
    qtype: QType.A,
    next: { 'a.example.org. A': { answer: ['a.example.org. 60 IN A 192.0.2.1'] } },
    sees: ['a.example.org. A IN'],
    answer: ['a.example.org. 60 IN A 192.0.2.1'],
  },
  {
    id: 'rcode to an extended rcode (carried in the OPT)',
    rules: 'rewrite rcode a.example.org NXDOMAIN BADCOOKIE',
    qname: 'a.example.org.',
    qtype: QType.A,
    opts: { edns: 1232 },
    next: { 'a.example.org.': { rcode: Rcode.NXDOMAIN, ns: [SOA_NET] } },
    sees: ['a.example.org. A IN'],
    rcode: Rcode.BADCOOKIE,
    ns: [SOA_NET],
  },
  // ---- stop and continue ----
  {
    id: 'stop: the first rule that applies ends the run',
    rules: 'rewrite name a.org b.org\nrewrite name b.org c.org',
    qname: 'a.org.',
    qtype: QType.A,
    next: { 'b.org. A': { answer: ['b.org. 60 IN A 192.0.2.1'] } },
    sees: ['b.org. A IN'],
    answer: ['a.org. 60 IN A 192.0.2.1'],
  },
  {
    id: 'stop rules that do not apply do not stop',
    rules: 'rewrite name x.org y.org\nrewrite name a.org b.org',
    qname: 'a.org.',
    qtype: QType.A,
    next: { 'b.org. A': { answer: ['b.org. 60 IN A 192.0.2.1'] } },
    sees: ['b.org. A IN'],
    answer: ['a.org. 60 IN A 192.0.2.1'],
  },
  {
    id: 'continue: later rules see the rewritten name; answers map back through both',
    rules: 'rewrite continue name a.org b.org\nrewrite name b.org c.org',
    qname: 'a.org.',
    qtype: QType.A,
    next: { 'c.org. A': { answer: ['c.org. 60 IN CNAME www.c.org.', 'www.c.org. 60 IN A 192.0.2.1'] } },
    sees: ['c.org. A IN'],
    answer: ['a.org. 60 IN CNAME www.a.org.', 'www.a.org. 60 IN A 192.0.2.1'],
  },
  {
    id: 'continue type, then name',
    rules: 'rewrite continue type AAAA A\nrewrite name a.org b.org',
    qname: 'a.org.',
    qtype: QType.AAAA,
    next: { 'b.org. A': { answer: ['b.org. 60 IN A 192.0.2.1'] } },
    sees: ['b.org. A IN'],
    answer: ['a.org. 60 IN A 192.0.2.1'],
  },
  {
    id: 'a stop ttl rule keeps the name rule after it from running',
    rules: 'rewrite ttl a.org 30\nrewrite name a.org b.org',
    qname: 'a.org.',
    qtype: QType.A,
    next: { 'a.org. A': { answer: ['a.org. 60 IN A 192.0.2.1'] } },
    sees: ['a.org. A IN'],
    answer: ['a.org. 30 IN A 192.0.2.1'],
  },
  {
    id: 'a continue ttl rule, then the name rule',
    rules: 'rewrite continue ttl a.org 30\nrewrite name a.org b.org',
    qname: 'a.org.',
    qtype: QType.A,
    next: { 'b.org. A': { answer: ['b.org. 60 IN A 192.0.2.1'] } },
    sees: ['b.org. A IN'],
    answer: ['a.org. 30 IN A 192.0.2.1'],
  },
  {
    id: 'ttl rules match the name as rewritten by earlier rules',
    rules: 'rewrite continue name a.org b.org\nrewrite ttl b.org 7',
    qname: 'a.org.',
    qtype: QType.A,
    next: { 'b.org. A': { answer: ['b.org. 60 IN A 192.0.2.1'] } },
    sees: ['b.org. A IN'],
    answer: ['a.org. 7 IN A 192.0.2.1'],
  },
];

describe.each([
  { form: 'message', prepared: false },
  { form: 'prepared reply', prepared: true },
])('rewrite, next plugin writes a $form', ({ prepared }) => {
  it.each(rows)('$id', async (row) => {
    const stub = new Stub(row.next, prepared);
    const h = rewriteHandler(row.rules, stub);
    const rec = await runCase(h, { answer: [], ns: [], extra: [], ...row });
    expect(seenAs(stub)).toEqual(row.sees);
    // The client always gets its own question, byte for byte.
    const q = rec.req.query;
    expect(rec.wire!.subarray(12, q.questionEnd)).toEqual(q.raw.subarray(12, q.questionEnd));
    const m = rec.msg();
    expect(m.questions).toHaveLength(1);
    expect(fromDns2Name(m.questions[0]!.name)).toBe(row.qname);
  });
});

describe('rewrite around the chain', () => {
  const A = { 'b.example.net. A': { answer: ['b.example.net. 60 IN CNAME www.b.example.net.', 'www.b.example.net. 60 IN A 192.0.2.1'] } };

  it('passes a query no rule applies to on as it is: same request, same writer', async () => {
    const stub = new Stub(A);
    const h = rewriteHandler('rewrite name a.example.org b.example.net\nrewrite ttl x.org 5\nrewrite type MX A', stub);
    const req = makeRequest('c.example.org.', QType.A);
    const rec = new Recorder(req);
    await h.serveDNS(req, rec);
    expect(stub.seen[0]).toBe(req);
    expect(stub.writers[0]).toBe(rec);
  });

  it('never modifies the reply the next plugin wrote', async () => {
    for (const prepared of [false, true]) {
      const stub = new Stub(A, prepared);
      const h = rewriteHandler('rewrite name a.example.org b.example.net', stub);
      const req = makeRequest('a.example.org.', QType.A);
      const written = () => {
        const r = stub.written[0]!;
        return r instanceof PreparedReply ? Buffer.from(r.tail) : JSON.stringify(r);
      };
      const rec = new Recorder(req);
      await h.serveDNS(req, rec);
      const before = written();
      const again = new Recorder(req);
      await h.serveDNS(req, again);
      expect(written()).toEqual(before);
      expectSection(rec.msg().answers, ['a.example.org. 60 IN CNAME www.a.example.org.', 'www.a.example.org. 60 IN A 192.0.2.1']);
      const r = stub.written[0]!;
      if (!(r instanceof PreparedReply)) expect(fromDns2Name(r.answers[0]!.name)).toBe('b.example.net.');
    }
  });

  it('writes an error the chain returned unwritten through the reverter and reports success', async () => {
    const stub = new Stub({ 'b.example.net.': Rcode.SERVFAIL });
    const h = rewriteHandler('rewrite name a.example.org b.example.net', stub);
    const req = makeRequest('a.example.org.', QType.A, { edns: 1232 });
    const rec = new Recorder(req);
    expect(await h.serveDNS(req, rec)).toBe(Rcode.NOERROR);
    const m = rec.msg();
    expect(m.header.rcode).toBe(Rcode.SERVFAIL);
    expect(fromDns2Name(m.questions[0]!.name)).toBe('a.example.org.');
    expect(m.additionals.map((r) => r.type)).toEqual([QType.OPT]);
  });

  it('answers with the client question when a later plugin fails, and passes the error on', async () => {
    const err = new PluginError(Rcode.SERVFAIL, 'plugin/stub: upstream timed out');
    const stub = new Stub({ 'b.example.net.': err });
    const h = rewriteHandler('rewrite name a.example.org b.example.net', stub);
    const req = makeRequest('a.example.org.', QType.A);
    const rec = new Recorder(req);
    await expect(h.serveDNS(req, rec)).rejects.toBe(err);
    expect(rec.msg().header.rcode).toBe(Rcode.SERVFAIL);
    expect(fromDns2Name(rec.msg().questions[0]!.name)).toBe('a.example.org.');
  });

  it('applies rcode rules to the failure of a later plugin', async () => {
    const stub = new Stub({ 'a.example.org.': new PluginError(Rcode.SERVFAIL, 'boom') });
    const h = rewriteHandler('rewrite rcode a.example.org SERVFAIL REFUSED', stub);
    const req = makeRequest('a.example.org.', QType.A);
    const rec = new Recorder(req);
    await expect(h.serveDNS(req, rec)).rejects.toThrow('boom');
    expect(rec.msg().header.rcode).toBe(Rcode.REFUSED);
  });

  it('leaves a crash of a later plugin to the server', async () => {
    const crash: Handler = {
      name: 'crash',
      serveDNS: () => Promise.reject(new TypeError('deliberate')),
    };
    const h = rewriteHandler('rewrite name a.example.org b.example.net', crash);
    const req = makeRequest('a.example.org.', QType.A);
    const rec = new Recorder(req);
    await expect(h.serveDNS(req, rec)).rejects.toThrow(TypeError);
    expect(rec.written).toBe(false);
  });

  it('fails with SERVFAIL, writing nothing, when the new name is not a domain name', async () => {
    const stub = new Stub({});
    const long = 'x'.repeat(64);
    const h = rewriteHandler(`rewrite name prefix a ${long}`, stub);
    const req = makeRequest('a.example.org.', QType.A);
    const rec = new Recorder(req);
    const p = h.serveDNS(req, rec);
    await expect(p).rejects.toBeInstanceOf(PluginError);
    await expect(p).rejects.toMatchObject({ rcode: Rcode.SERVFAIL, message: `invalid name after rewrite: ${long}.example.org.` });
    expect(stub.seen).toHaveLength(0);
    expect(rec.written).toBe(false);
  });

  it('fails with SERVFAIL when a mapped-back answer name is too long', async () => {
    const stub = new Stub({ 'b.example.net. A': { answer: ['b.example.net. 60 IN A 192.0.2.1'] } });
    const h = rewriteHandler(`rewrite name exact b.example.net b.example.net answer name (.*) ${'{1}'.repeat(30)}`, stub);
    const req = makeRequest('b.example.net.', QType.A);
    const rec = new Recorder(req);
    await expect(h.serveDNS(req, rec)).rejects.toMatchObject({ rcode: Rcode.SERVFAIL });
    expect(rec.msg().header.rcode).toBe(Rcode.SERVFAIL);
  });

  it('without a next plugin: SERVFAIL with the client question', async () => {
    const h = rewriteHandler('rewrite name a.example.org b.example.net', undefined);
    const req = makeRequest('a.example.org.', QType.A);
    const rec = new Recorder(req);
    await expect(h.serveDNS(req, rec)).rejects.toThrow('plugin/rewrite: no next plugin found');
    expect(fromDns2Name(rec.msg().questions[0]!.name)).toBe('a.example.org.');
  });
});
