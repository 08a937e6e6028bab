/**
 * TCP to one upstream (RFC 7766): a few long-lived connections, each carrying many pipelined
 * queries matched to replies by message ID and question. A connection opens when the others
 * are full, is reused while it lives, and closes after `expire` without traffic; every query is
 * one write of the length-prefixed message.
 */
import net from 'node:net';
import { IdTable } from './id-table.js';
import { type Channel, InFlight, waiterFor } from './inflight.js';
import { type Outcome, UpstreamError } from './outcome.js';
import { joinHostPort, type PoolEvents, type PoolOptions } from './pool-options.js';

class TcpConnection implements Channel {
  readonly socket: net.Socket;
  readonly inflight = new IdTable<InFlight>();
  private buf: Buffer | undefined;
  connected = false;
  closed = false;
  /** Taken out of rotation; closes once its queries are done. */
  draining = false;
  /** Queries sent on it so far: every one after the first went out on a cached connection. */
  used = 0;
  lastUsed = performance.now();
  private error: NodeJS.ErrnoException | undefined;
  private local = '?';

  constructor(
    private readonly pool: TcpPool,
    host: string,
    port: number,
    expireMs: number,
  ) {
    const s = net.connect({ host, port, noDelay: true });
    this.socket = s;
    s.unref();
    if (expireMs > 0) s.setTimeout(expireMs);
    s.on('connect', () => {
      this.connected = true;
      this.local = joinHostPort(s.localAddress ?? '?', s.localPort ?? 0);
    });
    s.on('data', (chunk: Buffer) => this.onData(chunk));
    s.on('timeout', () => {
      // Idle for `expire`: close unless queries are still waiting (they time out on their own).
      if (this.inflight.size === 0) s.destroy();
      else s.setTimeout(expireMs);
    });
    s.on('error', (err: NodeJS.ErrnoException) => {
      this.error = err;
    });
    s.on('close', () => this.onClose());
  }

  send(q: InFlight, timeoutMs: number, now: number): void {
    const id = this.inflight.add(q, now);
    if (id < 0) {
      q.settle({ kind: 'error', error: new UpstreamError('network', `tcp ${this.pool.addr}: no free message ID`) });
      return;
    }
    q.id = id;
    q.wire[2] = id >> 8;
    q.wire[3] = id & 0xff;
    this.used++;
    this.lastUsed = now;
    q.arm(timeoutMs, now);
    this.socket.write(q.wire);
  }

  private onData(chunk: Buffer): void {
    let buf = this.buf === undefined ? chunk : Buffer.concat([this.buf, chunk]);
    let off = 0;
    while (buf.length - off >= 2) {
      const len = (buf[off]! << 8) | buf[off + 1]!;
      if (buf.length - off < len + 2) break;
      this.onMessage(buf.subarray(off + 2, off + 2 + len));
      off += len + 2;
    }
    if (off === buf.length) this.buf = undefined;
    else {
      // Keep only the partial message, in a buffer of its own (the chunk may be large).
      buf = buf.subarray(off);
      this.buf = off > 0 ? Buffer.from(buf) : buf;
    }
  }

  private onMessage(msg: Buffer): void {
    const q = waiterFor(this.inflight, msg);
    if (q === undefined) return;
    this.lastUsed = performance.now();
    q.answer(msg);
    if (this.inflight.size === 0) this.pool.idle(this);
  }

  timedOut(q: InFlight): void {
    this.inflight.retire(q.id, performance.now());
    q.settle({ kind: 'error', error: new UpstreamError('timeout', `read tcp ${this.local}->${this.pool.addr}: i/o timeout`) });
    // Like CoreDNS, a connection that let a query time out is not trusted with new ones.
    this.draining = true;
    if (this.inflight.size === 0) this.close();
  }

  private onClose(): void {
    this.closed = true;
    const err = this.error;
    const qs = [...this.inflight.values()];
    this.inflight.clear();
    for (const q of qs) q.settle({ kind: 'error', error: this.closeError(err, q.cached) });
    this.pool.closed(this);
  }

