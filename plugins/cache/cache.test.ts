/**
 * The cache through its handler, in CoreDNS test.Case style: each scenario is a cache directive,
 * a backend and a list of queries at given times (fake clock) with the expected rcode, sections
 * and how many queries reached the backend so far.
 */
import { describe, expect, it } from 'vitest';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex } from '../../src/corefile/lexer.js';
import { registry } from '../../src/metrics/registry.js';
import { type Handler, PluginError } from '../../src/plugin/plugin.js';
import { Request } from '../../src/plugin/request.js';
import type { ResponseWriter } from '../../src/plugin/writer.js';
import { Flag, QClass, QType, Rcode } from '../../src/wire/constants.js';
import { newMessage, rr, toDns2Name, type Message, type Question, type Resource } from '../../src/wire/message.js';
import { PreparedReply, type Reply } from '../../src/wire/reply.js';
import { expectSection, makeRequest, type QueryOptions, Recorder } from '../../test/kit.js';
import { CacheHandler } from './cache.js';
import { parse } from './setup.js';

// ---- Fixtures -------------------------------------------------------------------------------------

const SOA = (zone: string, ttl = 3600, minimum = 300): Resource =>
  rr.soa(zone, ttl, { primary: 'ns.' + zone, admin: 'admin.' + zone, serial: 1, refresh: 7200, retry: 3600, expiration: 1209600, minimum });
const soaText = (zone: string, ttl: number, minimum = 300) => `${zone} ${ttl} IN SOA ns.${zone} admin.${zone} 1 7200 3600 1209600 ${minimum}`;

interface Sections {
  answers?: Resource[];
  ns?: Resource[];
  extra?: Resource[];
  aa?: boolean;
  ad?: boolean;
  tc?: boolean;
  /** Question name when it is not the request's. */
  qname?: string;
}

/** A reply to `req` (miekg's SetReply plus the given sections). */
function reply(req: Request, rcode: number, s: Sections = {}): Message {
  const m = newMessage();
  Object.assign(m.header, { id: req.id, qr: 1, opcode: 0, aa: s.aa === false ? 0 : 1, tc: s.tc ? 1 : 0, rd: 1, ra: 0, z: 0, ad: s.ad ? 1 : 0, cd: 0, rcode });
  m.questions.push({ name: toDns2Name(s.qname ?? req.qname), type: req.qtype, class: req.qclass } as Question);
  m.answers.push(...(s.answers ?? []));
  m.authorities.push(...(s.ns ?? []));
  m.additionals.push(...(s.extra ?? []));
  return m;
}

/** What the backend does for one query: write a reply and/or return a code, or throw. */
interface Outcome {
  reply?: Reply;
  rc?: number;
  throws?: Error;
}
type Answer = (req: Request) => Outcome;

/** A backend whose answers a test can swap; `calls` counts the queries that reached it. */
class Backend implements Handler {
  readonly name = 'backend';
  calls = 0;
  constructor(public answer: Answer) {}

  async serveDNS(req: Request, w: ResponseWriter): Promise<number> {
    this.calls++;
    const o = this.answer(req);
    if (o.throws !== undefined) throw o.throws;
    if (o.reply !== undefined) w.write(o.reply);
    return o.rc ?? Rcode.NOERROR;
  }
}

const answerA =
  (ttl: number, address = '192.0.2.1'): Answer =>
  (req) => ({ reply: reply(req, Rcode.NOERROR, { answers: [rr.a(req.qname, ttl, address)] }) });
const nxdomain =
  (soaTtl = 3600, minimum = 300): Answer =>
  (req) => ({ reply: reply(req, Rcode.NXDOMAIN, { ns: [SOA('example.org.', soaTtl, minimum)] }), rc: Rcode.NXDOMAIN });
const nodata: Answer = (req) => ({ reply: reply(req, Rcode.NOERROR, { ns: [SOA('example.org.', 60)] }) });
const servfailWritten: Answer = (req) => ({ reply: reply(req, Rcode.SERVFAIL), rc: Rcode.SERVFAIL });
const unwritten =
  (rc: number): Answer =>
  () => ({ rc });
const throwing: Answer = () => ({ throws: new PluginError(Rcode.SERVFAIL, 'plugin/backend: unreachable') });
/** Answers by name from a table; names not in it are NXDOMAIN. */
const byName =
  (table: Record<string, Answer>, otherwise: Answer = nxdomain()): Answer =>
  (req) =>
    (table[req.name] ?? otherwise)(req);

class Clock {
  ms = 1_000_000;
  readonly now = (): number => this.ms;
  set(seconds: number): void {
    this.ms = 1_000_000 + seconds * 1000;
  }
}

let serverSeq = 0;

interface Asked {
  rec: Recorder;
  code: number;
  msg: Message;
}

/** A cache from a `cache ...` directive (block zone `.`) in front of a Backend, on a fake clock. */
class Harness {
  readonly clock = new Clock();
  readonly backend: Backend;
  readonly cache: CacheHandler;
  /** A `server` label of its own, so each harness reads its own metrics. */
  readonly server = `dns://:${31000 + serverSeq++}`;
  private readonly zones: string;

  constructor(directive: string, answer: Answer) {
    const config = parse(new Dispenser(lex(directive, 'Corefile')), ['.']);
    this.backend = new Backend(answer);
    this.cache = new CacheHandler(config, this.backend, { now: this.clock.now });
    this.zones = config.zones.join(',');
  }

