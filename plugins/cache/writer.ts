/**
 * The writer the cache hands down the chain when it has to ask: it stores what the plugin below
 * writes and passes it on. Three uses, as CoreDNS's ResponseWriter and verifyStaleResponseWriter:
 * a miss (store and send), a background refresh (store only, nobody to send to) and a
 * serve_stale verify (store and send only a reply that may replace the stale entry).
 */
import type { Request } from '../../src/plugin/request.js';
import type { ResponseWriter, SentReply } from '../../src/plugin/writer.js';
import { Rcode } from '../../src/wire/constants.js';
import type { Reply } from '../../src/wire/reply.js';
import { capture } from './capture.js';
import { tierOf } from './classify.js';
import type { CacheCounters } from './metrics.js';
import type { Config } from './setup.js';
import type { CacheStore } from './store.js';

export type FillMode = 'miss' | 'refresh' | 'verify';

export interface FillContext {
  readonly store: CacheStore;
  readonly config: Config;
  readonly key: string;
  readonly counters: CacheCounters;
  readonly now: () => number;
}

export class CachingWriter implements ResponseWriter {
  /** verify: a reply arrived that refreshed the entry and was sent. */
  refreshed = false;
  private own: SentReply | undefined;

  constructor(
    private readonly ctx: FillContext,
    private readonly req: Request,
    /** undefined for a background refresh. */
    private readonly inner: ResponseWriter | undefined,
    private readonly mode: FillMode,
    /** Keep AD in what is sent: the client set DO or AD. */
    private readonly keepAd: boolean,
  ) {}

  get written(): boolean {
    return this.inner !== undefined ? this.inner.written : this.own !== undefined;
  }

  get sent(): SentReply | undefined {
    return this.inner !== undefined ? this.inner.sent : this.own;
  }

  write(reply: Reply): void {
    if (this.written) return;
    const ctx = this.ctx;
    const c = capture(reply, this.req, ctx.config, ctx.now(), this.keepAd);
    if (this.mode === 'verify') {
      // RFC 8767 §4: only an answer or an NXDOMAIN for this question replaces stale data.
      const refreshes = c.matches && !c.truncated && c.type !== undefined && c.type !== 'other' && (c.rcode === Rcode.NOERROR || c.rcode === Rcode.NXDOMAIN);
      if (!refreshes) return;
      this.refreshed = true;
    }
    if (c.entry !== undefined) ctx.store.put(ctx.key, this.req.name, tierOf(c.type!), c.entry, ctx.counters, this.mode === 'refresh');
    else if (c.dropped) ctx.counters.drops.inc();
    if (this.inner !== undefined) this.inner.write(c.reply);
    else this.own = { rcode: c.rcode, flags: 0, size: 0, plugin: this.req.plugin };
  }
}
