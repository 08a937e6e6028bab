/**
 * One query from bytes to reply: read header and question, reject what CoreDNS rejects before
 * any plugin runs, route by longest zone suffix, run the block's chain, and write the reply
 * through the scrub writer. Never throws, never leaves a rejected promise behind.
 */
import { isUnwrittenErrorRcode, QClass, QType, Rcode } from '../wire/constants.js';
import { parentName } from '../wire/name.js';
import { parseQuery, Query } from '../wire/query.js';
import { errorReply, finalizeReply, headerOnlyReply, type Reply, replyRcode, replySizeLimit } from '../wire/reply.js';
import { PluginError } from '../plugin/plugin.js';
import { type Client, Request } from '../plugin/request.js';
import type { ResponseWriter, SentReply } from '../plugin/writer.js';
import { panicsTotal, report, zoneReporter } from '../metrics/dns.js';
import { log } from '../log.js';
import type { BuiltBlock, ListenerSpec } from './config.js';

/** Delivers the reply bytes, or null when no reply will ever be sent for this query. */
export type Send = (wire: Buffer | null) => void;

const panics = panicsTotal.labels();

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
    let wire: Buffer;
    let rcode: number;
    try {
      wire = finalizeReply(q, reply, replySizeLimit(q, this.req.client.proto === 'tcp'));
      rcode = replyRcode(reply);
    } catch (e) {
      log.error(`plugin/${this.req.plugin || 'server'}: could not encode reply for ${q.name}: ${(e as Error).message}`);
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

  constructor(private readonly spec: ListenerSpec) {
    this.dropped = zoneReporter(spec.label, 'dropped');
  }

  get label(): string {
    return this.spec.label;
  }

  /** Longest-suffix zone match on the lowercased name; DS queries prefer the parent zone. */
  route(name: string, qtype: number): { zone: string; block: BuiltBlock } | undefined {
    const zones = this.spec.zones;
    let found: { zone: string; block: BuiltBlock } | undefined;
    for (let cur: string | undefined = name; cur !== undefined; cur = parentName(cur)) {
      const b = zones.get(cur);
      if (b !== undefined) {
        if (qtype === QType.DS && cur === name && cur !== '.' && found === undefined) {
          found = { zone: cur, block: b };
          continue;
        }
        return { zone: cur, block: b };
      }
    }
    return found;
  }

  handle(raw: Buffer, client: Client, send: Send): void {
    const start = performance.now();
    const q = parseQuery(raw);
    if (!(q instanceof Query)) {
      send(q.action === 'reply' ? headerOnlyReply(raw, q.rcode) : null);
      return;
    }
    if (q.edns !== undefined && q.edns.version > 0) {
      this.reject(q, client, Rcode.BADVERS, send, start);
      return;
    }
    const r = this.route(q.name, q.qtype);
    if (r === undefined || r.block.chain === undefined) {
      this.reject(q, client, Rcode.REFUSED, send, start);
      return;
    }
    if (q.qclass !== QClass.IN && !r.block.acceptsAnyClass) {
      this.reject(q, client, Rcode.REFUSED, send, start);
      return;
    }
    const req = new Request(q, client, this.spec.label, start);
    req.zone = r.zone;
    const w = new ServerWriter(req, send);
    const chain = r.block.chain;
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

