/**
 * Wire fuzzing of the real server (in-process): >= 100,000 hostile packets over UDP and TCP,
 * random bytes and mutations of valid queries, from a seeded PRNG (FUZZ_SEED=n reproduces a
 * run). Afterwards the process must not have seen an uncaught exception or unhandled rejection
 * and the server must still answer normal queries over UDP and TCP.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { setImmediate as tick } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { QType, Rcode } from '../src/wire/constants.js';
import { decodeMessage, type Message } from '../src/wire/message.js';
import { encodeName } from '../src/wire/name.js';
import { setLogSink } from '../src/log.js';
import { queryBytes } from './kit.js';
import { type RunningServer, startServer } from './server.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed1e55) >>> 0;
const UDP_PACKETS = 100_000;
const BATCH = 500;
const TCP_CONNECTIONS = 24;

/** mulberry32: small, fast, seedable. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return {
    next,
    /** 0 <= x < n */
    int,
    /** lo <= x <= hi */
    range: (lo: number, hi: number): number => lo + int(hi - lo + 1),
    bool: (p = 0.5): boolean => next() < p,
    pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]!,
    bytes: (n: number): Buffer => {
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) b[i] = int(256);
      return b;
    },
  };
}
type Rng = ReturnType<typeof prng>;

const NAMES = ['example.org', 'www.example.org', 'a.b.c.example.org', 'example.com', 'x', '.', 'EXAMPLE.ORG', 'xn--bcher-kva.example'];
const QTYPES = [QType.A, QType.AAAA, QType.ANY, QType.OPT, QType.SOA, QType.TXT, QType.SRV, QType.DS, 0, 65535, 251, 252, 255];

/** An OPT RR (root owner) with the given option bytes. */
function optRecord(r: Rng, options: Buffer, rdlenOverride?: number): Buffer {
  const b = Buffer.alloc(11 + options.length);
  b[0] = 0;
  b.writeUInt16BE(QType.OPT, 1);
  b.writeUInt16BE(r.pick([0, 1, 511, 512, 1232, 4096, 65535]), 3);
  b[5] = r.bool(0.8) ? 0 : r.int(256); // extended rcode
  b[6] = r.bool(0.8) ? 0 : r.int(256); // version
  b.writeUInt16BE(r.bool() ? 0x8000 : r.int(65536), 7);
  b.writeUInt16BE(rdlenOverride ?? options.length, 9);
  options.copy(b, 11);
  return b;
}

/** EDNS options, well-formed or not. */
function ednsOptions(r: Rng): { bytes: Buffer; rdlen?: number } {
  const parts: Buffer[] = [];
  const n = r.int(4);
  for (let i = 0; i < n; i++) {
    const data = r.bytes(r.int(24));
    const h = Buffer.alloc(4);
    h.writeUInt16BE(r.pick([3, 8, 10, 11, 12, 15, r.int(65536)]), 0); // NSID, ECS, COOKIE, keepalive, padding, EDE, random
    const lenMode = r.int(6);
    h.writeUInt16BE(lenMode === 0 ? data.length + r.range(1, 300) : lenMode === 1 ? 0xffff : data.length, 2);
    parts.push(h, data);
  }
  if (r.bool(0.2)) parts.push(r.bytes(r.range(1, 3))); // trailing partial option header
  const bytes = Buffer.concat(parts);
  const rdlen = r.bool(0.2) ? r.pick([bytes.length + 1, bytes.length + 100, 0xffff, Math.max(0, bytes.length - 1)]) : undefined;
  return { bytes, rdlen };
}

/** A random resource record for the answer/authority/additional sections. */
function randomRecord(r: Rng): Buffer {
  const owner = r.bool(0.5) ? Buffer.from([0xc0, 0x0c]) : encodeName(r.pick(NAMES).replace(/\.?$/, '.').replace(/^\.\.$/, '.'));
  const rdata = r.bytes(r.int(40));
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(r.pick([QType.A, QType.AAAA, QType.SOA, QType.TXT, 250 /* TSIG */, 24 /* SIG */, r.int(65536)]), 0);
  fixed.writeUInt16BE(r.pick([1, 3, 254, 255, r.int(65536)]), 2);
  fixed.writeUInt32BE(r.int(2 ** 32), 4);
  fixed.writeUInt16BE(r.bool(0.8) ? rdata.length : r.int(65536), 8);
  return Buffer.concat([owner, fixed, rdata]);
}

