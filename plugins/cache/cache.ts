/**
 * The cache handler (CoreDNS's plugin/cache/handler.go): answers from a stored reply when it
 * can, else asks the next plugin through a CachingWriter that stores the reply. Popular entries
 * are refreshed in the background before they expire (prefetch); expired ones may still be
 * served for a while (serve_stale), refreshed after (immediate) or only when the next plugin
 * cannot answer (verify).
 */
import { nextOrFailure, type Handler, type PreparedAnswers } from '../../src/plugin/plugin.js';
import { Request } from '../../src/plugin/request.js';
import type { ResponseWriter } from '../../src/plugin/writer.js';
import { Rcode } from '../../src/wire/constants.js';
import type { Query } from '../../src/wire/query.js';
import type { PreparedReply } from '../../src/wire/reply.js';
import { isSubdomain } from '../../src/wire/name.js';
import type { Entry } from './entry.js';
import { type CacheCounters, CacheMetrics } from './metrics.js';
import type { Config } from './setup.js';
import { cacheKey, CacheStore } from './store.js';
import { CachingWriter, type FillContext, type FillMode } from './writer.js';

export const NAME = 'cache';

/** A hit has written its reply synchronously; one settled promise serves every hit. */
const DONE: Promise<number> = Promise.resolve(Rcode.NOERROR);

export interface CacheOptions {
  /** Clock in milliseconds; tests inject a fake one. Default performance.now(). */
  readonly now?: () => number;
}

export class CacheHandler implements Handler, PreparedAnswers {
  readonly name = NAME;
  readonly store: CacheStore;
  private readonly metrics: CacheMetrics;
  private readonly now: () => number;
  private readonly everyName: boolean;
  private readonly nextPrepared: PreparedAnswers | undefined;

  constructor(
    private readonly config: Config,
    private readonly next: Handler | undefined,
    options: CacheOptions = {},
  ) {
    this.store = new CacheStore(config);
    this.metrics = new CacheMetrics(config.zones.join(','));
    this.now = options.now ?? performance.now.bind(performance);
    this.everyName = config.zones.includes('.');
    this.nextPrepared = next !== undefined && typeof (next as Partial<PreparedAnswers>).preparedReply === 'function' ? (next as Handler & PreparedAnswers) : undefined;
  }

  /**
   * A fresh hit without the chain machinery (see PreparedAnswers): the same reply, TTLs and
   * counters as serveDNS. Stale entries, misses and prefetch bookkeeping take the full path.
   * Names outside the cache's zones are the next plugin's to answer, prepared or not.
   */
  preparedReply(q: Query, server: string): PreparedReply | undefined {
    if (!this.covers(q.name)) return this.nextPrepared?.preparedReply(q, server);
    if (this.config.prefetch > 0) return undefined;
    const dnssecOk = q.edns !== undefined && q.edns.do;
    const now = this.now();
    const e = this.store.freshHit(cacheKey(q.name, q.qtype, q.qclass, dnssecOk, q.cd), now, this.metrics.for(server));
    if (e === undefined) return undefined;
    return e.reply(this.config.keepttl ? e.origTtl : e.ttl(now), dnssecOk || q.ad);
  }

  private covers(name: string): boolean {
    if (this.everyName) return true;
    for (const z of this.config.zones) if (isSubdomain(z, name)) return true;
    return false;
  }

  serveDNS(req: Request, w: ResponseWriter): Promise<number> {
    if (!this.covers(req.name)) return nextOrFailure(NAME, this.next, req, w);
    try {
      const q = req.query;
      const dnssecOk = q.edns !== undefined && q.edns.do;
      const keepAd = dnssecOk || q.ad;
      const key = cacheKey(req.name, q.qtype, q.qclass, dnssecOk, q.cd);
      const counters = this.metrics.for(req.server);
      const now = this.now();
      const e = this.store.lookup(key, now, counters);
      if (e === undefined) return this.ask(req, w, key, counters, 'miss', keepAd);

      let ttl = e.ttl(now);
      if (ttl < 0) {
        if (this.config.verifyStale) return this.verify(req, w, e, key, counters, keepAd);
        this.refresh(req, e, key, counters, now);
        ttl = 0;
        counters.servedStale.inc();
      } else if (this.popular(e, now)) {
        this.refresh(req, e, key, counters, now);
      }
      w.write(e.reply(this.config.keepttl ? e.origTtl : ttl, keepAd));
      return DONE;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private context(key: string, counters: CacheCounters): FillContext {
    return { store: this.store, config: this.config, key, counters, now: this.now };
  }

  private ask(req: Request, w: ResponseWriter, key: string, counters: CacheCounters, mode: FillMode, keepAd: boolean): Promise<number> {
    return nextOrFailure(NAME, this.next, req, new CachingWriter(this.context(key, counters), req, w, mode, keepAd));
  }

  /** Counts the hit; true when the entry is popular and close enough to expiry to refresh now. */
  private popular(e: Entry, now: number): boolean {
    const cfg = this.config;
    if (cfg.prefetch <= 0) return false;
    const hits = e.touch(cfg.prefetchWindow, now);
    const threshold = Math.ceil((cfg.prefetchPercentage / 100) * e.origTtl);
    return hits >= cfg.prefetch && e.ttl(now) <= threshold;
  }

  /**
   * Asks the next plugin again in the background and stores its reply; at most one refresh per
   * entry at a time. The fresh entry inherits the old one's popularity.
   */
  private refresh(req: Request, e: Entry, key: string, counters: CacheCounters, now: number): void {
    if (e.refreshing) return;
    e.refreshing = true;
    counters.prefetches.inc();
    // Its own request: the client's has been answered and outer plugins may still read it.
    // TCP, as CoreDNS does, so nothing below sizes the reply for a small UDP client.
    const r = new Request(req.query, { ...req.client, proto: 'tcp' }, req.server, performance.now());
    r.zone = req.zone;
    const cw = new CachingWriter(this.context(key, counters), r, undefined, 'refresh', true);
    // A failing refresh leaves the entry as it is; the next miss asks again.
    void nextOrFailure(NAME, this.next, r, cw)
      .catch(() => Rcode.SERVFAIL)
      .then(() => {
        e.refreshing = false;
        const fresh = this.store.peek(key);
        if (fresh !== undefined && fresh !== e) fresh.inherit(e.hits, now);
      });
  }

  /** serve_stale verify: a fresh reply if the next plugin gives a usable one, else the stale entry. */
  private async verify(req: Request, w: ResponseWriter, e: Entry, key: string, counters: CacheCounters, keepAd: boolean): Promise<number> {
    const cw = new CachingWriter(this.context(key, counters), req, w, 'verify', keepAd);
    try {
      const rc = await nextOrFailure(NAME, this.next, req, cw);
      if (cw.refreshed) return rc;
    } catch (err) {
      if (cw.refreshed) throw err;
    }
    counters.servedStale.inc();
    w.write(e.reply(this.config.keepttl ? e.origTtl : 0, keepAd));
    return Rcode.NOERROR;
  }
}