  async ask(qname: string, qtype: number, opts: QueryOptions & { tcp?: boolean } = {}): Promise<Asked> {
    const base = makeRequest(qname, qtype, { ...opts, client: opts.tcp ? { proto: 'tcp' } : {} });
    const req = new Request(base.query, base.client, this.server, performance.now());
    req.plugin = 'cache';
    const rec = new Recorder(req);
    const code = await this.cache.serveDNS(req, rec);
    return { rec, code, msg: rec.written ? rec.msg() : newMessage() };
  }

  async metric(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
    const m = registry.getSingleMetric(name);
    if (m === undefined) throw new Error(`no metric ${name}`);
    const { values } = (await m.get()) as { values: Array<{ labels: Record<string, string | number>; value: number }> };
    const want: Record<string, string> = { server: this.server, zones: this.zones, view: '', ...labels };
    return values.find((v) => Object.entries(want).every(([k, x]) => v.labels[k] === x))?.value;
  }
}

/** Lets background refreshes run to completion. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

// ---- Scenario tables ------------------------------------------------------------------------------

interface Step {
  /** Seconds on the clock when the query is asked (default: unchanged). */
  at?: number;
  /** Swaps the backend's behaviour before this query. */
  backend?: Answer;
  qname?: string;
  qtype?: number;
  opts?: QueryOptions & { tcp?: boolean };
  rcode?: number;
  answer?: string[];
  ns?: string[];
  extra?: string[];
  /** Queries that reached the backend after this step (background refreshes included). */
  calls: number;
  /** Expected handler return when nothing is written. */
  returns?: number;
  aa?: boolean;
  ad?: boolean;
  tc?: boolean;
  /** Number of answer records, for big replies. */
  answers?: number;
}

interface Scenario {
  name: string;
  cache: string;
  backend: Answer;
  steps: Step[];
}

const WWW = 'www.example.org.';
const A300 = `${WWW} 300 IN A 192.0.2.1`;

async function play(s: Scenario): Promise<Harness> {
  const h = new Harness(s.cache, s.backend);
  for (const [i, step] of s.steps.entries()) {
    const where = `${s.name}, step ${i + 1}`;
    if (step.at !== undefined) h.clock.set(step.at);
    if (step.backend !== undefined) h.backend.answer = step.backend;
    const got = await h.ask(step.qname ?? WWW, step.qtype ?? QType.A, step.opts);
    await settle();
    expect(h.backend.calls, `${where}: backend calls`).toBe(step.calls);
    if (step.returns !== undefined) {
      expect(got.code, where).toBe(step.returns);
      expect(got.rec.written, where).toBe(false);
      continue;
    }
    const m = got.msg;
    expect(m.header.rcode, `${where}: rcode`).toBe(step.rcode ?? Rcode.NOERROR);
    if (step.answer !== undefined) expectSection(m.answers, step.answer);
    if (step.answers !== undefined) expect(m.answers.length, `${where}: answers`).toBe(step.answers);
    if (step.ns !== undefined) expectSection(m.authorities, step.ns);
    if (step.extra !== undefined) expectSection(m.additionals, step.extra);
    if (step.aa !== undefined) expect(m.header.aa, `${where}: aa`).toBe(step.aa ? 1 : 0);
    if (step.ad !== undefined) expect(m.header.ad, `${where}: ad`).toBe(step.ad ? 1 : 0);
    expect(m.header.tc, `${where}: tc`).toBe(step.tc ? 1 : 0);
    expect(m.header.id, where).toBe(step.opts?.id ?? 0x1234);
  }
  return h;
}

function scenarios(list: Scenario[]): void {
  it.each(list.map((s) => [s.name, s] as const))('%s', async (_name, s) => {
    await play(s);
  });
}

describe('cache hits and misses', () => {
  scenarios([
    {
      name: 'a second query is a hit; other types and classes are misses',
      cache: 'cache',
      backend: (req) => (req.qtype === QType.A && req.qclass === QClass.IN ? answerA(300)(req) : nodata(req)),
      steps: [
        { answer: [A300], calls: 1 },
        { answer: [A300], calls: 1, opts: { id: 7 } },
        { qtype: QType.AAAA, calls: 2 },
        { qtype: QType.AAAA, calls: 2 },
        { opts: { qclass: QClass.CH }, calls: 3 },
        { answer: [A300], calls: 3 },
      ],
    },
    {
      name: 'letter case does not split entries and the reply repeats the client question',
      cache: 'cache',
      backend: answerA(300),
      steps: [
        { qname: 'www.example.org.', answer: [A300], calls: 1 },
        // The owner was compressed against the question, so it shows the asking client's case.
        { qname: 'WwW.ExAmPlE.oRg.', answer: ['WwW.ExAmPlE.oRg. 300 IN A 192.0.2.1'], calls: 1 },
      ],
    },
    {
      name: 'DO and CD are part of the key',
      cache: 'cache',
      backend: answerA(300),
      steps: [
        { answer: [A300], calls: 1 },
        { opts: { do: true }, answer: [A300], calls: 2 },
        { opts: { do: true }, answer: [A300], calls: 2 },
        { opts: { cd: true }, answer: [A300], calls: 3 },
        { opts: { cd: true, do: true }, answer: [A300], calls: 4 },
        { opts: { cd: true }, answer: [A300], calls: 4 },
        { opts: { edns: 1232 }, answer: [A300], calls: 4 },
      ],
    },
    {
      name: 'names outside the cache zones pass through',
      cache: 'cache example.org',
      backend: answerA(300),
      steps: [
        { qname: 'www.example.net.', calls: 1 },
        { qname: 'www.example.net.', calls: 2 },
        { qname: 'www.example.org.', calls: 3 },
        { qname: 'www.example.org.', calls: 3 },
      ],
    },
    {
      name: 'hits are authoritative; AD is kept only for DO clients',
      cache: 'cache',
      backend: (req) => ({ reply: reply(req, Rcode.NOERROR, { answers: [rr.a(req.qname, 300, '192.0.2.1')], aa: false, ad: true }) }),
      steps: [
        { answer: [A300], aa: false, ad: false, calls: 1 },
        { answer: [A300], aa: true, ad: false, calls: 1 },
        { opts: { do: true }, answer: [A300], aa: false, ad: true, calls: 2 },
        { opts: { do: true }, answer: [A300], aa: true, ad: true, calls: 2 },
      ],
    },
  ]);
});