/** A valid-looking query to mutate: random name, type, class, EDNS, sometimes extra records. */
function baseQuery(r: Rng): Buffer {
  const name = r.pick(NAMES);
  const q = queryBytes(name === '.' ? '.' : name, r.pick(QTYPES), {
    id: r.int(65536),
    rd: r.bool(),
    cd: r.bool(0.2),
    qclass: r.pick([1, 1, 1, 3, 254, 255, r.int(65536)]),
    ...(r.bool(0.5) ? { edns: r.pick([512, 1232, 4096, 65535]), do: r.bool(), ednsVersion: r.bool(0.9) ? 0 : r.int(256) } : {}),
  });
  return q;
}

function setCounts(b: Buffer, qd: number, an: number, ns: number, ar: number): void {
  if (b.length < 12) return;
  b.writeUInt16BE(qd, 4);
  b.writeUInt16BE(an, 6);
  b.writeUInt16BE(ns, 8);
  b.writeUInt16BE(ar, 10);
}

/** A question section whose name is hostile. */
function hostileName(r: Rng): Buffer {
  switch (r.int(8)) {
    case 0: // pointer to itself
      return Buffer.from([0xc0, 0x0c]);
    case 1: // two pointers pointing at each other: label at 12, pointer at 14 -> 16 -> 14
      return Buffer.from([0x01, 0x61, 0xc0, 0x10, 0xc0, 0x0e]);
    case 2: // pointer forward, past the end
      return Buffer.from([0xc3, 0xff]);
    case 3: {
      // huge label length (over 63 / reserved 0x40, 0x80 label types)
      const len = r.pick([64, 0x3f, 0x40, 0x41, 0x7f, 0x80, 0xbf, 0xff]);
      return Buffer.concat([Buffer.from([len]), r.bytes(r.int(80)), Buffer.from([0])]);
    }
    case 4: {
      // name longer than 255 octets
      const parts: Buffer[] = [];
      for (let i = 0; i < r.range(5, 12); i++) parts.push(Buffer.from([63]), Buffer.alloc(63, 0x61));
      parts.push(Buffer.from([0]));
      return Buffer.concat(parts);
    }
    case 5: {
      // many 1-octet labels (deep), maybe with a loop at the end
      const parts: Buffer[] = [];
      for (let i = 0; i < r.range(50, 200); i++) parts.push(Buffer.from([1, 0x61 + r.int(26)]));
      parts.push(r.bool() ? Buffer.from([0xc0, 0x0c]) : Buffer.from([0]));
      return Buffer.concat(parts);
    }
    case 6: // label with odd bytes: dots, NUL, backslash, non-ASCII
      return Buffer.concat([Buffer.from([5]), Buffer.from([0x2e, 0x00, 0x5c, 0xff, 0x20]), Buffer.from([0])]);
    default: // unterminated name
      return Buffer.concat([Buffer.from([10]), r.bytes(10)]);
  }
}

