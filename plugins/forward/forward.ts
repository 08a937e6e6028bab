/**
 * The forward handler (CoreDNS's forward.go ServeDNS): names under FROM and not excepted go to
 * the upstreams in policy order, for at most the overall timeout; an upstream that errs gets
 * health-checked and the next one is tried; down upstreams are skipped, and when all are down
 * one is picked at random anyway (or, with failfast, none). The first usable reply is written
 * as it came, the client's ID, flags and question put back by the writer.
 */
import { type Handler, nextOrFailure, PluginError } from '../../src/plugin/plugin.js';
import type { Request } from '../../src/plugin/request.js';
import type { ResponseWriter } from '../../src/plugin/writer.js';
import { Rcode } from '../../src/wire/constants.js';
import { isSubdomain } from '../../src/wire/name.js';
import { ANY_QUESTION, PreparedReply } from '../../src/wire/reply.js';
import type { UpstreamError } from './client/outcome.js';
import type { ForwardConfig } from './config.js';
import { healthcheckBroken, maxConcurrentRejects } from './metrics.js';
import { newPolicy, type Policy, random } from './policy.js';
import type { Attempt, Proxy } from './proxy.js';

export const NAME = 'forward';

/** FORMERR for a reply that does not answer the question (CoreDNS writes it itself). */
const FORMERR = new PreparedReply(Rcode.FORMERR, 0, 0, 0, Buffer.alloc(0), ANY_QUESTION);

export class Forward implements Handler {
  readonly name = NAME;
  /** The next handler: the following forward of the block, or the plugin after forward. */
  next: Handler | undefined;
  private concurrent = 0;
  private readonly policy: Policy;

  constructor(
    readonly config: ForwardConfig,
    readonly proxies: readonly Proxy[],
  ) {
    this.policy = newPolicy(config.policy);
  }

  /** In FROM and not excepted; FROM itself is always forwarded. */
  match(name: string): boolean {
    const c = this.config;
    if (!isSubdomain(c.from, name)) return false;
    if (name === c.from) return true;
    for (const z of c.ignored) if (isSubdomain(z, name)) return false;
    return true;
  }

  async serveDNS(req: Request, w: ResponseWriter): Promise<number> {
    if (!this.match(req.name)) return nextOrFailure(NAME, this.next, req, w);
    const max = this.config.maxConcurrent;
    if (max > 0 && this.concurrent >= max) {
      maxConcurrentRejects.inc();
      throw new PluginError(Rcode.REFUSED, `concurrent queries exceeded maximum ${max}`);
    }
    this.concurrent++;
    try {
      return await this.forward(req, w);
    } finally {
      this.concurrent--;
    }
  }

  private async forward(req: Request, w: ResponseWriter): Promise<number> {
    const c = this.config;
    const proxies = this.proxies;
    const list = this.policy.list(proxies);
    const deadline = performance.now() + c.totalTimeoutMs;
    let fails = 0;
    let i = 0;
    let attempts = 0;
    let upstreamErr: UpstreamError | undefined;
    // Without max_connect_attempts, failed tries stop at twice the upstreams: fast failures
    // (refused, unreachable) would otherwise be retried in a loop until the deadline.
    const maxAttempts = c.maxConnectAttempts > 0 ? c.maxConnectAttempts : 2 * proxies.length;

    while (performance.now() < deadline && attempts < maxAttempts) {
      if (i >= list.length) {
        // Round again from the start of the list until the deadline.
        i = 0;
        fails = 0;
      }
      let proxy = list[i++]!;
      if (proxy.down(c.maxFails)) {
        fails++;
        if (fails < proxies.length) continue;
        // Every upstream is down: health checking itself is probably what is broken.
        healthcheckBroken.inc();
        if (c.failfast) break;
        proxy = random.list(proxies)[0]!;
      }
      req.setMetadata('forward/upstream', proxy.addr);

      const attempt = await this.tryUpstream(proxy, req, deadline);
      if (attempt.kind === 'error') {
        upstreamErr = attempt.error;
        if (c.maxFails !== 0) proxy.healthcheck();
        if (++attempts >= maxAttempts) break;
        if (fails < proxies.length) continue;
        break;
      }
      if (attempt.kind === 'mismatch') {
        w.write(FORMERR);
        return 0;
      }
      const r = attempt.reply;
      // The last upstream of the round is not failed over: its reply is written, as CoreDNS
      // documents (its code compares before counting and so retries until the deadline).
      if (c.failover.includes(r.rcode) && fails < proxies.length - 1) {
        fails++;
        continue;
      }
      // `next` only ever hands over to another forward (CoreDNS checks the next handler's type).
      if (this.next instanceof Forward && (c.next.includes(r.rcode) || (c.nextOnNodata && r.rcode === Rcode.NOERROR && r.answers === 0))) {
        return nextOrFailure(NAME, this.next, req, w);
      }
      w.write(r.reply);
      return 0;
    }
    throw new PluginError(Rcode.SERVFAIL, upstreamErr?.message ?? 'no healthy proxies');
  }

  /**
   * One upstream: the client's transport unless force_tcp or prefer_udp say otherwise; again at
   * once when a cached TCP connection turned out closed; over TCP when prefer_udp got TC.
   */
  private async tryUpstream(proxy: Proxy, req: Request, deadline: number): Promise<Attempt> {
    const c = this.config;
    let tcp = c.forceTcp || (!c.preferUdp && req.proto === 'tcp');
    for (;;) {
      const left = deadline - performance.now();
      const attempt = await proxy.connect(req.query, tcp, Math.max(1, Math.min(c.readTimeoutMs, left)));
      if (attempt.kind === 'error' && attempt.error.cached && performance.now() < deadline) continue;
      if (attempt.kind === 'reply' && attempt.reply.truncated && !tcp && c.preferUdp) {
        tcp = true;
        continue;
      }
      return attempt;
    }
  }
}