describe('cache TTLs', () => {
  scenarios([
    {
      name: 'the TTL decays with whole elapsed seconds, and the entry expires at zero',
      cache: 'cache',
      backend: answerA(300),
      steps: [
        { at: 0, answer: [A300], calls: 1 },
        { at: 0.9, answer: [A300], calls: 1 },
        { at: 10, answer: [`${WWW} 290 IN A 192.0.2.1`], calls: 1 },
        { at: 299.999, answer: [`${WWW} 1 IN A 192.0.2.1`], calls: 1 },
        { at: 300, answer: [A300], calls: 2 },
      ],
    },
    {
      name: 'success TTL caps the lifetime and the served TTL',
      cache: 'cache {\n success 100 60\n}',
      backend: answerA(300),
      steps: [
        { at: 0, answer: [`${WWW} 60 IN A 192.0.2.1`], calls: 1 },
        { at: 59, answer: [`${WWW} 1 IN A 192.0.2.1`], calls: 1 },
        { at: 60, answer: [`${WWW} 60 IN A 192.0.2.1`], calls: 2 },
      ],
    },
    {
      name: 'success MINTTL raises short TTLs',
      cache: 'cache {\n success 100 3600 30\n}',
      backend: answerA(2),
      steps: [
        { at: 0, answer: [`${WWW} 30 IN A 192.0.2.1`], calls: 1 },
        { at: 29, answer: [`${WWW} 1 IN A 192.0.2.1`], calls: 1 },
        { at: 30, calls: 2 },
      ],
    },
    {
      name: 'the default minimum TTL is 5 seconds',
      cache: 'cache',
      backend: answerA(0),
      steps: [
        { at: 0, answer: [`${WWW} 5 IN A 192.0.2.1`], calls: 1 },
        { at: 4, answer: [`${WWW} 1 IN A 192.0.2.1`], calls: 1 },
        { at: 5, calls: 2 },
      ],
    },
    {
      name: 'cache TTL caps denial too',
      cache: 'cache 30',
      backend: nxdomain(),
      steps: [
        { at: 0, rcode: Rcode.NXDOMAIN, ns: [soaText('example.org.', 30)], calls: 1 },
        { at: 29, rcode: Rcode.NXDOMAIN, ns: [soaText('example.org.', 1)], calls: 1 },
        { at: 30, rcode: Rcode.NXDOMAIN, calls: 2 },
      ],
    },
    {
      name: 'denial lives for the SOA TTL (the SOA minimum is not read), capped at 1800 by default',
      cache: 'cache',
      backend: nxdomain(60, 300),
      steps: [
        { at: 0, rcode: Rcode.NXDOMAIN, ns: [soaText('example.org.', 60)], calls: 1 },
        { at: 59, rcode: Rcode.NXDOMAIN, ns: [soaText('example.org.', 1)], calls: 1 },
        { at: 60, backend: nxdomain(7200), rcode: Rcode.NXDOMAIN, ns: [soaText('example.org.', 1800)], calls: 2 },
      ],
    },
    {
      name: 'denial TTL and MINTTL clamp negative answers',
      cache: 'cache {\n denial 100 20 10\n}',
      backend: nxdomain(3),
      steps: [
        { at: 0, rcode: Rcode.NXDOMAIN, ns: [soaText('example.org.', 10)], calls: 1 },
        { at: 10, backend: nxdomain(60), rcode: Rcode.NXDOMAIN, ns: [soaText('example.org.', 20)], calls: 2 },
      ],
    },
    {
      name: 'every record gets the lowest TTL, on the miss and on hits',
      cache: 'cache',
      backend: (req) => ({
        reply: reply(req, Rcode.NOERROR, {
          answers: [rr.cname(req.qname, 120, 'web.example.org.'), rr.a('web.example.org.', 60, '192.0.2.7')],
          extra: [rr.txt('info.example.org.', 90, ['x'])],
        }),
      }),
      steps: [
        { at: 0, answer: [`${WWW} 60 IN CNAME web.example.org.`, 'web.example.org. 60 IN A 192.0.2.7'], extra: ['info.example.org. 60 IN TXT "x"'], calls: 1 },
        { at: 15, answer: [`${WWW} 45 IN CNAME web.example.org.`, 'web.example.org. 45 IN A 192.0.2.7'], extra: ['info.example.org. 45 IN TXT "x"'], calls: 1 },
      ],
    },
    {
      name: 'keepttl serves the stored TTL until the entry expires',
      cache: 'cache {\n keepttl\n}',
      backend: answerA(300),
      steps: [
        { at: 0, answer: [A300], calls: 1 },
        { at: 100, answer: [A300], calls: 1 },
        { at: 299, answer: [A300], calls: 1 },
        { at: 300, answer: [A300], calls: 2 },
      ],
    },
  ]);
});