/** One fuzz packet. */
function fuzzPacket(r: Rng): Buffer {
  const kind = r.int(12);
  switch (kind) {
    case 0:
    case 1:
      return r.bytes(r.int(601));
    case 2: {
      // bit flips
      const b = baseQuery(r);
      for (let i = 0, n = r.range(1, 8); i < n; i++) {
        const bit = r.int(b.length * 8);
        b[bit >> 3]! ^= 1 << (bit & 7);
      }
      return b;
    }
    case 3: {
      // truncation
      const b = baseQuery(r);
      return b.subarray(0, r.int(b.length));
    }
    case 4: {
      // inflated / odd counts
      const b = baseQuery(r);
      setCounts(
        b,
        r.pick([0, 1, 2, 0xffff, r.int(65536)]),
        r.pick([0, 1, 2, 0xffff, r.int(65536)]),
        r.pick([0, 1, 2, 0xffff, r.int(65536)]),
        r.pick([0, 1, 2, 3, 0xffff, r.int(65536)]),
      );
      return b;
    }
    case 5: {
      // hostile question name, sometimes followed by a valid-looking type/class and OPT
      const name = hostileName(r);
      const h = Buffer.alloc(12);
      h.writeUInt16BE(r.int(65536), 0);
      h.writeUInt16BE(0x0100, 2);
      const tail = Buffer.alloc(4);
      tail.writeUInt16BE(r.pick(QTYPES), 0);
      tail.writeUInt16BE(1, 2);
      const withOpt = r.bool();
      setCounts(h, 1, 0, 0, withOpt ? 1 : 0);
      const parts = [h, name, tail];
      if (withOpt) parts.push(optRecord(r, Buffer.alloc(0)));
      return Buffer.concat(parts).subarray(0, r.bool(0.9) ? undefined : r.int(12 + name.length + 4));
    }
    case 6: {
      // OPT with bad options / bad placement / two OPTs / non-root owner
      const q = queryBytes(r.pick(NAMES), r.pick(QTYPES), { id: r.int(65536) });
      const { bytes, rdlen } = ednsOptions(r);
      const opt = optRecord(r, bytes, rdlen);
      const mode = r.int(4);
      if (mode === 0) {
        // two OPT records
        setCounts(q, 1, 0, 0, 2);
        return Buffer.concat([q, opt, optRecord(r, Buffer.alloc(0))]);
      }
      if (mode === 1) {
        // OPT in the answer section
        setCounts(q, 1, 1, 0, 0);
        return Buffer.concat([q, opt]);
      }
      if (mode === 2) {
        // OPT with a non-root owner
        setCounts(q, 1, 0, 0, 1);
        return Buffer.concat([q, Buffer.from([0xc0, 0x0c]), opt.subarray(1)]);
      }
      setCounts(q, 1, 0, 0, 1);
      return Buffer.concat([q, opt]);
    }
    case 7: {
      // random opcode / flags (including QR=1, Z, rcode bits) / qtype / qclass
      const b = baseQuery(r);
      b.writeUInt16BE(r.bool(0.5) ? (r.int(16) << 11) | (b.readUInt16BE(2) & 0x87ff) : r.int(65536), 2);
      const qEnd = b.length - (b.readUInt16BE(10) === 1 ? 11 : 0);
      b.writeUInt16BE(r.int(65536), qEnd - 4);
      b.writeUInt16BE(r.int(65536), qEnd - 2);
      return b;
    }
    case 8: {
      // extra records in an/ns/ar (within and beyond the accepted counts)
      const q = queryBytes(r.pick(NAMES), r.pick(QTYPES), { id: r.int(65536) });
      const an = r.int(3);
      const ns = r.int(3);
      const ar = r.int(4);
      const recs: Buffer[] = [];
      for (let i = 0; i < an + ns + ar; i++) recs.push(r.bool(0.2) ? optRecord(r, ednsOptions(r).bytes) : randomRecord(r));
      setCounts(q, 1, an, ns, ar);
      return Buffer.concat([q, ...recs]);
    }
    case 9: {
      // random bytes after a valid header
      const b = baseQuery(r);
      return Buffer.concat([b.subarray(0, 12), r.bytes(r.int(300))]);
    }
    case 10: {
      // valid query plus trailing garbage
      return Buffer.concat([baseQuery(r), r.bytes(r.range(1, 200))]);
    }
    default:
      // mostly valid queries: they must keep flowing through whoami and any
      return baseQuery(r);
  }
}

/** A TCP session's bytes: valid frames, garbage frames, bad lengths, a partial frame at the end. */
function tcpSession(r: Rng): { chunks: Buffer[]; frames: number } {
  const frames: Buffer[] = [];
  const n = r.range(20, 400);
  for (let i = 0; i < n; i++) {
    const msg = r.bool(0.3) ? baseQuery(r) : fuzzPacket(r);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(msg.length, 0);
    frames.push(len, msg);
  }
  switch (r.int(5)) {
    case 0: {
      // a length prefix far beyond what follows (partial frame)
      const len = Buffer.alloc(2);
      len.writeUInt16BE(r.range(100, 65535), 0);
      frames.push(len, r.bytes(r.int(90)));
      break;
    }
    case 1:
      frames.push(Buffer.from([r.int(256)])); // half a length prefix
      break;
    case 2:
      frames.push(Buffer.from([0, 0]), Buffer.from([0, 1, 0]), Buffer.from([0xff, 0xff])); // zero-length, 1-byte frame, huge
      break;
    default:
      break;
  }
  // split at random points so frames straddle writes
  const all = Buffer.concat(frames);
  const chunks: Buffer[] = [];
  for (let off = 0; off < all.length; ) {
    const size = r.bool(0.3) ? r.range(1, 3) : r.range(1, 4096);
    chunks.push(all.subarray(off, off + size));
    off += size;
  }
  return { chunks, frames: n };
}

async function udpQuery(port: number, wire: Buffer): Promise<Buffer> {
  const s = dgram.createSocket('udp4');
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('udp query timed out')), 3000);
      s.on('message', (m) => {
        clearTimeout(t);
        resolve(m);
      });
      s.send(wire, port, '127.0.0.1', (e) => e && reject(e));
    });
  } finally {
    s.close();
  }
}

