import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeRequest, nextHandler, Recorder, type QueryOptions } from '../../test/kit.js';
import { setLogSink } from '../../src/log.js';
import { PluginError, type Handler } from '../../src/plugin/plugin.js';
import type { Client, Request } from '../../src/plugin/request.js';
import { QType, Rcode } from '../../src/wire/constants.js';
import { newMessage, rr, toDns2Name, type Message, type Question, type Resource } from '../../src/wire/message.js';
import { PreparedReply, type Reply } from '../../src/wire/reply.js';
import { compileRules, LogHandler } from './log.js';
import type { ClassFilter, Rule } from './setup.js';
import { COMBINED_LOG_FORMAT, DEFAULT_LOG_FORMAT } from './replacer.js';

let lines: string[] = [];
let prevSink: (line: string) => void;
beforeEach(() => {
  lines = [];
  prevSink = setLogSink((l) => lines.push(l));
});
afterEach(() => {
  setLogSink(prevSink);
});

const SOA = (zone: string) =>
  rr.soa(zone, 3600, { primary: 'ns.' + zone, admin: 'admin.' + zone, serial: 1, refresh: 7200, retry: 3600, expiration: 1209600, minimum: 300 });

/** A reply to `req` with the given rcode and sections. */
function reply(req: Request, rcode: number, sections: { answers?: Resource[]; ns?: Resource[]; aa?: boolean } = {}): Message {
  const m = newMessage();
  Object.assign(m.header, { id: req.id, qr: 1, opcode: 0, aa: sections.aa === false ? 0 : 1, tc: 0, rd: 1, ra: 0, z: 0, ad: 0, cd: 0, rcode });
  m.questions.push({ name: toDns2Name(req.qname), type: req.qtype, class: req.qclass } as Question);
  m.answers.push(...(sections.answers ?? []));
  m.authorities.push(...(sections.ns ?? []));
  return m;
}

/** A downstream handler writing what `build` makes and returning `ret`. */
function writes(build: (req: Request) => Reply, ret = 0): Handler {
  return {
    name: 'test',
    async serveDNS(req, w) {
      w.write(build(req));
      return ret;
    },
  };
}

const answer = writes((req) => reply(req, Rcode.NOERROR, { answers: [rr.a(req.qname, 300, '192.0.2.1')] }));
const nodata = writes((req) => reply(req, Rcode.NOERROR, { ns: [SOA('example.org.')] }));
const nxdomain = writes((req) => reply(req, Rcode.NXDOMAIN, { ns: [SOA('example.org.')] }), Rcode.NXDOMAIN);
const nxdomainNoSoa = writes((req) => reply(req, Rcode.NXDOMAIN), Rcode.NXDOMAIN);
const delegation = writes((req) => reply(req, Rcode.NOERROR, { ns: [rr.ns('sub.example.org.', 300, 'ns1.example.net.')], aa: false }));
const empty = writes((req) => reply(req, Rcode.NOERROR));
const refusedWritten = writes((req) => reply(req, Rcode.REFUSED), Rcode.REFUSED);
const preparedNodata = writes((req) => PreparedReply.fromMessage(reply(req, Rcode.NOERROR, { ns: [SOA('example.org.')] })));
const preparedAnswer = writes((req) => PreparedReply.fromMessage(reply(req, Rcode.NOERROR, { answers: [rr.txt(req.qname, 60, ['x'])], ns: [SOA('example.org.')] })));

function rules(...rs: Array<[string, string?, ...ClassFilter[]]>): Rule[] {
  return rs.map(([nameScope, format, ...classes]) => ({
    nameScope,
    format: format ?? DEFAULT_LOG_FORMAT,
    classes: new Set<ClassFilter>(classes.length ? classes : ['all']),
  }));
}

async function serve(h: Handler, qname: string, qtype: number, opts: QueryOptions & { client?: Partial<Client> } = {}) {
  const req = makeRequest(qname, qtype, opts);
  const rec = new Recorder(req);
  try {
    return { req, rec, code: await h.serveDNS(req, rec) as number | undefined, err: undefined as unknown };
  } catch (err) {
    return { req, rec, code: undefined, err };
  }
}

const BRIEF = '{name} {type} {rcode} {>rflags} {rsize}';

