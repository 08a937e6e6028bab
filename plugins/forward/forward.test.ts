/**
 * The forward handler against in-process fake upstreams (test/upstream/fake.ts): table tests per
 * behaviour, in the style of CoreDNS's forward tests, with the timeouts shortened.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { expectSection, makeRequest, type QueryOptions, Recorder } from '../../test/kit.js';
import { type FakeBehaviour, type FakeQuery, type FakeUpstream, reply, startFakeUpstream } from '../../test/upstream/fake.js';
import { registry } from '../../src/metrics/registry.js';
import { type Handler, PluginError } from '../../src/plugin/plugin.js';
import type { Client } from '../../src/plugin/request.js';
import { QClass, QType, Rcode } from '../../src/wire/constants.js';
import type { Message } from '../../src/wire/message.js';
import { DEFAULTS, type ForwardConfig } from './config.js';
import { Forward } from './forward.js';
import { newForward } from './instance.js';
import { parseTo } from './to.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until `cond` holds (polling), failing after `ms`. */
async function until(cond: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const end = performance.now() + ms;
  while (!(await cond())) {
    if (performance.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** Fake upstreams with these behaviours, stopped after the test. */
async function upstreams(...bs: FakeBehaviour[]): Promise<FakeUpstream[]> {
  const ups = await Promise.all(bs.map((b) => startFakeUpstream(b)));
  for (const u of ups) cleanup.push(() => u.stop());
  return ups;
}

/** Short timeouts so failures take a fraction of a second. */
const FAST: Partial<ForwardConfig> = { readTimeoutMs: 150, totalTimeoutMs: 600, policy: 'sequential' };

function forwarder(to: Array<FakeUpstream | string>, extra: Partial<ForwardConfig> = {}): Forward {
  const f = newForward({ ...DEFAULTS, ...FAST, from: '.', upstreams: parseTo(to.map((u) => (typeof u === 'string' ? u : u.address))), ...extra });
  cleanup.push(() => {
    for (const p of f.proxies) p.stop();
  });
  return f;
}

interface Served {
  code: number | undefined;
  err: unknown;
  rec: Recorder;
  ms: number;
}

async function serve(h: Handler, qname: string, qtype: number = QType.A, opts: QueryOptions & { client?: Partial<Client> } = {}): Promise<Served> {
  const req = makeRequest(qname, qtype, opts);
  const rec = new Recorder(req);
  const t0 = performance.now();
  try {
    const code = await h.serveDNS(req, rec);
    return { code, err: undefined, rec, ms: performance.now() - t0 };
  } catch (err) {
    return { code: undefined, err, rec, ms: performance.now() - t0 };
  }
}

const answer = (ip: string): FakeBehaviour => (q) => reply(q, { a: q.qtype === QType.A ? [ip] : [] });
const rcode = (rc: number, soa = false): FakeBehaviour => (q) => reply(q, { rcode: rc, soa });
const drop: FakeBehaviour = () => 'drop';
/** TC over UDP, the whole answer over TCP. */
const truncatedOverUdp: FakeBehaviour = (q) => (q.proto === 'udp' ? reply(q, { tc: true }) : reply(q, { a: ['192.0.2.77'] }));

/** The written reply as the client decodes it. */
function msg(s: Served): Message {
  expect(s.err, String(s.err)).toBeUndefined();
  return s.rec.msg();
}

describe('forward: replies', () => {
  interface Row {
    id: string;
    behaviours: FakeBehaviour[];
    config?: Partial<ForwardConfig>;
    qname?: string;
    qtype?: number;
    opts?: QueryOptions & { client?: Partial<Client> };
    rcode: number;
    answer?: string[];
    flags?: { aa?: 0 | 1; tc?: 0 | 1 };
    /** Transports each upstream saw, in order. */
    seen?: string[][];
  }
  const rows: Row[] = [
    { id: 'answer', behaviours: [answer('192.0.2.1')], rcode: Rcode.NOERROR, answer: ['example.org. 300 IN A 192.0.2.1'], flags: { aa: 1 }, seen: [['udp']] },
    {
      id: 'client letter case kept',
      behaviours: [answer('192.0.2.1')],
      qname: 'ExAmPlE.oRg.',
      rcode: Rcode.NOERROR,
      answer: ['ExAmPlE.oRg. 300 IN A 192.0.2.1'],
    },
    { id: 'NXDOMAIN passed on', behaviours: [rcode(Rcode.NXDOMAIN, true)], rcode: Rcode.NXDOMAIN, answer: [] },
    { id: 'SERVFAIL passed on', behaviours: [rcode(Rcode.SERVFAIL), answer('192.0.2.2')], rcode: Rcode.SERVFAIL, seen: [['udp'], []] },
    { id: 'REFUSED passed on', behaviours: [rcode(Rcode.REFUSED)], rcode: Rcode.REFUSED },
    {
      id: 'non-authoritative answer keeps AA clear',
      behaviours: [(q) => reply(q, { aa: false, a: ['192.0.2.3'] })],
      rcode: Rcode.NOERROR,
      flags: { aa: 0 },
    },
    {
      id: 'question mismatch gives FORMERR',
      behaviours: [(q) => reply(q, { question: { name: 'evil.example.net.' }, a: ['203.0.113.66'] })],
      rcode: Rcode.FORMERR,
      answer: [],
    },
    {
      id: 'reply with a wrong ID is skipped',
      behaviours: [(q) => [reply(q, { id: q.id ^ 1, a: ['203.0.113.66'] }), reply(q, { a: ['192.0.2.4'] })]],
      rcode: Rcode.NOERROR,
      answer: ['example.org. 300 IN A 192.0.2.4'],
    },
    { id: 'TC over UDP passed on to a UDP client', behaviours: [truncatedOverUdp], rcode: Rcode.NOERROR, answer: [], flags: { tc: 1 }, seen: [['udp']] },
    {
      id: 'TCP client: TCP upstream',
      behaviours: [answer('192.0.2.5')],
      opts: { client: { proto: 'tcp' } },
      rcode: Rcode.NOERROR,
      seen: [['tcp']],
    },
    {
      id: 'prefer_udp: TCP client over UDP, TC retried over TCP',
      behaviours: [truncatedOverUdp],
      config: { preferUdp: true },
      opts: { client: { proto: 'tcp' } },
      rcode: Rcode.NOERROR,
      answer: ['example.org. 300 IN A 192.0.2.77'],
      seen: [['udp', 'tcp']],
    },
    { id: 'force_tcp: UDP client over TCP', behaviours: [truncatedOverUdp], config: { forceTcp: true }, rcode: Rcode.NOERROR, seen: [['tcp']] },
    {
      id: 'force_tcp wins over prefer_udp',
      behaviours: [answer('192.0.2.6')],
      config: { forceTcp: true, preferUdp: true },
      opts: { client: { proto: 'tcp' } },
      rcode: Rcode.NOERROR,
      seen: [['tcp']],
    },
    {
      id: 'CHAOS class forwarded',
      behaviours: [(q) => reply(q, { txt: ['exdns'] })],
      qname: 'version.bind.',
      qtype: QType.TXT,
      opts: { qclass: QClass.CH },
      rcode: Rcode.NOERROR,
    },
    {
      id: 'timeout: next upstream',
      behaviours: [drop, answer('192.0.2.8')],
      rcode: Rcode.NOERROR,
      answer: ['example.org. 300 IN A 192.0.2.8'],
      config: { maxFails: 0 },
    },
    {
      id: 'malformed reply: next upstream',
      behaviours: [(q) => reply(q, { a: ['192.0.2.9'] }).subarray(0, 40), answer('192.0.2.10')],
      rcode: Rcode.NOERROR,
      answer: ['example.org. 300 IN A 192.0.2.10'],
      config: { maxFails: 0 },
    },
    {
      id: 'failover SERVFAIL: next upstream',
      behaviours: [rcode(Rcode.SERVFAIL), answer('192.0.2.11')],
      config: { failover: [Rcode.SERVFAIL] },
      rcode: Rcode.NOERROR,
      answer: ['example.org. 300 IN A 192.0.2.11'],
    },
    {
      id: 'failover: all tried, last reply written',
      behaviours: [rcode(Rcode.SERVFAIL), rcode(Rcode.REFUSED)],
      config: { failover: [Rcode.SERVFAIL, Rcode.REFUSED] },
      rcode: Rcode.REFUSED,
      seen: [['udp'], ['udp']],
    },
  ];
  it.each(rows)('$id', async (row) => {
    const ups = await upstreams(...row.behaviours);
    const f = forwarder(ups, row.config);
    const s = await serve(f, row.qname ?? 'example.org.', row.qtype ?? QType.A, { id: 4242, ...row.opts });
    expect(s.code).toBe(0);
    const m = msg(s);
    expect(m.header.id).toBe(4242);
    expect(m.header.rcode).toBe(row.rcode);
    expect(m.questions[0]!.name).toBe((row.qname ?? 'example.org.').slice(0, -1));
    if (row.answer) expectSection(m.answers, row.answer);
    if (row.flags?.aa !== undefined) expect(m.header.aa).toBe(row.flags.aa);
    if (row.flags?.tc !== undefined) expect(m.header.tc).toBe(row.flags.tc);
    if (row.seen) expect(ups.map((u) => u.queries.map((q) => q.proto))).toEqual(row.seen);
  });

  it('randomises the upstream ID per query and sends the rest of the query unchanged', async () => {
    const [up] = await upstreams(answer('192.0.2.1'));
    const f = forwarder([up!]);
    const sent: Buffer[] = [];
    for (let i = 0; i < 20; i++) {
      const s = await serve(f, 'Www.Example.org.', QType.AAAA, { id: 7, edns: 1232, do: true, cd: true });
      sent.push(s.rec.req.query.raw);
      expect(msg(s).header.id).toBe(7);
    }
    const ids = new Set(up!.queries.map((q) => q.id));
    expect(ids.size).toBeGreaterThan(15);
    up!.queries.forEach((q, i) => expect(q.raw.subarray(2)).toEqual(sent[i]!.subarray(2)));
  });

  it("gives an EDNS client exactly one OPT (exdns's), whatever the upstream sent", async () => {
    const [up] = await upstreams((q) => reply(q, { a: ['192.0.2.1'], opt: { udpSize: 4096 } }));
    const s = await serve(forwarder([up!]), 'example.org.', QType.A, { edns: 4096 });
    const opts = msg(s).additionals.filter((r) => r.type === QType.OPT);
    expect(opts).toHaveLength(1);
  });

  it('sets the forward/upstream metadata', async () => {
    const [up] = await upstreams(answer('192.0.2.1'));
    const s = await serve(forwarder([up!]), 'example.org.');
    expect(s.rec.req.metadata('forward/upstream')).toBe(up!.address);
  });
});

describe('forward: failures', () => {
  it('SERVFAIL with the last error when every try times out, within the overall timeout', async () => {
    const ups = await upstreams(drop, drop);
    const s = await serve(forwarder(ups, { maxFails: 0 }), 'example.org.');
    expect(s.err).toBeInstanceOf(PluginError);
    expect((s.err as PluginError).rcode).toBe(Rcode.SERVFAIL);
    expect((s.err as PluginError).message).toMatch(/^read udp 127\.0\.0\.1:\d+->127\.0\.0\.1:\d+: i\/o timeout$/);
    expect(s.rec.written).toBe(false);
    // 600 ms overall, 150 ms per try: the list is gone through twice.
    expect(s.ms).toBeGreaterThanOrEqual(590);
    expect(s.ms).toBeLessThan(1500);
    expect(ups.map((u) => u.queries.length)).toEqual([2, 2]);
  });

  it('fails fast past a refusing upstream', async () => {
    const [dead, up] = await upstreams(drop, answer('192.0.2.12'));
    await dead!.stop();
    // A 2 s try timeout: only the refusal (ICMP port unreachable) can make this quick.
    const s = await serve(forwarder([dead!, up!], { readTimeoutMs: 2000, totalTimeoutMs: 5000 }), 'example.org.');
    expectSection(msg(s).answers, ['example.org. 300 IN A 192.0.2.12']);
    expect(s.ms).toBeLessThan(1000);
  });

  it('gives up on an upstream that refuses after two tries instead of looping until the deadline', async () => {
    const [dead] = await upstreams(drop);
    await dead!.stop();
    const s = await serve(forwarder([dead!], { totalTimeoutMs: 5000 }), 'example.org.');
    expect((s.err as PluginError).rcode).toBe(Rcode.SERVFAIL);
    expect((s.err as PluginError).message).toMatch(/^read udp 127\.0\.0\.1:\d+->127\.0\.0\.1:\d+: connection refused$/);
    expect(s.ms).toBeLessThan(1000);
  });

  it('max_connect_attempts caps the failed tries of one query', async () => {
    const ups = await upstreams(drop, drop);
    const s = await serve(forwarder(ups, { maxConnectAttempts: 1, maxFails: 0 }), 'example.org.');
    expect((s.err as PluginError).rcode).toBe(Rcode.SERVFAIL);
    expect(s.ms).toBeLessThan(1000);
    expect(ups.map((u) => u.queries.length)).toEqual([1, 0]);
  });

  it('max_concurrent: REFUSED beyond the limit, counted', async () => {
    const [up] = await upstreams((q) => ({ delayMs: 100, then: reply(q, { a: ['192.0.2.13'] }) }));
    const f = forwarder([up!], { maxConcurrent: 2 });
    const before = await counter('coredns_forward_max_concurrent_rejects_total', {});
    const all = await Promise.all([1, 2, 3].map(() => serve(f, 'example.org.')));
    const refused = all.filter((s) => s.err instanceof PluginError);
    expect(refused).toHaveLength(1);
    expect((refused[0]!.err as PluginError).rcode).toBe(Rcode.REFUSED);
    expect((refused[0]!.err as PluginError).message).toBe('concurrent queries exceeded maximum 2');
    expect(await counter('coredns_forward_max_concurrent_rejects_total', {})).toBe(before + 1);
    // The slots are free again afterwards.
    expect(msg(await serve(f, 'example.org.')).header.rcode).toBe(Rcode.NOERROR);
  });
});

describe('forward: FROM, except, next', () => {
  /** A next plugin that records the names it got and answers nothing. */
  function recorder(): Handler & { names: string[] } {
    const names: string[] = [];
    return { name: 'rec', names, serveDNS: async (req) => (names.push(req.name), Rcode.NOTIMP) };
  }

  const cases: Array<{ id: string; from: string; except?: string[]; qname: string; forwarded: boolean }> = [
    { id: 'under FROM', from: 'example.org.', qname: 'a.example.org.', forwarded: true },
    { id: 'FROM itself', from: 'example.org.', qname: 'example.org.', forwarded: true },
    { id: 'outside FROM', from: 'example.org.', qname: 'example.net.', forwarded: false },
    { id: 'suffix but not a subdomain', from: 'example.org.', qname: 'badexample.org.', forwarded: false },
    { id: 'excepted', from: '.', except: ['example.org.'], qname: 'www.example.org.', forwarded: false },
    { id: 'excepted apex', from: '.', except: ['example.org.'], qname: 'example.org.', forwarded: false },
    { id: 'beside an exception', from: '.', except: ['example.org.'], qname: 'example.net.', forwarded: true },
    { id: 'FROM is never excepted', from: 'example.org.', except: ['example.org.'], qname: 'example.org.', forwarded: true },
  ];
  it.each(cases)('$id', async ({ from, except, qname, forwarded }) => {
    const [up] = await upstreams(answer('192.0.2.20'));
    const f = forwarder([up!], { from, ignored: except ?? [] });
    const next = recorder();
    f.next = next;
    const s = await serve(f, qname);
    expect(up!.queries.length).toBe(forwarded ? 1 : 0);
    expect(next.names).toEqual(forwarded ? [] : [qname]);
    if (!forwarded) expect(s.code).toBe(Rcode.NOTIMP);
  });

  it('next RCODE hands over to the next forward', async () => {
    const [a, b] = await upstreams(rcode(Rcode.NXDOMAIN, true), answer('192.0.2.21'));
    const first = forwarder([a!], { next: [Rcode.NXDOMAIN] });
    const second = forwarder([b!]);
    first.next = second;
    expectSection(msg(await serve(first, 'example.org.')).answers, ['example.org. 300 IN A 192.0.2.21']);
  });

  it('next is ignored when the next plugin is not a forward', async () => {
    const [a] = await upstreams(rcode(Rcode.NXDOMAIN, true));
    const f = forwarder([a!], { next: [Rcode.NXDOMAIN] });
    const next = recorder();
    f.next = next;
    expect(msg(await serve(f, 'example.org.')).header.rcode).toBe(Rcode.NXDOMAIN);
    expect(next.names).toEqual([]);
  });

  it('next_on_nodata hands NOERROR without answers to the next forward', async () => {
    const [a, b] = await upstreams((q) => reply(q, { soa: true }), answer('192.0.2.22'));
    const first = forwarder([a!], { nextOnNodata: true });
    first.next = forwarder([b!]);
    expectSection(msg(await serve(first, 'example.org.')).answers, ['example.org. 300 IN A 192.0.2.22']);
    // An answer stays.
    a!.behaviour = answer('192.0.2.23');
    expectSection(msg(await serve(first, 'example.org.')).answers, ['example.org. 300 IN A 192.0.2.23']);
  });
});

describe('forward: policies', () => {
  it('round_robin spreads queries over the upstreams in turn', async () => {
    const ups = await upstreams(answer('192.0.2.1'), answer('192.0.2.2'), answer('192.0.2.3'));
    const f = forwarder(ups, { policy: 'round_robin' });
    const got: string[] = [];
    for (let i = 0; i < 6; i++) got.push((msg(await serve(f, 'example.org.')).answers[0] as { address: string }).address);
    expect(got).toEqual(['192.0.2.2', '192.0.2.3', '192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.1']);
  });

  it('random uses every upstream', async () => {
    const ups = await upstreams(answer('192.0.2.1'), answer('192.0.2.2'), answer('192.0.2.3'));
    const f = forwarder(ups, { policy: 'random' });
    for (let i = 0; i < 60; i++) await serve(f, 'example.org.');
    for (const u of ups) expect(u.queries.length).toBeGreaterThan(5);
  });
});

describe('forward: health checks', () => {
  const isProbe = (q: FakeQuery) => q.qtype === QType.NS;

  it('probes an upstream after an error, marks it down after max_fails, and skips it', async () => {
    const [dead, up] = await upstreams(drop, answer('192.0.2.30'));
    const port = dead!.port;
    await dead!.stop();
    const f = forwarder([dead!, up!], { health: { intervalMs: 20, domain: '.', recursionDesired: true } });
    const failures = () => counter('coredns_proxy_healthcheck_failures_total', { proxy_name: 'forward', to: `127.0.0.1:${port}` });
    expect(msg(await serve(f, 'example.org.')).header.rcode).toBe(Rcode.NOERROR);
    await until(() => f.proxies[0]!.down(2));
    expect(await failures()).toBeGreaterThanOrEqual(3);
    expect(f.proxies[1]!.down(2)).toBe(false);
    // The upstream comes back: the running probe loop sees it and clears the fails.
    const back = await startFakeUpstream(answer('192.0.2.31'), { port });
    cleanup.push(() => back.stop());
    await until(() => f.proxies[0]!.fails === 0);
    expect(back.queries.filter(isProbe).map((q) => [q.name, q.flags & 0x0100])).toEqual([['.', 0x0100]]);
    expectSection(msg(await serve(f, 'example.org.')).answers, ['example.org. 300 IN A 192.0.2.31']);
  });

  it('probes with the configured name and without RD (no_rec), over TCP with force_tcp', async () => {
    const [up] = await upstreams((q) => (isProbe(q) ? reply(q, { rcode: Rcode.REFUSED }) : 'drop'));
    const f = forwarder([up!], { forceTcp: true, health: { intervalMs: 20, domain: 'example.net.', recursionDesired: false } });
    await serve(f, 'example.org.');
    await until(() => up!.queries.some(isProbe));
    const probes = up!.queries.filter(isProbe);
    expect(probes.length).toBeGreaterThanOrEqual(1);
    expect([probes[0]!.name, probes[0]!.flags & 0x0100, probes[0]!.proto]).toEqual(['example.net.', 0, 'tcp']);
    // REFUSED is a reply: healthy.
    expect(f.proxies[0]!.fails).toBe(0);
  });

  it('max_fails 0: never probes', async () => {
    const [up] = await upstreams(drop);
    await serve(forwarder([up!], { maxFails: 0, health: { intervalMs: 10, domain: '.', recursionDesired: true } }), 'example.org.');
    await sleep(50);
    expect(up!.queries.filter(isProbe)).toEqual([]);
  });

  it('every upstream down: one random try anyway, counted as broken health checking', async () => {
    const [a, b] = await upstreams(answer('192.0.2.40'), answer('192.0.2.40'));
    const f = forwarder([a!, b!]);
    for (const p of f.proxies) p.fails = 3;
    const before = await counter('coredns_forward_healthcheck_broken_total', {});
    expectSection(msg(await serve(f, 'example.org.')).answers, ['example.org. 300 IN A 192.0.2.40']);
    expect(await counter('coredns_forward_healthcheck_broken_total', {})).toBe(before + 1);
    expect(a!.queries.length + b!.queries.length).toBe(1);
  });

  it('failfast_all_unhealthy_upstreams: SERVFAIL at once when all are down', async () => {
    const [a] = await upstreams(answer('192.0.2.41'));
    const f = forwarder([a!], { failfast: true });
    f.proxies[0]!.fails = 3;
    const s = await serve(f, 'example.org.');
    expect((s.err as PluginError).rcode).toBe(Rcode.SERVFAIL);
    expect((s.err as PluginError).message).toBe('no healthy proxies');
    expect(a!.queries).toEqual([]);
  });
});

/** Value of a counter series, or the count of a histogram series, in the process registry. */
async function counter(name: string, labels: Record<string, string>): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (m === undefined) return 0;
  const got = await m.get();
  let sum = 0;
  for (const v of got.values as Array<{ labels: Record<string, string | number>; value: number; metricName?: string }>) {
    if (v.metricName !== undefined && !v.metricName.endsWith('_count')) continue;
    if (Object.entries(labels).every(([k, x]) => String(v.labels[k]) === x)) sum += v.value;
  }
  return sum;
}

describe('forward: metrics', () => {
  it('counts durations per upstream and rcode, and connection cache hits and misses per protocol', async () => {
    const [up] = await upstreams((q) => (q.name.startsWith('nx') ? reply(q, { rcode: Rcode.NXDOMAIN }) : reply(q, { a: ['192.0.2.50'] })));
    const f = forwarder([up!]);
    for (let i = 0; i < 6; i++) await serve(f, 'example.org.');
    await serve(f, 'nx.example.org.');
    await serve(f, 'example.org.', QType.A, { client: { proto: 'tcp' } });
    await serve(f, 'example.org.', QType.A, { client: { proto: 'tcp' } });
    const to = up!.address;
    expect(await counter('coredns_proxy_request_duration_seconds', { proxy_name: 'forward', to, rcode: 'NOERROR' })).toBe(8);
    expect(await counter('coredns_proxy_request_duration_seconds', { proxy_name: 'forward', to, rcode: 'NXDOMAIN' })).toBe(1);
    expect(await counter('coredns_proxy_conn_cache_misses_total', { proxy_name: 'forward', to, proto: 'udp' })).toBe(4);
    expect(await counter('coredns_proxy_conn_cache_hits_total', { proxy_name: 'forward', to, proto: 'udp' })).toBe(3);
    expect(await counter('coredns_proxy_conn_cache_misses_total', { proxy_name: 'forward', to, proto: 'tcp' })).toBe(1);
    expect(await counter('coredns_proxy_conn_cache_hits_total', { proxy_name: 'forward', to, proto: 'tcp' })).toBe(1);
  });

  it('exports the unlabelled counters from the start', async () => {
    const text = await registry.metrics();
    expect(text).toMatch(/^coredns_forward_healthcheck_broken_total \d+$/m);
    expect(text).toMatch(/^coredns_forward_max_concurrent_rejects_total \d+$/m);
  });
});