describe('cache capacity and disable', () => {
  const names = byName({ 'a.example.org.': answerA(300), 'b.example.org.': answerA(300), 'c.example.org.': answerA(300) });
  scenarios([
    {
      name: 'success and denial have their own capacity; the least recently used entry goes',
      cache: 'cache {\n success 2\n denial 1\n}',
      backend: names,
      steps: [
        { qname: 'a.example.org.', calls: 1 },
        { qname: 'b.example.org.', calls: 2 },
        { qname: 'a.example.org.', calls: 2 },
        { qname: 'c.example.org.', calls: 3 }, // evicts b, the least recently used
        { qname: 'a.example.org.', calls: 3 },
        { qname: 'b.example.org.', calls: 4 },
        { qname: 'x.example.org.', rcode: Rcode.NXDOMAIN, calls: 5 },
        { qname: 'a.example.org.', calls: 5 }, // denial entries do not push success ones out
        { qname: 'x.example.org.', rcode: Rcode.NXDOMAIN, calls: 5 },
        { qname: 'y.example.org.', rcode: Rcode.NXDOMAIN, calls: 6 },
        { qname: 'x.example.org.', rcode: Rcode.NXDOMAIN, calls: 7 },
      ],
    },
    {
      name: 'disable success for a zone caches denial there and success elsewhere',
      cache: 'cache {\n disable success a.example.org\n}',
      backend: names,
      steps: [
        { qname: 'a.example.org.', calls: 1 },
        { qname: 'a.example.org.', calls: 2 },
        { qname: 'b.example.org.', calls: 3 },
        { qname: 'b.example.org.', calls: 3 },
        { qname: 'x.a.example.org.', rcode: Rcode.NXDOMAIN, calls: 4 },
        { qname: 'x.a.example.org.', rcode: Rcode.NXDOMAIN, calls: 4 },
      ],
    },
    {
      name: 'disable denial without zones disables it everywhere',
      cache: 'cache {\n disable denial\n}',
      backend: names,
      steps: [
        { qname: 'x.example.org.', rcode: Rcode.NXDOMAIN, calls: 1 },
        { qname: 'x.example.org.', rcode: Rcode.NXDOMAIN, calls: 2 },
        { qname: 'a.example.org.', calls: 3 },
        { qname: 'a.example.org.', calls: 3 },
      ],
    },
    {
      name: 'disable denial for a zone',
      cache: 'cache {\n disable denial sub.example.org\n}',
      backend: names,
      steps: [
        { qname: 'x.sub.example.org.', rcode: Rcode.NXDOMAIN, calls: 1 },
        { qname: 'x.sub.example.org.', rcode: Rcode.NXDOMAIN, calls: 2 },
        { qname: 'x.example.org.', rcode: Rcode.NXDOMAIN, calls: 3 },
        { qname: 'x.example.org.', rcode: Rcode.NXDOMAIN, calls: 3 },
      ],
    },
  ]);
});

describe('what is cached', () => {
  const danglingCname =
    (withSoa: boolean): Answer =>
    (req) => ({
      reply: reply(req, Rcode.NOERROR, { answers: [rr.cname(req.qname, 300, 'elsewhere.example.net.')], ns: withSoa ? [SOA('example.org.', 60)] : [] }),
    });
  scenarios([
    {
      name: 'NODATA is cached as denial',
      cache: 'cache {\n disable success\n}',
      backend: nodata,
      steps: [
        { ns: [soaText('example.org.', 60)], calls: 1 },
        { at: 59, ns: [soaText('example.org.', 1)], calls: 1 },
      ],
    },
    {
      name: 'NXDOMAIN without SOA is not cached',
      cache: 'cache',
      backend: (req) => ({ reply: reply(req, Rcode.NXDOMAIN), rc: Rcode.NXDOMAIN }),
      steps: [
        { rcode: Rcode.NXDOMAIN, calls: 1 },
        { rcode: Rcode.NXDOMAIN, calls: 2 },
      ],
    },
    {
      name: 'a written REFUSED is not cached',
      cache: 'cache',
      backend: (req) => ({ reply: reply(req, Rcode.REFUSED), rc: Rcode.REFUSED }),
      steps: [
        { rcode: Rcode.REFUSED, calls: 1 },
        { rcode: Rcode.REFUSED, calls: 2 },
      ],
    },
    {
      name: 'a truncated reply is not cached',
      cache: 'cache',
      backend: (req) => ({ reply: reply(req, Rcode.NOERROR, { answers: [rr.a(req.qname, 300, '192.0.2.1')], tc: true }) }),
      steps: [
        { tc: true, calls: 1 },
        { tc: true, calls: 2 },
      ],
    },
    {
      name: 'a CNAME that never reaches the type, without SOA, is not cached',
      cache: 'cache',
      backend: danglingCname(false),
      steps: [
        { answer: [`${WWW} 300 IN CNAME elsewhere.example.net.`], calls: 1 },
        { calls: 2 },
      ],
    },
    {
      name: 'a CNAME that never reaches the type, with SOA, is NODATA (denial TTL and tier)',
      cache: 'cache {\n disable success\n}',
      backend: danglingCname(true),
      steps: [
        { answer: [`${WWW} 60 IN CNAME elsewhere.example.net.`], ns: [soaText('example.org.', 60)], calls: 1 },
        { at: 30, answer: [`${WWW} 30 IN CNAME elsewhere.example.net.`], calls: 1 },
      ],
    },
    {
      name: 'a reply for another question is passed on but not cached',
      cache: 'cache',
      backend: (req) => ({ reply: reply(req, Rcode.NOERROR, { qname: 'other.example.org.', answers: [rr.a('other.example.org.', 300, '192.0.2.9')] }) }),
      steps: [
        { answer: ['other.example.org. 300 IN A 192.0.2.9'], calls: 1 },
        { calls: 2 },
      ],
    },
    {
      name: 'a reply without records (whoami style) lives 5 seconds',
      cache: 'cache',
      backend: (req) => ({ reply: reply(req, Rcode.NOERROR) }),
      steps: [{ at: 0, calls: 1 }, { at: 4, calls: 1 }, { at: 5, calls: 2 }],
    },
    {
      name: 'an unwritten error is not cached and its code comes back',
      cache: 'cache',
      backend: unwritten(Rcode.REFUSED),
      steps: [
        { returns: Rcode.REFUSED, calls: 1 },
        { returns: Rcode.REFUSED, calls: 2 },
      ],
    },
  ]);
});

