/**
 * One query from bytes to reply: read header and question, reject what CoreDNS rejects before
 * any plugin runs, route by longest zone suffix, run the block's chain, and write the reply
 * through the scrub writer. Never throws, never leaves a rejected promise behind.
 */
// performance from perf_hooks, not the global: the global is a lazy accessor, slow to read per query.
import { performance } from 'node:perf_hooks';
import { isUnwrittenErrorRcode, QClass, QType, Rcode } from '../wire/constants.js';
import { parseQuery, Query } from '../wire/query.js';
import { errorReply, finalizeReply, headerOnlyReply, type PreparedReply, type Reply, replyRcode, replySizeLimit } from '../wire/reply.js';
import { type Handler, type PreparedAnswers, PluginError } from '../plugin/plugin.js';
import { type Client, Request } from '../plugin/request.js';
import type { ResponseWriter, SentReply } from '../plugin/writer.js';
import { panicsTotal, report, zoneReporter } from '../metrics/dns.js';
import { log } from '../log.js';
import type { BuiltBlock, ListenerSpec } from './config.js';

/**
 * Where the label after the one starting at `start` begins (`last`, the root, after the final
 * label). Escaped dots (`\.`) are part of a label, as in parentName.
 */
function nextLabel(name: string, start: number, last: number): number {
  for (let i = start; i < last; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x5c) {
      i++;
      continue;
    }
    if (c === 0x2e) return i + 1;
  }
  return last;
}

/** Delivers the reply bytes, or null when no reply will ever be sent for this query. */
export type Send = (wire: Buffer | null) => void;

const panics = panicsTotal.labels();

function answersPrepared(h: Handler): h is Handler & PreparedAnswers {
  return typeof (h as Partial<PreparedAnswers>).preparedReply === 'function';
}

/** A zone of the listener with its block, built once (routing allocates nothing per query). */
interface Route {
  readonly zone: string;
  readonly block: BuiltBlock;
  readonly prepared: PreparedAnswers | undefined;
}

/** The bytes of `reply` for this query, or undefined (logged) when it cannot be encoded. */
function encode(q: Query, reply: Reply, tcp: boolean, plugin: string): Buffer | undefined {
  try {
    return finalizeReply(q, reply, replySizeLimit(q, tcp));
  } catch (e) {
    log.error(`plugin/${plugin || 'server'}: could not encode reply for ${q.name}: ${(e as Error).message}`);
    return undefined;
  }
}

/** The innermost writer: finalises the reply for this client and sends it. */
class ServerWriter implements ResponseWriter {
  sent: SentReply | undefined;

  constructor(
    private readonly req: Request,
    private readonly send: Send,
  ) {}

  get written(): boolean {
    return this.sent !== undefined;
  }

  write(reply: Reply): void {
    if (this.sent !== undefined) return;
    const q = this.req.query;
    let wire = encode(q, reply, this.req.client.proto === 'tcp', this.req.plugin);
    let rcode: number;
    if (wire !== undefined) {
      rcode = replyRcode(reply);
    } else {
      wire = errorReply(q, Rcode.SERVFAIL);
      rcode = Rcode.SERVFAIL;
    }
    this.sent = { rcode, flags: wire.readUInt16BE(2), size: wire.length, plugin: this.req.plugin };
    this.send(wire);
  }

  /** The server's own reply (unwritten error codes, panics). */
  writeError(rcode: number): void {
    if (this.sent !== undefined) return;
    const wire = errorReply(this.req.query, rcode);
    this.sent = { rcode, flags: wire.readUInt16BE(2), size: wire.length, plugin: '' };
    this.send(wire);
  }
}

export class Dispatcher {
  private readonly dropped: ReturnType<typeof zoneReporter>;
  /** Queries whose chain has not finished (graceful shutdown waits for them). */
  inflight = 0;
  private idleWaiters: (() => void)[] = [];

  private readonly routes = new Map<string, Route>();
  /**
   * Lengths of the zones (1 = some zone has that length): a name's suffix of any other length
   * cannot be one. An array, not a Set: it is read for every label of every query.
   */
  private readonly zoneLengths: Uint8Array;