  private closeError(err: NodeJS.ErrnoException | undefined, cached: boolean): UpstreamError {
    if (!this.connected) {
      if (err?.code === 'ECONNREFUSED') return new UpstreamError('refused', `dial tcp ${this.pool.addr}: connect: connection refused`);
      return new UpstreamError('network', `dial tcp ${this.pool.addr}: ${err?.message ?? 'connection closed'}`);
    }
    if (err !== undefined && err.code !== 'ECONNRESET' && err.code !== 'EPIPE') {
      return new UpstreamError('network', `read tcp ${this.local}->${this.pool.addr}: ${err.message}`);
    }
    // CoreDNS's ErrCachedClosed: the upstream closed a connection kept from an earlier query.
    if (cached) return new UpstreamError('closed', 'cached connection was closed by peer', true);
    return new UpstreamError('closed', 'EOF');
  }

  close(): void {
    if (this.closed) return;
    this.draining = true;
    this.socket.destroy();
  }
}

export class TcpPool {
  readonly addr: string;
  private readonly conns: TcpConnection[] = [];
  private stopped = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly opts: PoolOptions,
    private readonly events: PoolEvents,
  ) {
    this.addr = joinHostPort(host, port);
  }

  /** Open connections (tests). */
  get open(): number {
    return this.conns.length;
  }

  /** Sends `msg` (a query; not modified) and resolves with the outcome; never rejects. */
  exchange(msg: Buffer, questionEnd: number, timeoutMs: number): Promise<Outcome> {
    return new Promise((resolve) => {
      if (this.stopped) {
        resolve({ kind: 'error', error: new UpstreamError('stopped', 'proxy: transport stopped') });
        return;
      }
      const now = performance.now();
      let c = this.pick(now);
      if (c === undefined) {
        c = new TcpConnection(this, this.host, this.port, this.opts.expireMs);
        this.conns.push(c);
        this.events.miss();
      } else {
        this.events.hit();
      }
      const wire = Buffer.allocUnsafe(msg.length + 2);
      wire[0] = msg.length >> 8;
      wire[1] = msg.length & 0xff;
      msg.copy(wire, 2);
      c.send(new InFlight(wire, wire.subarray(2), questionEnd, c, c.used > 0, resolve), timeoutMs, now);
    });
  }

  /** The first usable connection with room, a new one (undefined) while below the cap, else the least busy. */
  private pick(now: number): TcpConnection | undefined {
    let least: TcpConnection | undefined;
    for (const c of this.conns) {
      if (c.closed || c.draining) continue;
      if (now - c.lastUsed > this.opts.expireMs) {
        this.retire(c);
        continue;
      }
      if (c.inflight.size < this.opts.tcpPipeline) return c;
      if (least === undefined || c.inflight.size < least.inflight.size) least = c;
    }
    const open = this.conns.filter((c) => !c.closed && !c.draining).length;
    return open < this.opts.tcpConnections ? undefined : least;
  }

  idle(c: TcpConnection): void {
    if (this.stopped || c.draining || this.opts.expireMs === 0) {
      c.close();
      return;
    }
    if (this.opts.maxIdle > 0) {
      let idle = 0;
      for (const o of this.conns) if (!o.closed && !o.draining && o.inflight.size === 0) idle++;
      if (idle > this.opts.maxIdle) c.close();
    }
  }

  closed(c: TcpConnection): void {
    const i = this.conns.indexOf(c);
    if (i >= 0) this.conns.splice(i, 1);
  }

  private retire(c: TcpConnection): void {
    c.draining = true;
    if (c.inflight.size === 0) c.close();
  }

  /** No new queries; connections close as soon as their queries are done. */
  stop(): void {
    this.stopped = true;
    for (const c of [...this.conns]) this.retire(c);
  }
}