describe('SERVFAIL caching', () => {
  scenarios([
    {
      name: 'a written SERVFAIL is cached for 5 seconds by default',
      cache: 'cache',
      backend: servfailWritten,
      steps: [
        { at: 0, rcode: Rcode.SERVFAIL, calls: 1 },
        { at: 4, rcode: Rcode.SERVFAIL, calls: 1 },
        { at: 5, rcode: Rcode.SERVFAIL, calls: 2 },
      ],
    },
    {
      name: 'servfail sets the duration',
      cache: 'cache {\n servfail 2s\n}',
      backend: servfailWritten,
      steps: [
        { at: 0, rcode: Rcode.SERVFAIL, calls: 1 },
        { at: 1, rcode: Rcode.SERVFAIL, calls: 1 },
        { at: 2, backend: answerA(300), answer: [A300], calls: 2 },
      ],
    },
    {
      name: 'servfail 0 disables it',
      cache: 'cache {\n servfail 0\n}',
      backend: servfailWritten,
      steps: [
        { rcode: Rcode.SERVFAIL, calls: 1 },
        { rcode: Rcode.SERVFAIL, calls: 2 },
      ],
    },
    {
      name: 'a SERVFAIL returned without a reply is never cached',
      cache: 'cache',
      backend: unwritten(Rcode.SERVFAIL),
      steps: [
        { returns: Rcode.SERVFAIL, calls: 1 },
        { returns: Rcode.SERVFAIL, calls: 2 },
      ],
    },
    {
      name: 'a cached SERVFAIL does not hide a usable positive entry',
      cache: 'cache {\n serve_stale 1h\n}',
      backend: answerA(10),
      steps: [
        { at: 0, answer: [`${WWW} 10 IN A 192.0.2.1`], calls: 1 },
        // Stale: served with TTL 0, refreshed in the background; the refresh gets a SERVFAIL.
        { at: 15, backend: servfailWritten, answer: [`${WWW} 0 IN A 192.0.2.1`], calls: 2 },
        { at: 16, answer: [`${WWW} 0 IN A 192.0.2.1`], calls: 3 },
      ],
    },
  ]);
});

describe('prefetch', () => {
  scenarios([
    {
      name: 'a popular entry is refreshed once its TTL is within 10% of the original',
      cache: 'cache {\n prefetch 3\n}',
      backend: answerA(100),
      steps: [
        { at: 0, answer: [`${WWW} 100 IN A 192.0.2.1`], calls: 1 },
        { at: 30, answer: [`${WWW} 70 IN A 192.0.2.1`], calls: 1 },
        { at: 60, answer: [`${WWW} 40 IN A 192.0.2.1`], calls: 1 },
        // Third hit within a minute of the last and TTL 10 <= ceil(10% of 100): refresh.
        { at: 90, backend: answerA(100, '192.0.2.2'), answer: [`${WWW} 10 IN A 192.0.2.1`], calls: 2 },
        { at: 95, answer: [`${WWW} 95 IN A 192.0.2.2`], calls: 2 },
        { at: 190, answer: [`${WWW} 100 IN A 192.0.2.2`], calls: 3 },
      ],
    },
    {
      name: 'an entry that is not popular enough expires',
      cache: 'cache {\n prefetch 5\n}',
      backend: answerA(100),
      steps: [
        { at: 0, calls: 1 },
        { at: 30, calls: 1 },
        { at: 60, calls: 1 },
        { at: 95, answer: [`${WWW} 5 IN A 192.0.2.1`], calls: 1 },
        { at: 100, calls: 2 },
      ],
    },
    {
      name: 'a gap longer than DURATION resets the popularity',
      cache: 'cache {\n prefetch 2 10s 50%\n}',
      backend: answerA(100),
      steps: [
        { at: 0, calls: 1 },
        { at: 40, calls: 1 }, // hit 1
        { at: 55, calls: 1 }, // gap 15s > 10s: hit 1 again
        { at: 60, answer: [`${WWW} 40 IN A 192.0.2.1`], calls: 2 }, // hit 2, TTL 40 <= 50: refresh
      ],
    },
    {
      name: 'the refreshed entry keeps its popularity',
      cache: 'cache {\n prefetch 2 1m 50%\n}',
      backend: answerA(10),
      steps: [
        { at: 0, calls: 1 },
        { at: 1, calls: 1 },
        { at: 5, calls: 2 }, // hit 2, TTL 5 <= 5: refresh
        { at: 10, calls: 3 }, // new entry (TTL 5 left) already popular: refreshed again
      ],
    },
  ]);

  it('counts prefetches and runs one refresh per entry at a time', async () => {
    let release: (() => void) | undefined;
    const h = new Harness('cache {\n prefetch 1 1m 90%\n}', answerA(100));
    await h.ask(WWW, QType.A);
    const slow = new Backend(() => ({}));
    slow.serveDNS = async (req, w) => {
      h.backend.calls++;
      await new Promise<void>((r) => (release = r));
      w.write(reply(req, Rcode.NOERROR, { answers: [rr.a(req.qname, 100, '192.0.2.3')] }));
      return 0;
    };
    h.backend.serveDNS = slow.serveDNS;
    h.clock.set(20);
    await h.ask(WWW, QType.A);
    await h.ask(WWW, QType.A);
    await h.ask(WWW, QType.A);
    expect(h.backend.calls).toBe(2);
    expect(await h.metric('coredns_cache_prefetch_total')).toBe(1);
    release!();
    await settle();
    const { msg } = await h.ask(WWW, QType.A);
    expectSection(msg.answers, [`${WWW} 100 IN A 192.0.2.3`]);
  });
});

