/**
 * A programmable DNS upstream for tests and benchmarks: UDP and TCP on one loopback port, every
 * query handed to a behaviour that decides what goes back (a reply, several, a delay, nothing,
 * a closed connection). Replies are built with `reply()`, which can get everything wrong on
 * purpose: the ID, the question, QR, TC, the rcode.
 *
 * Self-contained (node: modules only, erasable TypeScript) so that a benchmark, a plain `.mjs`
 * script run by Node 24, can import this file directly (Node strips the types itself):
 *
 *     import { startFakeUpstream } from '../test/upstream/fake.ts';
 */
import dgram from 'node:dgram';
import net from 'node:net';

export interface FakeQuery {
  readonly proto: 'udp' | 'tcp';
  readonly id: number;
  /** Header flags word as received. */
  readonly flags: number;
  /** Question name as sent (letter case kept), with the trailing dot. */
  readonly name: string;
  readonly qtype: number;
  readonly qclass: number;
  /** Offset just past the question in `raw`. */
  readonly questionEnd: number;
  readonly raw: Buffer;
  /** The client's source port. */
  readonly port: number;
  /** TCP connection number (1, 2, ...) in accept order; 0 for UDP. */
  readonly connection: number;
}

export type FakeAction =
  /** These bytes, as one datagram or one framed TCP message. */
  | Buffer
  /** Several messages, in order. */
  | readonly Buffer[]
  /** The action after a delay. */
  | { readonly delayMs: number; readonly then: FakeAction }
  /** No reply at all. */
  | 'drop'
  /** TCP: close the connection without a reply (UDP: no reply). */
  | 'close';

export type FakeBehaviour = (q: FakeQuery) => FakeAction;

export interface FakeUpstream {
  readonly host: string;
  readonly port: number;
  /** `127.0.0.1:PORT`, as a forward TO entry. */
  readonly address: string;
  /** Every query received, in order. */
  readonly queries: FakeQuery[];
  behaviour: FakeBehaviour;
  /** TCP connections accepted so far. */
  readonly tcpAccepted: number;
  /** TCP connections open now. */
  readonly tcpOpen: number;
  stop(): Promise<void>;
}

export interface ReplyOptions {
  rcode?: number;
  aa?: boolean;
  tc?: boolean;
  ra?: boolean;
  /** QR bit (default set). */
  qr?: boolean;
  /** Another message ID than the query's. */
  id?: number;
  /** Another question than the query's; null for none (QDCOUNT 0). */
  question?: { readonly name: string; readonly qtype?: number } | null;
  /** A records owned by the question name, TTL 300. */
  a?: readonly string[];
  /** TXT records owned by the question name, TTL 300, one string each (at most 255 bytes). */
  txt?: readonly string[];
  /** An SOA in the authority section (a negative answer). */
  soa?: boolean;
  /** An OPT record in the additional section. */
  opt?: { readonly udpSize?: number; readonly extendedRcode?: number };
}

const QTYPE_A = 1;
const QTYPE_SOA = 6;
const QTYPE_TXT = 16;
const QTYPE_OPT = 41;

function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter((l) => l !== '');
  const parts: Buffer[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, 'latin1');
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function readName(buf: Buffer, off: number): { name: string; end: number } {
  const labels: string[] = [];
  let p = off;
  while (p < buf.length && buf[p]! !== 0) {
    const len = buf[p]!;
    labels.push(buf.toString('latin1', p + 1, p + 1 + len));
    p += len + 1;
  }
  return { name: labels.length === 0 ? '.' : labels.join('.') + '.', end: p + 1 };
}

function record(type: number, rdata: Buffer, owner: Buffer = Buffer.from([0xc0, 0x0c])): Buffer {
  const head = Buffer.alloc(10);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(1, 2);
  head.writeUInt32BE(300, 4);
  head.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([owner, head, rdata]);
}

/** A response to `q`, by default NOERROR with AA and RA set and the query's ID, flags and question. */
export function reply(q: FakeQuery, o: ReplyOptions = {}): Buffer {
  let flags = (o.qr ?? true) ? 0x8000 : 0;
  flags |= q.flags & 0x7900; // opcode and RD
  if (o.aa ?? true) flags |= 0x0400;
  if (o.tc) flags |= 0x0200;
  if (o.ra ?? true) flags |= 0x0080;
  flags |= (o.rcode ?? 0) & 0xf;
  let question: Buffer;
  if (o.question === null) question = Buffer.alloc(0);
  else if (o.question !== undefined) {
    const tail = Buffer.alloc(4);
    tail.writeUInt16BE(o.question.qtype ?? q.qtype, 0);
    tail.writeUInt16BE(q.qclass, 2);
    question = Buffer.concat([encodeName(o.question.name), tail]);
  } else question = q.raw.subarray(12, q.questionEnd);
  const answers: Buffer[] = [];
  for (const ip of o.a ?? []) answers.push(record(QTYPE_A, Buffer.from(ip.split('.').map(Number))));
  for (const t of o.txt ?? []) {
    const b = Buffer.from(t, 'latin1');
    answers.push(record(QTYPE_TXT, Buffer.concat([Buffer.from([b.length]), b])));
  }
  const authority: Buffer[] = [];
  if (o.soa) {
    const times = Buffer.alloc(20);
    [1, 7200, 1800, 86400, 60].forEach((v, i) => times.writeUInt32BE(v, i * 4));
    authority.push(record(QTYPE_SOA, Buffer.concat([encodeName('ns.example.'), encodeName('hostmaster.example.'), times])));
  }
  const additional: Buffer[] = [];
  if (o.opt !== undefined) {
    const opt = Buffer.alloc(11);
    opt.writeUInt16BE(QTYPE_OPT, 1);
    opt.writeUInt16BE(o.opt.udpSize ?? 1232, 3);
    opt[5] = o.opt.extendedRcode ?? 0;
    additional.push(opt);
  }
  const header = Buffer.alloc(12);
  header.writeUInt16BE(o.id ?? q.id, 0);
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(o.question === null ? 0 : 1, 4);
  header.writeUInt16BE(answers.length, 6);
  header.writeUInt16BE(authority.length, 8);
  header.writeUInt16BE(additional.length, 10);
  return Buffer.concat([header, question, ...answers, ...authority, ...additional]);
}

