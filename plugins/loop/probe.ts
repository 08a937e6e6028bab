/**
 * The self-probe, on CoreDNS's schedule: right after start, `HINFO <random>.<random>.<zone>` is
 * sent over UDP to the server's own listener (2 s timeout, like dns.Exchange), retried every
 * second for up to 30 s. A failed try resets the count of sightings. The first answered probe
 * ends probing, and two seconds later (time for a looping probe to be seen again) the plugin
 * switches itself off. Unlike CoreDNS, an answer to a probe this plugin never saw is retried a
 * couple of times first: on a reload, the configuration being replaced answers until the swap.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { HEADER_SIZE, QClass, QType } from '../../src/wire/constants.js';
import { encodeName } from '../../src/wire/name.js';
import type { ProbeTarget } from './address.js';
import type { LoopState } from './loop.js';

export interface ProbeTimings {
  readonly timeoutMs: number;
  readonly retryMs: number;
  readonly deadlineMs: number;
  readonly disableAfterMs: number;
}

/**
 * Answers to probes that never passed this plugin (a plugin before it answered, or the previous
 * configuration did while a reload swaps chains) taken before probing ends anyway.
 */
const MAX_UNSEEN_ANSWERS = 2;

export const COREDNS_TIMINGS: ProbeTimings = { timeoutMs: 2000, retryMs: 1000, deadlineMs: 30_000, disableAfterMs: 2000 };

/** A non-negative 63-bit integer, like Go's rand.Int(). */
function randomLabel(): string {
  return (randomBytes(8).readBigUInt64BE() & 0x7fff_ffff_ffff_ffffn).toString();
}

/** `<random>.<random>.<zone>` (zone is a lowercase FQDN). */
export function probeName(zone: string): string {
  return `${randomLabel()}.${randomLabel()}.${zone === '.' ? '' : zone}`;
}

/** A plain query with RD set, as miekg's SetQuestion builds it. */
function queryBytes(qname: string, id: number): Buffer {
  const name = encodeName(qname);
  const buf = Buffer.alloc(HEADER_SIZE + name.length + 4);
  buf.writeUInt16BE(id, 0);
  buf.writeUInt16BE(0x0100, 2);
  buf.writeUInt16BE(1, 4);
  name.copy(buf, HEADER_SIZE);
  buf.writeUInt16BE(QType.HINFO, HEADER_SIZE + name.length);
  buf.writeUInt16BE(QClass.IN, HEADER_SIZE + name.length + 2);
  return buf;
}

/** Sends one probe; true when any reply with its ID arrived in time. */
function exchange(target: ProbeTarget, qname: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const id = randomBytes(2).readUInt16BE();
    const socket = dgram.createSocket(isIPv6(target.host) ? 'udp6' : 'udp4');
    let finished = false;
    const done = (ok: boolean) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    // A probe in flight must not keep a stopping process alive.
    timer.unref();
    socket.unref();
    socket.on('error', () => done(false));
    socket.on('message', (msg) => {
      if (msg.length >= HEADER_SIZE && msg.readUInt16BE(0) === id) done(true);
    });
    socket.send(queryBytes(qname, id), target.port, target.host);
  });
}

export class Prober {
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly state: LoopState,
    private readonly timings: ProbeTimings = COREDNS_TIMINGS,
  ) {}

  /** Probes until a probe is answered or the deadline passes; resolves when probing is over. */
  async run(target: ProbeTarget): Promise<void> {
    const s = this.state;
    const deadline = Date.now() + this.timings.deadlineMs;
    s.address = target.display;
    let unseen = 0;
    while (!this.stopped && Date.now() < deadline) {
      const answered = await exchange(target, s.qname, this.timings.timeoutMs);
      // During a reload the old configuration may answer the first probe: try again, a little.
      if (answered && (s.seen > 0 || ++unseen > MAX_UNSEEN_ANSWERS)) {
        this.after(this.timings.disableAfterMs, () => (s.off = true));
        return;
      }
      if (!answered) s.seen = 0;
      await new Promise<void>((r) => this.after(this.timings.retryMs, r));
    }
    // Never answered: the probe name stays unique, so staying armed would catch nothing later.
    s.off = true;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }
}