describe('serve_stale', () => {
  scenarios([
    {
      name: 'immediate: the stale entry is served with TTL 0, then refreshed',
      cache: 'cache {\n serve_stale\n}',
      backend: answerA(10),
      steps: [
        { at: 0, answer: [`${WWW} 10 IN A 192.0.2.1`], calls: 1 },
        { at: 15, backend: answerA(10, '192.0.2.2'), answer: [`${WWW} 0 IN A 192.0.2.1`], calls: 2 },
        { at: 16, answer: [`${WWW} 9 IN A 192.0.2.2`], calls: 2 },
      ],
    },
    {
      name: 'immediate: a failing backend keeps the stale entry served',
      cache: 'cache {\n serve_stale 1h immediate\n}',
      backend: answerA(10),
      steps: [
        { at: 0, calls: 1 },
        { at: 20, backend: throwing, answer: [`${WWW} 0 IN A 192.0.2.1`], calls: 2 },
        { at: 30, backend: unwritten(Rcode.SERVFAIL), answer: [`${WWW} 0 IN A 192.0.2.1`], calls: 3 },
      ],
    },
    {
      name: 'immediate: nothing is served beyond DURATION',
      cache: 'cache {\n serve_stale 60s\n}',
      backend: answerA(10),
      steps: [
        { at: 0, calls: 1 },
        { at: 69, backend: answerA(10, '192.0.2.2'), answer: [`${WWW} 0 IN A 192.0.2.1`], calls: 2 },
        { at: 200, backend: answerA(10, '192.0.2.3'), answer: [`${WWW} 10 IN A 192.0.2.3`], calls: 3 },
      ],
    },
    {
      name: 'verify: a fresh answer is served at once',
      cache: 'cache {\n serve_stale 1h verify\n}',
      backend: answerA(10),
      steps: [
        { at: 0, calls: 1 },
        { at: 15, backend: answerA(10, '192.0.2.2'), answer: [`${WWW} 10 IN A 192.0.2.2`], calls: 2 },
        { at: 16, answer: [`${WWW} 9 IN A 192.0.2.2`], calls: 2 },
      ],
    },
    {
      name: 'verify: NXDOMAIN replaces the stale answer',
      cache: 'cache {\n serve_stale 1h verify\n}',
      backend: answerA(10),
      steps: [
        { at: 0, calls: 1 },
        { at: 15, backend: nxdomain(60), rcode: Rcode.NXDOMAIN, ns: [soaText('example.org.', 60)], calls: 2 },
        { at: 16, rcode: Rcode.NXDOMAIN, calls: 2 },
      ],
    },
    {
      name: 'verify: the stale entry is served when the backend fails',
      cache: 'cache {\n serve_stale 1h verify\n}',
      backend: answerA(10),
      steps: [
        { at: 0, calls: 1 },
        { at: 15, backend: unwritten(Rcode.SERVFAIL), answer: [`${WWW} 0 IN A 192.0.2.1`], calls: 2 },
        { at: 16, backend: throwing, answer: [`${WWW} 0 IN A 192.0.2.1`], calls: 3 },
        { at: 17, backend: servfailWritten, answer: [`${WWW} 0 IN A 192.0.2.1`], calls: 4 },
        { at: 18, backend: (req) => ({ reply: reply(req, Rcode.REFUSED), rc: Rcode.REFUSED }), answer: [`${WWW} 0 IN A 192.0.2.1`], calls: 5 },
        { at: 19, backend: answerA(10, '192.0.2.2'), answer: [`${WWW} 10 IN A 192.0.2.2`], calls: 6 },
      ],
    },
    {
      name: 'keepttl applies to stale entries too',
      cache: 'cache {\n serve_stale\n keepttl\n}',
      backend: answerA(10),
      steps: [
        { at: 0, calls: 1 },
        { at: 15, backend: throwing, answer: [`${WWW} 10 IN A 192.0.2.1`], calls: 2 },
      ],
    },
  ]);

  it('counts stale answers', async () => {
    const h = await play({
      name: 'stale',
      cache: 'cache {\n serve_stale\n}',
      backend: answerA(10),
      steps: [{ at: 0, calls: 1 }, { at: 20, backend: throwing, calls: 2 }, { at: 21, calls: 3 }],
    });
    expect(await h.metric('coredns_cache_served_stale_total')).toBe(2);
  });
});

