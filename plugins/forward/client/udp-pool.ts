/**
 * UDP to one upstream: a few long-lived connected sockets used in turn, every query one send on
 * one of them. Replies are matched to queries by message ID and question; the kernel already
 * drops datagrams from anyone but the upstream (connected socket), and reports ICMP port
 * unreachable as ECONNREFUSED, which fails that socket's queries at once instead of by timeout.
 */
import dgram from 'node:dgram';
import { IdTable } from './id-table.js';
import { type Channel, InFlight, waiterFor } from './inflight.js';
import { type Outcome, UpstreamError } from './outcome.js';
import { joinHostPort, type PoolEvents, type PoolOptions } from './pool-options.js';

const RECV_BUFFER = 1024 * 1024;

/** The upstream is always an IP literal: skip the resolver node:dgram would otherwise call. */
function literal(hostname: string, _o: unknown, cb: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  cb(null, hostname, hostname.includes(':') ? 6 : 4);
}

class UdpSocket implements Channel {
  readonly socket: dgram.Socket;
  readonly inflight = new IdTable<InFlight>();
  /** Queries sent before connect completed. */
  private waiting: InFlight[] | undefined = [];
  lastUsed = performance.now();
  closed = false;
  /** Close once the last query in flight is done. */
  draining = false;
  private local = '?';

  constructor(
    private readonly pool: UdpPool,
    host: string,
    port: number,
  ) {
    const s = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', lookup: literal });
    this.socket = s;
    s.on('message', (msg) => this.onMessage(msg));
    s.on('error', (err) => this.onError(err));
    s.connect(port, host, () => {
      const a = s.address();
      this.local = joinHostPort(a.address, a.port);
      try {
        s.setRecvBufferSize(RECV_BUFFER);
      } catch {
        // Capped by net.core.rmem_max; the default works, it only absorbs smaller bursts.
      }
      const w = this.waiting ?? [];
      this.waiting = undefined;
      for (const q of w) if (!q.settled) s.send(q.wire);
    });
    s.unref();
  }

  send(q: InFlight, timeoutMs: number, now: number): void {
    const id = this.inflight.add(q, now);
    if (id < 0) {
      q.settle({ kind: 'error', error: new UpstreamError('network', `udp ${this.pool.addr}: no free message ID`) });
      return;
    }
    q.id = id;
    q.wire[0] = id >> 8;
    q.wire[1] = id & 0xff;
    this.lastUsed = now;
    q.arm(timeoutMs, now);
    if (this.waiting !== undefined) this.waiting.push(q);
    else this.socket.send(q.wire);
  }

  private onMessage(msg: Buffer): void {
    const q = waiterFor(this.inflight, msg);
    if (q === undefined) return;
    this.lastUsed = performance.now();
    q.answer(msg);
    if (this.inflight.size === 0) this.pool.idle(this);
  }

  private onError(err: NodeJS.ErrnoException): void {
    if (this.closed) return;
    const refused = err.code === 'ECONNREFUSED';
    const error = new UpstreamError(refused ? 'refused' : 'network', `read udp ${this.local}->${this.pool.addr}: ${refused ? 'connection refused' : err.message}`);
    const qs = [...this.inflight.values()];
    this.inflight.clear();
    for (const q of qs) q.settle({ kind: 'error', error });
    if (!refused) this.close();
    else this.pool.idle(this);
  }

  timedOut(q: InFlight): void {
    const now = performance.now();
    this.inflight.retire(q.id, now);
    q.settle({ kind: 'error', error: new UpstreamError('timeout', `read udp ${this.local}->${this.pool.addr}: i/o timeout`) });
    if (this.inflight.size === 0) this.pool.idle(this);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const qs = [...this.inflight.values(), ...(this.waiting ?? [])];
    this.inflight.clear();
    this.waiting = undefined;
    for (const q of qs) q.settle({ kind: 'error', error: new UpstreamError('stopped', 'proxy: transport stopped') });
    try {
      this.socket.close();
    } catch {
      // Already closed by an error.
    }
    this.pool.closed(this);
  }
}

export class UdpPool {
  readonly addr: string;
  private readonly slots: (UdpSocket | undefined)[];
  private cursor = 0;
  private stopped = false;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly opts: PoolOptions,
    private readonly events: PoolEvents,
  ) {
    this.addr = joinHostPort(host, port);
    this.slots = new Array<UdpSocket | undefined>(Math.max(1, opts.udpSockets)).fill(undefined);
  }

  /** Open sockets (tests). */
  get open(): number {
    return this.slots.filter((s) => s !== undefined).length;
  }

  /** Sends `msg` (a query; not modified) and resolves with the outcome; never rejects. */
  exchange(msg: Buffer, questionEnd: number, timeoutMs: number): Promise<Outcome> {
    return new Promise((resolve) => {
      if (this.stopped) {
        resolve({ kind: 'error', error: new UpstreamError('stopped', 'proxy: transport stopped') });
        return;
      }
      const now = performance.now();
      const slot = this.cursor;
      this.cursor = (slot + 1) % this.slots.length;
      let s = this.slots[slot];
      if (s !== undefined && now - s.lastUsed > this.opts.expireMs) {
        this.retire(s);
        s = undefined;
      }
      if (s === undefined) {
        s = new UdpSocket(this, this.host, this.port);
        this.slots[slot] = s;
        this.events.miss();
        this.sweep();
      } else {
        this.events.hit();
      }
      const wire = Buffer.allocUnsafe(msg.length);
      msg.copy(wire);
      s.send(new InFlight(wire, wire, questionEnd, s, false, resolve), timeoutMs, now);
    });
  }

  /** A socket has nothing in flight: close it when it must not stay. */
  idle(s: UdpSocket): void {
    if (s.closed) return;
    if (this.stopped || s.draining || this.opts.expireMs === 0) {
      s.close();
      return;
    }
    if (this.opts.maxIdle > 0) {
      let idle = 0;
      for (const o of this.slots) if (o !== undefined && o.inflight.size === 0) idle++;
      if (idle > this.opts.maxIdle) s.close();
    }
  }

  closed(s: UdpSocket): void {
    const i = this.slots.indexOf(s);
    if (i >= 0) this.slots[i] = undefined;
  }

  /** Takes a socket out of rotation; it closes once its queries are done. */
  private retire(s: UdpSocket): void {
    const i = this.slots.indexOf(s);
    if (i >= 0) this.slots[i] = undefined;
    s.draining = true;
    if (s.inflight.size === 0) s.close();
  }

  /** Closes sockets idle for longer than `expire`, checking every `expire` while any is open. */
  private sweep(): void {
    if (this.sweeper !== undefined || this.opts.expireMs === 0) return;
    this.sweeper = setInterval(() => {
      const now = performance.now();
      let open = 0;
      for (const s of this.slots) {
        if (s === undefined) continue;
        if (s.inflight.size === 0 && now - s.lastUsed > this.opts.expireMs) this.retire(s);
        else open++;
      }
      if (open === 0) {
        clearInterval(this.sweeper);
        this.sweeper = undefined;
      }
    }, Math.max(50, this.opts.expireMs));
    this.sweeper.unref();
  }

  /** No new queries; sockets close as soon as their queries are done. */
  stop(): void {
    this.stopped = true;
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const s of this.slots) if (s !== undefined) this.retire(s);
  }
}