describe('log line', () => {
  it('uses the Common Log Format by default', async () => {
    const h = new LogHandler(compileRules(rules(['.'])), answer);
    const { req, rec, code } = await serve(h, 'Example.ORG.', QType.A);
    expect(code).toBe(0);
    expect(lines).toHaveLength(1);
    const size = req.len;
    const rsize = rec.wire!.length;
    expect(lines[0]).toMatch(
      new RegExp(`^\\[INFO\\] 10\\.240\\.0\\.1:40212 - 4660 "A IN example\\.org\\. udp ${size} false 512" NOERROR qr,aa,rd ${rsize} \\d+(\\.\\d{1,9})?s$`),
    );
  });

  it('brackets IPv6 clients and reports TCP, EDNS and DO', async () => {
    const h = new LogHandler(compileRules(rules(['.', COMBINED_LOG_FORMAT])), answer);
    const { req, rec } = await serve(h, 'example.org.', QType.AAAA, {
      id: 29008,
      edns: 4096,
      do: true,
      client: { proto: 'tcp', remoteAddress: '::1', remotePort: 50759, family: 2 },
    });
    expect(lines[0]).toMatch(
      new RegExp(`^\\[INFO\\] \\[::1\\]:50759 - 29008 "AAAA IN example\\.org\\. tcp ${req.len} true 65535" NOERROR qr,aa,rd ${rec.wire!.length} [0-9.]+s "0"$`),
    );
  });

  const cases: Array<{ name: string; next: Handler; qname?: string; code?: number; line: string }> = [
    { name: 'unwritten SERVFAIL', next: nextHandler(Rcode.SERVFAIL), code: Rcode.SERVFAIL, line: '[INFO] example.org. A SERVFAIL - 0' },
    { name: 'unwritten REFUSED', next: nextHandler(Rcode.REFUSED), code: Rcode.REFUSED, line: '[INFO] example.org. A REFUSED - 0' },
    { name: 'written NXDOMAIN', next: nxdomain, code: Rcode.NXDOMAIN, line: '[INFO] example.org. A NXDOMAIN qr,aa,rd 74' },
    { name: 'plugin error', next: nextHandler(Rcode.SERVFAIL, 'i/o timeout'), line: '[INFO] example.org. A SERVFAIL - 0' },
    { name: 'no next plugin', next: undefined as unknown as Handler, line: '[INFO] example.org. A SERVFAIL - 0' },
  ];
  it.each(cases)('$name', async (tc) => {
    const h = new LogHandler(compileRules(rules(['.', BRIEF])), tc.next);
    const got = await serve(h, tc.qname ?? 'example.org.', QType.A);
    if (tc.code !== undefined) expect(got.code).toBe(tc.code);
    else expect(got.err).toBeInstanceOf(PluginError);
    expect(lines).toEqual([tc.line]);
  });

  it('re-throws plugin errors unchanged and does not log panics', async () => {
    const err = new PluginError(Rcode.REFUSED, 'nope');
    const thrower = (e: unknown): Handler => ({ name: 't', serveDNS: async () => Promise.reject(e) });
    const h = new LogHandler(compileRules(rules(['.', BRIEF])), thrower(err));
    expect((await serve(h, 'example.org.', QType.A)).err).toBe(err);
    expect(lines).toEqual(['[INFO] example.org. A REFUSED - 0']);
    const panic = new Error('boom');
    expect((await serve(new LogHandler(compileRules(rules(['.', BRIEF])), thrower(panic)), 'example.org.', QType.A)).err).toBe(panic);
    expect(lines).toHaveLength(1);
  });

  it('reads metadata set further down the chain', async () => {
    const next: Handler = {
      name: 'meta',
      async serveDNS(req) {
        req.setMetadata('test/zone', 'example.org.');
        return Rcode.SERVFAIL;
      },
    };
    const h = new LogHandler(compileRules(rules(['.', '{/test/zone} {/test/none} {when}'])), next);
    await serve(h, 'example.org.', QType.A);
    expect(lines).toEqual(['[INFO] example.org. - {when}']);
  });
});

describe('log rules', () => {
  const tests: Array<{ rules: Rule[]; qname: string; line?: string }> = [
    { rules: rules(['example.org.', BRIEF]), qname: 'example.org.', line: '[INFO] example.org. A NOERROR qr,aa,rd 45' },
    { rules: rules(['example.org.', BRIEF]), qname: 'www.EXAMPLE.org.', line: '[INFO] www.example.org. A NOERROR qr,aa,rd 49' },
    { rules: rules(['example.org.', BRIEF]), qname: 'example.net.' },
    { rules: rules(['example.org.', BRIEF]), qname: 'badexample.org.' },
    { rules: rules(['example.org.', 'org {name}'], ['example.net.', 'net {name}']), qname: 'a.example.net.', line: '[INFO] net a.example.net.' },
    // The first matching rule decides, even when it filters the line out.
    { rules: rules(['example.org.', 'first', 'denial'], ['.', 'second']), qname: 'example.org.' },
    { rules: rules(['example.org.', 'first', 'denial'], ['.', 'second']), qname: 'example.com.', line: '[INFO] second' },
  ];
  it.each(tests)('$qname', async (tc) => {
    const h = new LogHandler(compileRules(tc.rules), answer);
    const { code } = await serve(h, tc.qname, QType.A);
    expect(code).toBe(0);
    expect(lines).toEqual(tc.line === undefined ? [] : [tc.line]);
  });
});

describe('log classes', () => {
  // Which response classes each downstream produces (response.Typify + Classify).
  const tests: Array<{ name: string; next: Handler; qtype?: number; is: 'success' | 'denial' | 'error' }> = [
    { name: 'answer', next: answer, is: 'success' },
    { name: 'nodata', next: nodata, is: 'denial' },
    { name: 'nxdomain', next: nxdomain, is: 'denial' },
    { name: 'nxdomain without SOA', next: nxdomainNoSoa, is: 'error' },
    { name: 'delegation', next: delegation, is: 'success' },
    { name: 'empty NOERROR', next: empty, is: 'success' },
    { name: 'REFUSED written', next: refusedWritten, is: 'error' },
    { name: 'SERVFAIL unwritten', next: nextHandler(Rcode.SERVFAIL), is: 'error' },
    { name: 'plugin error', next: nextHandler(Rcode.SERVFAIL, 'x'), is: 'error' },
    { name: 'prepared nodata', next: preparedNodata, is: 'denial' },
    { name: 'prepared answer', next: preparedAnswer, is: 'success' },
    { name: 'zone transfer', next: answer, qtype: QType.AXFR, is: 'error' },
  ];
  const filters: ClassFilter[][] = [['success'], ['denial'], ['error'], ['denial', 'error'], ['all'], ['success', 'all']];
  for (const tc of tests) {
    it.each(filters.map((f) => [f.join(' '), f] as const))(`${tc.name} with class %s`, async (_, classes) => {
      const h = new LogHandler(compileRules(rules(['.', 'logged', ...classes])), tc.next);
      await serve(h, 'example.org.', tc.qtype ?? QType.A);
      const want = classes.includes('all') || classes.includes(tc.is);
      expect(lines).toEqual(want ? ['[INFO] logged'] : []);
    });
  }
});