describe('wire form', () => {
  const BIG = 100;
  /** A CNAME and then an A RRset too large for any UDP reply. */
  const big: Answer = (req) => ({
    reply: reply(req, Rcode.NOERROR, {
      answers: [rr.cname(req.qname, 300, 'big.example.org.'), ...Array.from({ length: BIG }, (_, i) => rr.a('big.example.org.', 300, `10.0.0.${i + 1}`))],
    }),
  });

  scenarios([
    {
      name: 'a large cached reply is truncated for small UDP clients and whole over TCP',
      cache: 'cache',
      backend: big,
      steps: [
        { at: 0, opts: { tcp: true }, answers: BIG + 1, calls: 1 },
        // Truncation keeps whole RRsets: the CNAME fits, the A RRset does not.
        { at: 1, answer: [`${WWW} 299 IN CNAME big.example.org.`], tc: true, calls: 1 },
        { at: 2, opts: { edns: 4096 }, answer: [`${WWW} 298 IN CNAME big.example.org.`], tc: true, calls: 1 },
        { at: 3, opts: { tcp: true }, answers: BIG + 1, calls: 1 },
      ],
    },
    {
      name: 'a UDP miss caches the whole reply',
      cache: 'cache',
      backend: big,
      steps: [
        { at: 0, answers: 1, tc: true, calls: 1 },
        { at: 1, opts: { tcp: true }, answers: BIG + 1, calls: 1 },
      ],
    },
  ]);

  it('a hit patches the TTLs of the stored bytes only when they change, and sends a copy', async () => {
    const h = new Harness('cache', answerA(300));
    const first = await h.ask(WWW, QType.A);
    h.clock.set(10);
    const a = await h.ask(WWW, QType.A, { id: 1 });
    const b = await h.ask(WWW, QType.A, { id: 2 });
    expect(a.rec.reply).toBe(b.rec.reply); // one PreparedReply per entry
    expect(a.rec.wire).not.toBe(b.rec.wire);
    expect(a.rec.wire!.readUInt16BE(0)).toBe(1);
    expect(b.rec.wire!.readUInt16BE(0)).toBe(2);
    expectSection(first.msg.answers, [A300]);
    expectSection(a.msg.answers, [`${WWW} 290 IN A 192.0.2.1`]);
  });

  it('stores prepared replies without changing the producer bytes', async () => {
    let prepared: PreparedReply | undefined;
    const h = new Harness('cache 60', (req) => {
      prepared = PreparedReply.fromMessage(reply(req, Rcode.NOERROR, { answers: [rr.a(req.qname, 300, '192.0.2.1')] }));
      return { reply: prepared };
    });
    const miss = await h.ask(WWW, QType.A);
    const producer = Buffer.from(prepared!.tail);
    expectSection(miss.msg.answers, [`${WWW} 60 IN A 192.0.2.1`]);
    // The TTL of the producer's only record (4 bytes of address and 2 of length before the end).
    expect(producer.readUInt32BE(producer.length - 10)).toBe(300);
    h.clock.set(30);
    expectSection((await h.ask(WWW, QType.A)).msg.answers, [`${WWW} 30 IN A 192.0.2.1`]);
    expect(Buffer.from(prepared!.tail).equals(producer)).toBe(true);
    expect(h.backend.calls).toBe(1);
  });

  it('keeps the OPT out of the entry and mirrors the client EDNS', async () => {
    const h = new Harness('cache', (req) => {
      const m = reply(req, Rcode.NOERROR, { answers: [rr.a(req.qname, 300, '192.0.2.1')] });
      m.additionals.push({ name: '', type: QType.OPT, class: 4096, ttl: 0, rdata: [] } as unknown as Resource);
      return { reply: m };
    });
    const miss = await h.ask(WWW, QType.A);
    expect(miss.rec.wire!.readUInt16BE(10)).toBe(0); // no OPT for a client without one
    const hit = await h.ask(WWW, QType.A, { edns: 1232 });
    expect(hit.rec.wire!.readUInt16BE(10)).toBe(1);
    expectSection(hit.msg.answers, [A300]);
  });
});

describe('cache metrics', () => {
  it('counts requests, hits by type, misses, entries and evictions with CoreDNS labels', async () => {
    const h = await play({
      name: 'metrics',
      cache: 'cache {\n success 1\n}',
      backend: byName({ 'a.example.org.': answerA(300), 'b.example.org.': answerA(300) }),
      steps: [
        { qname: 'a.example.org.', calls: 1 },
        { qname: 'a.example.org.', calls: 1 },
        { qname: 'x.example.org.', rcode: Rcode.NXDOMAIN, calls: 2 },
        { qname: 'x.example.org.', rcode: Rcode.NXDOMAIN, calls: 2 },
        { qname: 'x.example.org.', rcode: Rcode.NXDOMAIN, calls: 2 },
        { qname: 'b.example.org.', calls: 3 },
      ],
    });
    expect(await h.metric('coredns_cache_requests_total')).toBe(6);
    expect(await h.metric('coredns_cache_misses_total')).toBe(3);
    expect(await h.metric('coredns_cache_hits_total', { type: 'success' })).toBe(1);
    expect(await h.metric('coredns_cache_hits_total', { type: 'denial' })).toBe(2);
    expect(await h.metric('coredns_cache_entries', { type: 'success' })).toBe(1);
    expect(await h.metric('coredns_cache_entries', { type: 'denial' })).toBe(1);
    expect(await h.metric('coredns_cache_evictions_total', { type: 'success' })).toBe(1);
    expect(await h.metric('coredns_cache_evictions_total', { type: 'denial' })).toBe(0);
  });

  it('counts replies for another question as drops', async () => {
    const h = new Harness('cache', (req) => ({ reply: reply(req, Rcode.NOERROR, { qname: 'other.example.org.', answers: [rr.a('other.example.org.', 300, '192.0.2.9')] }) }));
    await h.ask(WWW, QType.A);
    await h.ask(WWW, QType.A);
    expect(await h.metric('coredns_cache_drops_total')).toBe(2);
  });

  it('labels zones with the cache zones joined by commas', async () => {
    const h = new Harness('cache example.org example.net', answerA(300));
    await h.ask(WWW, QType.A);
    expect(await h.metric('coredns_cache_requests_total', { zones: 'example.org.,example.net.' })).toBe(1);
  });
});