async function tcpQuery(port: number, wire: Buffer): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error('tcp query timed out'));
    }, 3000);
    s.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        clearTimeout(t);
        s.end();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
    const len = Buffer.alloc(2);
    len.writeUInt16BE(wire.length, 0);
    s.write(Buffer.concat([len, wire]));
  });
}

function expectWhoami(m: Message, id: number): void {
  expect(m.header.id).toBe(id);
  expect(m.header.qr).toBe(1);
  expect(m.header.rcode).toBe(Rcode.NOERROR);
  const a = m.additionals.find((x) => x.type === QType.A);
  expect(a?.address).toBe('127.0.0.1');
}

describe('wire fuzzing', () => {
  let server: RunningServer;
  const uncaught = vi.fn();
  const unhandled = vi.fn();
  const logs: string[] = [];
  const warnings: string[] = [];
  const onWarning = (w: Error) => void warnings.push(`${w.name}: ${w.message}`);
  let restoreSink: ((line: string) => void) | undefined;

  beforeAll(async () => {
    process.on('uncaughtException', uncaught);
    process.on('unhandledRejection', unhandled);
    process.on('warning', onWarning);
    restoreSink = setLogSink((line) => {
      if (logs.length < 10_000) logs.push(line);
    });
    server = await startServer('example.org:PORT {\n  any\n  whoami\n}\n.:PORT {\n  whoami\n}\n');
  });

  afterAll(async () => {
    await server?.stop();
    if (restoreSink) setLogSink(restoreSink);
    process.off('uncaughtException', uncaught);
    process.off('unhandledRejection', unhandled);
    process.off('warning', onWarning);
  });

  it(`survives ${UDP_PACKETS} UDP and ${TCP_CONNECTIONS} TCP sessions of hostile packets (seed ${SEED})`, async () => {
    const r = prng(SEED);
    const started = performance.now();
    // Both listeners share one port (all zones of one port live on one listener).
    const port = server.port;
    expect(server.instance.servers()).toHaveLength(1);

    // --- UDP ---------------------------------------------------------------------------------
    const sock = dgram.createSocket('udp4');
    let udpReplies = 0;
    // After each batch a normal query ("sync.fuzz.") is sent and awaited: the server reads one
    // socket in order, so its reply means the whole batch was read and the buffer is empty again.
    const syncName = encodeName('sync.fuzz.');
    let syncWaiter: { id: number; done: () => void } | undefined;
    sock.on('message', (m) => {
      udpReplies++;
      if (
        syncWaiter !== undefined &&
        m.length >= 12 + syncName.length &&
        m.readUInt16BE(0) === syncWaiter.id &&
        m.subarray(12, 12 + syncName.length).equals(syncName)
      ) {
        syncWaiter.done();
      }
    });
    await new Promise<void>((res) => sock.bind(0, '127.0.0.1', () => res()));
    try {
      sock.setRecvBufferSize(8 * 1024 * 1024);
    } catch {
      // capped by the kernel
    }
    let udpSent = 0;
    let sendErrors = 0;
    let syncSent = 0;
    let syncLost = 0;
    while (udpSent < UDP_PACKETS) {
      const n = Math.min(BATCH, UDP_PACKETS - udpSent);
      await new Promise<void>((res) => {
        let pending = n;
        for (let i = 0; i < n; i++) {
          sock.send(fuzzPacket(r), port, '127.0.0.1', (e) => {
            if (e) sendErrors++;
            if (--pending === 0) res();
          });
        }
      });
      udpSent += n;
      const id = syncSent++ & 0xffff;
      const answered = await new Promise<boolean>((res) => {
        const t = setTimeout(() => res(false), 2000);
        syncWaiter = {
          id,
          done: () => {
            clearTimeout(t);
            res(true);
          },
        };
        sock.send(queryBytes('sync.fuzz.', QType.A, { id }), port, '127.0.0.1');
      });
      syncWaiter = undefined;
      if (!answered) syncLost++;
      await tick();
    }

    // --- TCP ---------------------------------------------------------------------------------
    let tcpFrames = 0;
    let tcpReplyBytes = 0;
    const sessions: Promise<void>[] = [];
    for (let c = 0; c < TCP_CONNECTIONS; c++) {
      const { chunks, frames } = tcpSession(r);
      tcpFrames += frames;
      const closeHow = r.int(3); // 0 end, 1 destroy, 2 destroy mid-stream
      sessions.push(
        new Promise<void>((resolve) => {
          const s = net.connect(port, '127.0.0.1');
          const t = setTimeout(() => s.destroy(), 8000);
          s.on('data', (d) => void (tcpReplyBytes += d.length));
          s.on('error', () => undefined);
          s.on('close', () => {
            clearTimeout(t);
            resolve();
          });
          s.on('connect', async () => {
            const upTo = closeHow === 2 ? Math.floor(chunks.length / 2) : chunks.length;
            for (let i = 0; i < upTo && !s.destroyed; i++) {
              if (!s.write(chunks[i]!)) await new Promise((res) => s.once('drain', res));
              if (i % 16 === 0) await tick();
            }
            if (closeHow === 0) s.end();
            else s.destroy();
          });
        }),
      );
    }
    await Promise.all(sessions);

    // a connection that sends nothing and one that sends only a length prefix, then close
    for (const bytes of [Buffer.alloc(0), Buffer.from([0x01, 0x00])]) {
      await new Promise<void>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          if (bytes.length) s.write(bytes);
          s.end();
        });
        s.on('error', () => undefined);
        s.on('close', () => resolve());
      });
    }

    // back-pressure: one connection pipelines many valid queries and reads nothing for a while;
    // every query must still be answered, in full frames, once it starts reading
    const PIPELINED = 20_000;
    const pipelinedReplies = await new Promise<number>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      let replies = 0;
      let buf = Buffer.alloc(0);
      const t = setTimeout(() => {
        s.destroy();
        reject(new Error(`pipelined TCP: only ${replies} of ${PIPELINED} replies`));
      }, 30_000);
      s.on('error', reject);
      s.pause();
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          buf = buf.subarray(2 + buf.readUInt16BE(0));
          replies++;
        }
        if (replies === PIPELINED) {
          clearTimeout(t);
          s.end();
          resolve(replies);
        }
      });
      s.on('connect', async () => {
        for (let i = 0; i < PIPELINED; i += 1000) {
          const frames: Buffer[] = [];
          for (let j = i; j < i + 1000; j++) {
            const q = queryBytes(`q${j}.example.org.`, QType.A, { id: j & 0xffff });
            const len = Buffer.alloc(2);
            len.writeUInt16BE(q.length, 0);
            frames.push(len, q);
          }
          if (!s.write(Buffer.concat(frames))) await new Promise((res) => s.once('drain', res));
        }
        await new Promise((res) => setTimeout(res, 300));
        s.resume();
      });
    });
    tcpFrames += PIPELINED;
    expect(pipelinedReplies).toBe(PIPELINED);

    // drain whatever UDP replies are still coming
    await new Promise((res) => setTimeout(res, 200));
    sock.close();

    const total = udpSent + syncSent + tcpFrames;
    const panics = logs.filter((l) => l.includes('Recovered from panic'));
    console.log(
      `fuzz seed=${SEED}: sent ${total} packets (${udpSent} UDP fuzz + ${syncSent} UDP sync queries (${syncLost} unanswered), ${tcpFrames} TCP frames in ${TCP_CONNECTIONS} connections); ` +
        `${udpReplies} UDP replies, ${tcpReplyBytes} TCP reply bytes, ${sendErrors} send errors, ` +
        `${logs.length} log lines (${panics.length} panics) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    if (logs.length > 0) console.log(logs.slice(0, 5).join('\n'));
    // Known server issue (reported, not asserted): TcpListener's send() adds one 'drain' listener
    // per blocked write, so a slow reader triggers MaxListenersExceededWarning.
    console.log(`${warnings.length} process warnings, first: ${warnings[0]}`);

    expect(total).toBeGreaterThanOrEqual(100_000);
    expect(uncaught).not.toHaveBeenCalled();
    expect(unhandled).not.toHaveBeenCalled();
    expect(panics).toEqual([]);
    // the server kept answering during the run
    expect(syncLost).toBeLessThan(syncSent / 10);
    expect(udpReplies).toBeGreaterThan(UDP_PACKETS / 4);
  }, 90_000);

  it('still answers a normal query over UDP and TCP', async () => {
    const port = server.port;
    const u = decodeMessage(await udpQuery(port, queryBytes('whoami.example.net.', QType.A, { id: 0x4242 })));
    expectWhoami(u, 0x4242);
    expect(u.additionals.some((x) => x.type === QType.SRV && x.name === '_udp.whoami.example.net')).toBe(true);

    const t = decodeMessage(await tcpQuery(port, queryBytes('example.org.', QType.A, { id: 0x4343 })));
    expectWhoami(t, 0x4343);
    expect(t.additionals.some((x) => x.type === QType.SRV && x.name === '_tcp.example.org')).toBe(true);

    expect(uncaught).not.toHaveBeenCalled();
    expect(unhandled).not.toHaveBeenCalled();
  });
});
