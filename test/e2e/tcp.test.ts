/**
 * End-to-end TCP connection management: idle and read timeouts (CoreDNS defaults 10 s and 3 s)
 * and the cap on open connections (startServer uses tcpMaxConnections 100).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../server.js';
import { queryBytes } from '../kit.js';
import { QType, Rcode } from '../../src/wire/constants.js';
import { frame, sleep, TcpClient } from './net.js';

const COREFILE = `example.org:PORT {
    whoami
}
`;

const query = (id: number) => frame(queryBytes('example.org.', QType.A, { id }));

describe('TCP timeouts', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer(COREFILE);
  });
  afterAll(async () => {
    await srv?.stop();
  });

  // The three timers run side by side so the file takes ~10 s rather than ~23 s.
  it.concurrent('closes a connection that never sends a query after the 10 s idle timeout', { timeout: 20_000 }, async () => {
    const c = await TcpClient.connect(srv.port);
    try {
      expect(c.closed).toBe(false);
      const closedAt = await c.waitClosed(15_000);
      const elapsed = closedAt - c.openedAt;
      expect(elapsed).toBeGreaterThanOrEqual(9_000);
      expect(elapsed).toBeLessThanOrEqual(12_000);
      // An orderly close (FIN), not a reset.
      expect(c.endedAt).toBeDefined();
      expect(c.messages).toHaveLength(0);
    } finally {
      c.destroy();
    }
  });

  it.concurrent('closes a connection idle after its last reply after the 10 s idle timeout', { timeout: 20_000 }, async () => {
    const c = await TcpClient.connect(srv.port);
    try {
      // Long enough that a timer left running from connect time would fire < 9 s after the reply.
      await sleep(2_000);
      c.write(query(0x4242));
      const [reply] = await c.replies(1);
      const answeredAt = performance.now();
      expect(reply!.readUInt16BE(0)).toBe(0x4242);
      const elapsed = (await c.waitClosed(15_000)) - answeredAt;
      expect(elapsed).toBeGreaterThanOrEqual(9_000);
      expect(elapsed).toBeLessThanOrEqual(12_000);
    } finally {
      c.destroy();
    }
  });

  it.concurrent('closes a connection holding a partial message after the 3 s read timeout', { timeout: 20_000 }, async () => {
    const c = await TcpClient.connect(srv.port);
    try {
      const q = query(0x5353);
      // Length prefix and a few bytes of the message, then nothing more.
      c.write(q.subarray(0, 6));
      const sentAt = performance.now();
      const elapsed = (await c.waitClosed(15_000)) - sentAt;
      expect(elapsed).toBeGreaterThanOrEqual(2_500);
      expect(elapsed).toBeLessThanOrEqual(4_500);
      expect(c.messages).toHaveLength(0);
    } finally {
      c.destroy();
    }
  });
});

describe('TCP connection cap', () => {
  let srv: RunningServer;
  const conns: TcpClient[] = [];
  beforeAll(async () => {
    srv = await startServer(COREFILE);
  });
  afterAll(async () => {
    for (const c of conns) c.destroy();
    await srv?.stop();
  });

  it('closes connections beyond 100 at once and keeps serving the accepted ones', { timeout: 20_000 }, async () => {
    // 100 connections, each proven accepted by the server with an answered query.
    const accepted = await Promise.all(Array.from({ length: 100 }, () => TcpClient.connect(srv.port)));
    conns.push(...accepted);
    accepted.forEach((c, i) => c.write(query(i + 1)));
    const first = await Promise.all(accepted.map((c) => c.replies(1, 5_000)));
    first.forEach(([r], i) => expect(r!.readUInt16BE(0)).toBe(i + 1));

    // 10 more: the server closes each of them right away.
    const excess = await Promise.all(Array.from({ length: 10 }, () => TcpClient.connect(srv.port)));
    conns.push(...excess);
    const t0 = performance.now();
    for (const c of excess) c.write(query(0x9999));
    await Promise.all(excess.map((c) => c.waitClosed(1_000)));
    for (const c of excess) {
      expect(c.closedAt! - t0).toBeLessThan(1_000);
      expect(c.messages).toHaveLength(0);
    }

    // Accepted connections still work, first and last alike.
    for (const [i, c] of [accepted[0]!, accepted[99]!].entries()) {
      expect(c.closed).toBe(false);
      c.write(query(0x7000 + i));
      const [, r] = await c.replies(2);
      expect(r!.readUInt16BE(0)).toBe(0x7000 + i);
      expect(r![3]! & 0xf).toBe(Rcode.NOERROR);
    }

    // Closing accepted connections frees their slots for new ones.
    for (const c of accepted.slice(0, 5)) c.destroy();
    await Promise.all(accepted.slice(0, 5).map((c) => c.waitClosed(1_000)));
    let answered = false;
    for (let attempt = 0; attempt < 20 && !answered; attempt++) {
      const c = await TcpClient.connect(srv.port);
      conns.push(c);
      c.write(query(0x8888));
      try {
        const [r] = await c.replies(1, 1_000);
        answered = r!.readUInt16BE(0) === 0x8888;
      } catch {
        await sleep(50);
      }
    }
    expect(answered).toBe(true);
  });
});