/** The default behaviour: `name A` answers 192.0.2.1, anything else NOERROR without records. */
export function answerAll(q: FakeQuery): Buffer {
  return reply(q, { a: q.qtype === QTYPE_A ? ['192.0.2.1'] : [] });
}

function parse(raw: Buffer, proto: 'udp' | 'tcp', port: number, connection: number): FakeQuery | undefined {
  if (raw.length < 17) return undefined;
  const { name, end } = readName(raw, 12);
  if (end + 4 > raw.length) return undefined;
  return {
    proto,
    id: raw.readUInt16BE(0),
    flags: raw.readUInt16BE(2),
    name,
    qtype: raw.readUInt16BE(end),
    qclass: raw.readUInt16BE(end + 2),
    questionEnd: end + 4,
    raw: Buffer.from(raw),
    port,
    connection,
  };
}

/** Runs `action`, calling `send` for each message; `close` for 'close'. */
function perform(action: FakeAction, send: (b: Buffer) => void, close: () => void, timers: Set<NodeJS.Timeout>): void {
  if (action === 'drop') return;
  if (action === 'close') {
    close();
    return;
  }
  if (Buffer.isBuffer(action)) {
    send(action);
    return;
  }
  if (Array.isArray(action)) {
    for (const b of action as readonly Buffer[]) send(b);
    return;
  }
  const delayed = action as { readonly delayMs: number; readonly then: FakeAction };
  const t = setTimeout(() => {
    timers.delete(t);
    perform(delayed.then, send, close, timers);
  }, delayed.delayMs);
  timers.add(t);
}

function frame(b: Buffer): Buffer {
  const out = Buffer.alloc(b.length + 2);
  out.writeUInt16BE(b.length, 0);
  b.copy(out, 2);
  return out;
}

/** Listens on one port (`wanted`, or an ephemeral one) for both TCP and UDP (a fresh UDP socket per try: a failed bind spoils one). */
async function bindBoth(host: string, wanted: number, tcp: net.Server, makeUdp: () => dgram.Socket): Promise<{ port: number; udp: dgram.Socket }> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen({ host, port: wanted, exclusive: true }, () => {
        tcp.off('error', reject);
        resolve((tcp.address() as net.AddressInfo).port);
      });
    });
    const udp = makeUdp();
    const ok = await new Promise<boolean>((resolve) => {
      const onError = (): void => resolve(false);
      udp.once('error', onError);
      udp.bind({ address: host, port, exclusive: true }, () => {
        udp.off('error', onError);
        resolve(true);
      });
    });
    if (ok) return { port, udp };
    udp.close();
    await new Promise<void>((r) => tcp.close(() => r()));
    if (wanted !== 0) throw new Error(`fake upstream: udp port ${wanted} is taken`);
  }
  throw new Error('fake upstream: no port free for both UDP and TCP');
}

/** Starts a fake upstream on `host` (default 127.0.0.1), UDP and TCP on one port (default an ephemeral one). */
export async function startFakeUpstream(behaviour: FakeBehaviour = answerAll, opts: { host?: string; port?: number } = {}): Promise<FakeUpstream> {
  const host = opts.host ?? '127.0.0.1';
  const queries: FakeQuery[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  let stopped = false;
  const state = { behaviour };

  const makeUdp = (): dgram.Socket => {
    const udp = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    udp.on('message', (msg, rinfo) => {
      const q = parse(msg, 'udp', rinfo.port, 0);
      if (q === undefined) return;
      queries.push(q);
      perform(
        state.behaviour(q),
        (b) => udp.send(b, rinfo.port, rinfo.address),
        () => undefined,
        timers,
      );
    });
    return udp;
  };

  const tcp = net.createServer({ noDelay: true }, (s) => {
    const connection = ++accepted;
    sockets.add(s);
    let buf = Buffer.alloc(0);
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        const q = parse(msg, 'tcp', s.remotePort ?? 0, connection);
        if (q === undefined) continue;
        queries.push(q);
        perform(
          state.behaviour(q),
          (b) => {
            if (!s.destroyed) s.write(frame(b));
          },
          () => s.destroy(),
          timers,
        );
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });

  const { port, udp } = await bindBoth(host, opts.port ?? 0, tcp, makeUdp);
  udp.on('error', () => undefined);
  return {
    host,
    port,
    address: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
    queries,
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(b: FakeBehaviour) {
      state.behaviour = b;
    },
    get tcpAccepted() {
      return accepted;
    },
    get tcpOpen() {
      return sockets.size;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      await Promise.all([new Promise<void>((r) => tcp.close(() => r())), new Promise<void>((r) => udp.close(() => r()))]);
    },
  };
}