describe('cache handler', () => {
  it('reports a missing next plugin like CoreDNS', async () => {
    const config = parse(new Dispenser(lex('cache', 'Corefile')), ['.']);
    const h = new CacheHandler(config, undefined);
    const req = makeRequest(WWW, QType.A);
    await expect(h.serveDNS(req, new Recorder(req))).rejects.toThrow('plugin/cache: no next plugin found');
  });

  it('passes a plugin error of a miss through', async () => {
    const h = new Harness('cache', throwing);
    await expect(h.ask(WWW, QType.A)).rejects.toThrow('plugin/backend: unreachable');
  });

  it('does not cache zone transfers', async () => {
    const h = new Harness('cache', (req) => ({ reply: reply(req, Rcode.NOERROR, { answers: [SOA('example.org.')] }) }));
    await h.ask('example.org.', QType.AXFR, { tcp: true });
    await h.ask('example.org.', QType.AXFR, { tcp: true });
    expect(h.backend.calls).toBe(2);
  });

  it('sets no flags on hits beyond the stored ones, AA and the query bits', async () => {
    const h = new Harness('cache', answerA(300));
    await h.ask(WWW, QType.A);
    const hit = await h.ask(WWW, QType.A, { rd: false });
    const flags = hit.rec.wire!.readUInt16BE(2);
    expect(flags & ~0xf).toBe(Flag.QR | Flag.AA);
  });
});

// ---- The server's shortcut (PreparedAnswers) ------------------------------------------------------

describe('preparedReply: the same reply and counters as serveDNS, or nothing at all', () => {
  // A counter never touched reads as 0 (its labelled series may not exist yet).
  const counters = async (h: Harness) => ({
    requests: (await h.metric('coredns_cache_requests_total')) ?? 0,
    hits: (await h.metric('coredns_cache_hits_total', { type: 'success' })) ?? 0,
    denialHits: (await h.metric('coredns_cache_hits_total', { type: 'denial' })) ?? 0,
    misses: (await h.metric('coredns_cache_misses_total')) ?? 0,
  });
  const prepared = (h: Harness, qname: string, qtype: number) => h.cache.preparedReply(makeRequest(qname, qtype).query, h.server);

  it.each([
    { id: 'fresh success', directive: 'cache 3600', answer: answerA(300), qtype: QType.A },
    { id: 'fresh denial', directive: 'cache 3600', answer: nxdomain(), qtype: QType.A },
  ])('$id: a hit through the shortcut equals a hit through serveDNS', async ({ directive, answer, qtype }) => {
    const viaChain = new Harness(directive, answer);
    const viaShortcut = new Harness(directive, answer);
    for (const h of [viaChain, viaShortcut]) {
      await h.ask(WWW, qtype);
      h.clock.set(10);
    }
    const chained = await viaChain.ask(WWW, qtype);
    const shortcut = prepared(viaShortcut, WWW, qtype);
    expect(shortcut).toBeInstanceOf(PreparedReply);
    const rec = new Recorder(makeRequest(WWW, qtype));
    rec.write(shortcut!);
    expect(rec.wire!.subarray(2)).toEqual(chained.rec.wire!.subarray(2));
    expect(await counters(viaShortcut)).toEqual(await counters(viaChain));
    expect(viaShortcut.backend.calls).toBe(1);
  });

  it.each([
    { id: 'a miss', directive: 'cache 3600', at: 0, warm: false },
    { id: 'a stale entry (serve_stale)', directive: 'cache 3600 {\n serve_stale 1h\n}', at: 400, warm: true },
    { id: 'an entry due for prefetch', directive: 'cache 3600 {\n prefetch 1 1m 50%\n}', at: 10, warm: true },
  ])('$id: no reply and no side effect', async ({ directive, at, warm }) => {
    const h = new Harness(directive, answerA(300));
    if (warm) await h.ask(WWW, QType.A);
    h.clock.set(at);
    const before = await counters(h);
    expect(prepared(h, WWW, QType.A)).toBeUndefined();
    expect(await counters(h)).toEqual(before);
  });

  it('a name outside the cache zones is left to a next plugin that answers prepared', () => {
    const config = parse(new Dispenser(lex('cache 3600 example.net', 'Corefile')), ['.']);
    const answer = new PreparedReply(Flag.AA, 0, 0, 0, Buffer.alloc(0), -1);
    const next = { name: 'next', serveDNS: async () => Rcode.NOERROR, preparedReply: () => answer };
    const h = new CacheHandler(config, next);
    expect(h.preparedReply(makeRequest(WWW, QType.A).query, 'dns://:53')).toBe(answer);
  });
});
