/**
 * The TCP side of a DNS listener (RFC 7766): two-byte length framing that survives partial
 * reads, several and pipelined queries per connection answered as they complete, a read timeout
 * for a started message, an idle timeout between queries, back-pressure, and a cap on open
 * connections beyond which new ones are closed at once.
 */
import net from 'node:net';
import type { Client } from '../plugin/request.js';
import { log } from '../log.js';
import { clientFamily, type Handle } from './udp.js';

export interface TcpOptions {
  host: string;
  port: number;
  reusePort: boolean;
  /** Open connections allowed; excess ones are closed immediately. */
  maxConnections: number;
  readTimeoutMs: number;
  idleTimeoutMs: number;
  /** Queries of one connection being answered at once; reading pauses beyond it. */
  maxInflightPerConnection: number;
}

export const TCP_DEFAULTS = { maxConnections: 1000, readTimeoutMs: 3000, idleTimeoutMs: 10_000, maxInflightPerConnection: 64 };

export class TcpListener {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    private readonly opts: TcpOptions,
    private readonly handle: Handle,
  ) {}

  get port(): number {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : this.opts.port;
  }

  get connections(): number {
    return this.sockets.size;
  }

  /** Binds; `port` overrides the configured one (to follow an ephemeral UDP port). */
  async listen(portOverride?: number): Promise<void> {
    const { host, reusePort } = this.opts;
    const port = portOverride ?? this.opts.port;
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => this.onConnection(s));
    server.maxConnections = this.opts.maxConnections;
    server.on('drop', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: host === '' ? undefined : host, port, reusePort, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((e: Error) => {
      throw new Error(`listen tcp ${host.includes(':') ? `[${host}]` : host}:${port}: ${e.message}`);
    });
    server.on('error', (e) => log.error(`tcp ${host}:${port}: ${e.message}`));
    this.server = server;
  }

  private onConnection(s: net.Socket): void {
    this.sockets.add(s);
    const { address, family } = clientFamily(s.remoteAddress ?? '');
    const client: Client = {
      proto: 'tcp',
      remoteAddress: address,
      remotePort: s.remotePort ?? 0,
      family,
      localAddress: clientFamily(s.localAddress ?? '').address,
      localPort: s.localPort ?? 0,
    };
    let buf: Buffer = Buffer.alloc(0);
    let inflight = 0;
    let ended = false;
    let timer: NodeJS.Timeout | undefined;
    let awaitingDrain = false;
    const o = this.opts;

    const arm = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (s.destroyed) return;
      // A started message must complete within the read timeout; between queries the idle one applies.
      if (buf.length > 0) timer = setTimeout(() => s.destroy(), o.readTimeoutMs);
      else if (inflight === 0) timer = setTimeout(() => s.end(), o.idleTimeoutMs);
    };
    const maybeFinish = () => {
      if (ended && inflight === 0 && !s.destroyed) s.end();
    };
    const send = (wire: Buffer) => {
      if (s.destroyed || s.writableEnded) return;
      const frame = Buffer.allocUnsafe(wire.length + 2);
      frame.writeUInt16BE(wire.length, 0);
      wire.copy(frame, 2);
      if (!s.write(frame) && !awaitingDrain) {
        awaitingDrain = true;
        s.pause();
        s.once('drain', () => {
          awaitingDrain = false;
          if (inflight < o.maxInflightPerConnection) s.resume();
        });
      }
    };
    const process = () => {
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < len + 2) break;
        const msg = buf.subarray(2, len + 2);
        buf = buf.subarray(len + 2);
        inflight++;
        let finished = false;
        const done = (wire: Buffer | null) => {
          if (wire !== null) send(wire);
          if (finished) return;
          finished = true;
          inflight--;
          if (s.isPaused() && inflight < o.maxInflightPerConnection && !awaitingDrain) s.resume();
          arm();
          maybeFinish();
        };
        try {
          this.handle(Buffer.from(msg), client, done);
        } catch (e) {
          log.error(`tcp: ${(e as Error).message}`);
        }
        if (inflight >= o.maxInflightPerConnection) s.pause();
      }
      if (buf.length > 0 && buf.byteOffset > 0 && buf.length < 4096) buf = Buffer.from(buf);
    };

    s.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      process();
      arm();
    });
    s.on('end', () => {
      ended = true;
      maybeFinish();
    });
    s.on('error', () => s.destroy());
    s.on('close', () => {
      if (timer) clearTimeout(timer);
      this.sockets.delete(s);
    });
    arm();
  }

  /** Stops accepting connections; open ones keep being served. */
  stopAccepting(): void {
    this.server?.close();
  }

  /** Stops accepting; open connections get `graceMs` to finish their in-flight queries, then are closed. */
  async close(graceMs = 0): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    if (server.listening) server.close();
    for (const s of this.sockets) s.end();
    const deadline = Date.now() + graceMs;
    while (this.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const s of this.sockets) s.destroy();
  }
}