  constructor(private readonly spec: ListenerSpec) {
    this.dropped = zoneReporter(spec.label, 'dropped');
    this.zoneLengths = new Uint8Array(Math.max(0, ...[...spec.zones.keys()].map((z) => z.length)) + 1);
    for (const [zone, block] of spec.zones) {
      const chain = block.chain;
      this.routes.set(zone, { zone, block, prepared: chain !== undefined && answersPrepared(chain) ? chain : undefined });
      this.zoneLengths[zone.length] = 1;
    }
  }

  get label(): string {
    return this.spec.label;
  }

  /**
   * Longest-suffix zone match on the lowercased name; DS queries prefer the parent zone. Only
   * suffixes as long as some zone are looked up (most queries go to one or two zones).
   */
  route(name: string, qtype: number): Route | undefined {
    const last = name.length - 1;
    let found: Route | undefined;
    // `start`: where the suffix being tried begins; the walk ends with the root, "." at `last`.
    for (let start = 0; ; ) {
      if (this.zoneLengths[name.length - start] === 1) {
        const r = this.routes.get(start === 0 ? name : name.slice(start));
        if (r !== undefined) {
          if (qtype === QType.DS && start === 0 && name !== '.' && found === undefined) found = r;
          else return r;
        }
      }
      if (start === last || name === '.') return found;
      start = nextLabel(name, start, last);
    }
  }

  handle(raw: Buffer, client: Client, send: Send): void {
    // The clock is read only where a duration is reported (rejections, the chain): a prepared
    // answer needs none, and parsing takes a microsecond the histogram cannot see.
    const q = parseQuery(raw);
    if (!(q instanceof Query)) {
      send(q.action === 'reply' ? headerOnlyReply(raw, q.rcode) : null);
      return;
    }
    if (q.edns !== undefined && q.edns.version > 0) {
      this.reject(q, client, Rcode.BADVERS, send, performance.now());
      return;
    }
    const r = this.route(q.name, q.qtype);
    if (r === undefined || r.block.chain === undefined) {
      this.reject(q, client, Rcode.REFUSED, send, performance.now());
      return;
    }
    if (q.qclass !== QClass.IN && !r.block.acceptsAnyClass) {
      this.reject(q, client, Rcode.REFUSED, send, performance.now());
      return;
    }
    const chain = r.block.chain;
    if (r.prepared !== undefined) {
      let reply: PreparedReply | undefined;
      try {
        reply = r.prepared.preparedReply(q, this.spec.label);
      } catch {
        reply = undefined; // the chain runs and reports it
      }
      if (reply !== undefined) {
        send(encode(q, reply, client.proto === 'tcp', chain.name) ?? errorReply(q, Rcode.SERVFAIL));
        return;
      }
    }
    const req = new Request(q, client, this.spec.label, performance.now());
    req.zone = r.zone;
    const w = new ServerWriter(req, send);
    this.inflight++;
    let p: Promise<number>;
    try {
      req.plugin = chain.name;
      p = chain.serveDNS(req, w);
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      (rc) => {
        if (!w.written) {
          if (isUnwrittenErrorRcode(rc)) w.writeError(rc);
          else send(null);
        }
        this.done();
      },
      (e: unknown) => {
        if (e instanceof PluginError) {
          if (!w.written) w.writeError(isUnwrittenErrorRcode(e.rcode) ? e.rcode : Rcode.SERVFAIL);
        } else {
          panics.inc();
          log.error(`Recovered from panic in server: "${this.spec.label}" ${(e as Error)?.stack ?? String(e)}`);
          if (!w.written) w.writeError(Rcode.SERVFAIL);
        }
        this.done();
      },
    );
  }

  private done(): void {
    if (--this.inflight === 0 && this.idleWaiters.length > 0) {
      const ws = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of ws) f();
    }
  }

  /** Resolves when no query is in flight. */
  idle(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private reject(q: Query, client: Client, rcode: number, send: Send, start: number): void {
    const wire = errorReply(q, rcode);
    send(wire);
    report(this.dropped, {
      tcp: client.proto === 'tcp',
      family: client.family,
      qtype: q.qtype,
      do: q.edns?.do ?? false,
      reqLen: q.raw.length,
      rcode,
      plugin: '',
      respLen: wire.length,
      seconds: (performance.now() - start) / 1000,
    });
  }
}

