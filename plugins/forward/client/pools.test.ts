/**
 * The UDP and TCP pools against a programmable upstream: reuse, pipelining, matching by ID and
 * question, timeouts, refusals, idle expiry and draining on stop.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { queryBytes } from '../../../test/kit.js';
import { type FakeBehaviour, type FakeQuery, type FakeUpstream, reply, startFakeUpstream } from '../../../test/upstream/fake.js';
import { parseQuery, Query } from '../../../src/wire/query.js';
import type { Outcome } from './outcome.js';
import { DEFAULT_POOL, type PoolOptions } from './pool-options.js';
import { TcpPool } from './tcp-pool.js';
import { UdpPool } from './udp-pool.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `qN.example.org. A` is answered 192.0.2.N; anything else 192.0.2.1. */
function numbered(q: FakeQuery): Buffer {
  const m = /^q(\d+)\./i.exec(q.name);
  return reply(q, { a: [`192.0.2.${m ? Number(m[1]) % 256 : 1}`] });
}

/** The A record's address in a reply built by `reply()` (the answer starts after the question). */
function addressOf(msg: Buffer, questionEnd: number): string {
  return [...msg.subarray(questionEnd + 12, questionEnd + 16)].join('.');
}

function query(name: string, o: Parameters<typeof queryBytes>[2] = {}): Query {
  const q = parseQuery(queryBytes(name, 1, { id: 0x1234, ...o }));
  if (!(q instanceof Query)) throw new Error('bad test query');
  return q;
}

type Pool = UdpPool | TcpPool;

interface Setup {
  up: FakeUpstream;
  pool: Pool;
  counts: { hit: number; miss: number };
}

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(proto: 'udp' | 'tcp', behaviour: FakeBehaviour = numbered, opts: Partial<PoolOptions> = {}): Promise<Setup> {
  const up = await startFakeUpstream(behaviour);
  const counts = { hit: 0, miss: 0 };
  const events = { hit: () => counts.hit++, miss: () => counts.miss++ };
  const o = { ...DEFAULT_POOL, ...opts };
  const pool = proto === 'udp' ? new UdpPool('127.0.0.1', up.port, o, events) : new TcpPool('127.0.0.1', up.port, o, events);
  cleanup.push(() => up.stop(), () => pool.stop());
  return { up, pool, counts };
}

function ask(pool: Pool, name: string, timeoutMs = 1000, o: Parameters<typeof queryBytes>[2] = {}): Promise<Outcome> {
  const q = query(name, o);
  return pool.exchange(q.raw, q.questionEnd, timeoutMs);
}

function expectAddress(o: Outcome, name: string, ip: string): void {
  expect(o.kind, o.kind === 'error' ? o.error.message : '').toBe('reply');
  if (o.kind === 'reply') expect(addressOf(o.msg, query(name).questionEnd)).toBe(ip);
}

