/** Raw UDP and TCP clients for what dig cannot send or observe. */
import dgram from 'node:dgram';
import net from 'node:net';

/** A UDP socket that queues replies so a test can wait for the next one or assert silence. */
export class UdpClient {
  private readonly socket = dgram.createSocket('udp4');
  private readonly queue: Buffer[] = [];
  private waiter: ((b: Buffer) => void) | undefined;

  private constructor(private readonly port: number) {
    this.socket.on('message', (msg) => {
      const w = this.waiter;
      this.waiter = undefined;
      if (w) w(msg);
      else this.queue.push(msg);
    });
  }

  static async open(port: number): Promise<UdpClient> {
    const c = new UdpClient(port);
    await new Promise<void>((r) => c.socket.bind(0, '127.0.0.1', () => r()));
    return c;
  }

  send(b: Buffer): void {
    this.socket.send(b, this.port, '127.0.0.1');
  }

  /** The next datagram received, or undefined when none arrives within `ms`. */
  next(ms: number): Promise<Buffer | undefined> {
    const q = this.queue.shift();
    if (q) return Promise.resolve(q);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, ms);
      this.waiter = (b) => {
        clearTimeout(t);
        resolve(b);
      };
    });
  }

  close(): void {
    this.socket.close();
  }
}

/** Prefixes a DNS message with its two-byte TCP length. */
export function frame(msg: Buffer): Buffer {
  const out = Buffer.alloc(msg.length + 2);
  out.writeUInt16BE(msg.length, 0);
  msg.copy(out, 2);
  return out;
}

/** A TCP connection that splits the byte stream into DNS messages and records when it closed. */
export class TcpClient {
  readonly messages: Buffer[] = [];
  private buf = Buffer.alloc(0);
  private listeners: (() => void)[] = [];
  /** performance.now() of the server's FIN (`end`) and of `close`. */
  endedAt: number | undefined;
  closedAt: number | undefined;
  error: Error | undefined;
  readonly openedAt = performance.now();

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      while (this.buf.length >= 2 && this.buf.length >= 2 + this.buf.readUInt16BE(0)) {
        const len = this.buf.readUInt16BE(0);
        this.messages.push(Buffer.from(this.buf.subarray(2, 2 + len)));
        this.buf = this.buf.subarray(2 + len);
      }
      this.notify();
    });
    socket.on('end', () => {
      this.endedAt ??= performance.now();
      this.notify();
    });
    socket.on('error', (e) => {
      this.error = e;
    });
    socket.on('close', () => {
      this.closedAt = performance.now();
      this.notify();
    });
  }

  /** Connects; resolves once connected or closed (a refused or dropped connection still resolves). */
  static connect(port: number): Promise<TcpClient> {
    const s = net.connect({ host: '127.0.0.1', port });
    const c = new TcpClient(s);
    return new Promise((resolve) => {
      s.once('connect', () => resolve(c));
      s.once('close', () => resolve(c));
    });
  }

  get closed(): boolean {
    return this.closedAt !== undefined;
  }

  private notify(): void {
    const ls = this.listeners;
    this.listeners = [];
    for (const l of ls) l();
  }

  /** Resolves when `cond` holds, rejects after `ms`. */
  until(cond: () => boolean, ms: number, what: string): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
      const check = () => {
        if (cond()) {
          clearTimeout(t);
          resolve();
        } else this.listeners.push(check);
      };
      this.listeners.push(check);
    });
  }

  /** Waits for `n` messages in total. */
  async replies(n: number, ms = 3000): Promise<Buffer[]> {
    await this.until(() => this.messages.length >= n || this.closed, ms, `${n} replies`);
    if (this.messages.length < n) throw new Error(`connection closed after ${this.messages.length} of ${n} replies`);
    return this.messages.slice(0, n);
  }

  /** Waits for the connection to be fully closed. */
  async waitClosed(ms: number): Promise<number> {
    await this.until(() => this.closed, ms, 'close');
    return this.closedAt!;
  }

  write(b: Buffer): void {
    this.socket.write(b);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