for (const proto of ['udp', 'tcp'] as const) {
  describe(`${proto} pool`, () => {
    it('sends the query unchanged but for a random ID, one message per query', async () => {
      const { up, pool } = await setup(proto);
      const q = query('q7.example.org.', { edns: 1232, do: true });
      const o = await pool.exchange(q.raw, q.questionEnd, 1000);
      expectAddress(o, 'q7.example.org.', '192.0.2.7');
      expect(up.queries).toHaveLength(1);
      const sent = up.queries[0]!;
      expect(sent.proto).toBe(proto);
      expect(sent.raw.subarray(2)).toEqual(q.raw.subarray(2));
      // The reply carries the upstream ID; restoring the client's is the writer's job.
      if (o.kind === 'reply') expect(o.msg.readUInt16BE(0)).toBe(sent.id);
    });

    it('matches concurrent replies to their queries by ID, out of order', async () => {
      // Later queries are answered first.
      const { up, pool } = await setup(proto, (q) => ({ delayMs: 200 - Number(/^q(\d+)/.exec(q.name)![1]), then: numbered(q) }));
      const names = Array.from({ length: 100 }, (_, i) => `q${i + 1}.example.org.`);
      const outs = await Promise.all(names.map((n) => ask(pool, n)));
      outs.forEach((o, i) => expectAddress(o, names[i]!, `192.0.2.${i + 1}`));
      // IDs are unique per socket (source port) or connection.
      const ids = new Set(up.queries.map((q) => `${q.connection}/${q.port}/${q.id}`));
      expect(ids.size).toBe(100);
    });

    it('reuses sockets and connections (connection cache hits)', async () => {
      const { up, pool, counts } = await setup(proto);
      for (let i = 1; i <= 12; i++) expectAddress(await ask(pool, `q${i}.example.org.`), `q${i}.example.org.`, `192.0.2.${i}`);
      if (proto === 'udp') {
        // Four sockets used in turn, each its own source port.
        expect(new Set(up.queries.map((q) => q.port)).size).toBe(DEFAULT_POOL.udpSockets);
        expect(counts).toEqual({ hit: 12 - DEFAULT_POOL.udpSockets, miss: DEFAULT_POOL.udpSockets });
      } else {
        expect(up.tcpAccepted).toBe(1);
        expect(counts).toEqual({ hit: 11, miss: 1 });
      }
    });

    it('skips a reply with a wrong ID and takes the right one after it', async () => {
      const { pool } = await setup(proto, (q) => [reply(q, { id: q.id ^ 0x5555, a: ['198.51.100.1'] }), numbered(q)]);
      expectAddress(await ask(pool, 'q3.example.org.'), 'q3.example.org.', '192.0.2.3');
    });

    it('accepts the question in another letter case', async () => {
      const { pool } = await setup(proto, (q) => reply(q, { question: { name: q.name.toUpperCase() }, a: ['192.0.2.55'] }));
      expectAddress(await ask(pool, 'q55.Example.org.'), 'q55.Example.org.', '192.0.2.55');
    });

    const mismatches: Array<{ name: string; behaviour: (q: FakeQuery) => Buffer }> = [
      { name: 'another name', behaviour: (q) => reply(q, { question: { name: 'other.example.net.' } }) },
      { name: 'another type', behaviour: (q) => reply(q, { question: { name: q.name, qtype: 28 } }) },
      { name: 'no question', behaviour: (q) => reply(q, { question: null }) },
      { name: 'QR not set', behaviour: (q) => reply(q, { qr: false }) },
    ];
    it.each(mismatches)('reports a reply with the ID but $name as a mismatch', async ({ behaviour }) => {
      const { pool } = await setup(proto, behaviour);
      expect((await ask(pool, 'q1.example.org.')).kind).toBe('mismatch');
    });

    it('times out a query without a reply', async () => {
      const { pool } = await setup(proto, () => 'drop');
      const t0 = performance.now();
      const o = await ask(pool, 'q1.example.org.', 150);
      const took = performance.now() - t0;
      expect(o.kind).toBe('error');
      if (o.kind === 'error') {
        expect(o.error.kind).toBe('timeout');
        expect(o.error.message).toMatch(new RegExp(`^read ${proto} 127\\.0\\.0\\.1:\\d+->127\\.0\\.0\\.1:\\d+: i/o timeout$`));
      }
      expect(took).toBeGreaterThanOrEqual(145);
      expect(took).toBeLessThan(1000);
    });

    it('drops a late reply to a timed-out query', async () => {
      const { pool } = await setup(proto, (q) => (/^late/.test(q.name) ? { delayMs: 150, then: numbered(q) } : numbered(q)));
      expect((await ask(pool, 'late.example.org.', 50)).kind).toBe('error');
      await sleep(150);
      // The socket or connection keeps working for other queries meanwhile.
      expectAddress(await ask(pool, 'q9.example.org.'), 'q9.example.org.', '192.0.2.9');
    });

    it('fails at once when nothing listens on the port', async () => {
      const { up, pool } = await setup(proto);
      await up.stop();
      const t0 = performance.now();
      const o = await ask(pool, 'q1.example.org.', 2000);
      expect(performance.now() - t0).toBeLessThan(1500);
      expect(o.kind).toBe('error');
      if (o.kind === 'error') {
        expect(o.error.kind).toBe('refused');
        expect(o.error.message).toMatch(proto === 'udp' ? /^read udp .*: connection refused$/ : /^dial tcp 127\.0\.0\.1:\d+: connect: connection refused$/);
      }
    });

    it('closes idle sockets after expire; the next query opens a new one', async () => {
      const { pool, counts } = await setup(proto, numbered, { expireMs: 100 });
      await ask(pool, 'q1.example.org.');
      expect(pool.open).toBe(1);
      await sleep(300);
      expect(pool.open).toBe(0);
      await ask(pool, 'q2.example.org.');
      expect(counts.miss).toBe(2);
    });

    it('never reuses with expire 0', async () => {
      const { pool, counts } = await setup(proto, numbered, { expireMs: 0 });
      for (let i = 1; i <= 3; i++) await ask(pool, `q${i}.example.org.`);
      expect(counts).toEqual({ hit: 0, miss: 3 });
      await sleep(20);
      expect(pool.open).toBe(0);
    });

    it('keeps at most max_idle_conns idle', async () => {
      const { pool } = await setup(proto, (q) => ({ delayMs: 30, then: numbered(q) }), { maxIdle: 1, tcpPipeline: 2 });
      await Promise.all(Array.from({ length: 8 }, (_, i) => ask(pool, `q${i}.example.org.`)));
      await sleep(20);
      expect(pool.open).toBe(1);
    });

    it('answers queries in flight after stop, then refuses new ones', async () => {
      const { pool } = await setup(proto, (q) => ({ delayMs: 100, then: numbered(q) }));
      const inflight = ask(pool, 'q4.example.org.');
      await sleep(20);
      pool.stop();
      const after = await ask(pool, 'q5.example.org.');
      expect(after.kind === 'error' && after.error.kind).toBe('stopped');
      expectAddress(await inflight, 'q4.example.org.', '192.0.2.4');
      await sleep(20);
      expect(pool.open).toBe(0);
    });
  });
}

describe('udp pool', () => {
  it('fails only the queries of the refused socket', async () => {
    const { up, pool } = await setup('udp');
    const port = up.port;
    await up.stop();
    const outs = await Promise.all([1, 2, 3].map((i) => ask(pool, `q${i}.example.org.`)));
    for (const o of outs) expect(o.kind === 'error' && o.error.kind).toBe('refused');
    // The upstream comes back on the same port: the same pool recovers.
    const again = await startFakeUpstream(numbered, { port });
    cleanup.push(() => again.stop());
    expectAddress(await ask(pool, 'q8.example.org.'), 'q8.example.org.', '192.0.2.8');
  });
});

describe('tcp pool', () => {
  it('pipelines on one connection and opens another when it is full', async () => {
    const { up, pool } = await setup('tcp', (q) => ({ delayMs: 50, then: numbered(q) }), { tcpPipeline: 10 });
    const outs = await Promise.all(Array.from({ length: 25 }, (_, i) => ask(pool, `q${i + 1}.example.org.`)));
    outs.forEach((o, i) => expectAddress(o, `q${i + 1}.example.org.`, `192.0.2.${i + 1}`));
    expect(up.tcpAccepted).toBe(3);
  });

  it('reads replies split across reads and several in one read', async () => {
    const big = (q: FakeQuery) => reply(q, { txt: Array.from({ length: 40 }, (_, i) => `${i}`.repeat(200).slice(0, 200)) });
    const { pool } = await setup('tcp', (q) => (q.name.startsWith('big') ? big(q) : [numbered(q)]));
    const [a, b, c] = await Promise.all([ask(pool, 'big.example.org.'), ask(pool, 'q1.example.org.'), ask(pool, 'q2.example.org.')]);
    expect(a!.kind === 'reply' && a!.msg.length).toBeGreaterThan(8000);
    expectAddress(b!, 'q1.example.org.', '192.0.2.1');
    expectAddress(c!, 'q2.example.org.', '192.0.2.2');
  });

  it('reports a connection closed by the upstream, as cached when it had been used before', async () => {
    const { pool } = await setup('tcp', (q) => (q.name.startsWith('close') ? 'close' : numbered(q)));
    const first = await ask(pool, 'close.example.org.');
    expect(first.kind === 'error' && [first.error.kind, first.error.cached, first.error.message]).toEqual(['closed', false, 'EOF']);
    await ask(pool, 'q1.example.org.');
    const second = await ask(pool, 'close.example.org.');
    expect(second.kind === 'error' && [second.error.kind, second.error.cached, second.error.message]).toEqual([
      'closed',
      true,
      'cached connection was closed by peer',
    ]);
  });

  it('stops using a connection that let a query time out', async () => {
    const { up, pool } = await setup('tcp', (q) => (q.name.startsWith('slow') ? 'drop' : numbered(q)));
    expect((await ask(pool, 'slow.example.org.', 50)).kind).toBe('error');
    expectAddress(await ask(pool, 'q2.example.org.'), 'q2.example.org.', '192.0.2.2');
    expect(up.tcpAccepted).toBe(2);
    await sleep(20);
    expect(up.tcpOpen).toBe(1);
  });
});
