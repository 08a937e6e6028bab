/**
 * Background resolution of load-balancer hostnames (`hostnameTargets resolve`). A query never
 * waits on a lookup: names resolve on their own schedule and the index serves whatever was
 * last resolved. A failed refresh keeps the previous addresses (a resolver hiccup must not
 * empty a name that worked a minute ago).
 */
import { Resolver } from 'node:dns/promises';
import type { Logger } from '../../src/log.js';

export type ResolvedListener = (host: string, v4: readonly string[], v6: readonly string[]) => void;

export class HostResolver {
  private readonly wanted = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly resolver = new Resolver({ timeout: 2000, tries: 2 });
  private stopped = false;

  constructor(
    private readonly intervalMs: number,
    private readonly onResolved: ResolvedListener,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.refreshAll(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.resolver.cancel();
  }

  want(host: string, wanted: boolean): void {
    if (!wanted) {
      this.wanted.delete(host);
      return;
    }
    if (this.wanted.has(host)) return;
    this.wanted.set(host, '');
    // Resolve soon, but never inside the index update that asked for it.
    setImmediate(() => void this.refresh(host));
  }

  private async refreshAll(): Promise<void> {
    await Promise.all([...this.wanted.keys()].map((h) => this.refresh(h)));
  }

  private async refresh(host: string): Promise<void> {
    if (this.stopped || !this.wanted.has(host)) return;
    const name = host.endsWith('.') ? host.slice(0, -1) : host;
    const [v4, v6] = await Promise.all([this.lookup(() => this.resolver.resolve4(name)), this.lookup(() => this.resolver.resolve6(name))]);
    if (this.stopped || !this.wanted.has(host)) return;
    if (v4 === undefined && v6 === undefined) {
      this.log.warning(`could not resolve load-balancer hostname ${host}; keeping its last known addresses`);
      return;
    }
    const a = (v4 ?? []).sort();
    const aaaa = (v6 ?? []).sort();
    const sig = a.join(',') + '|' + aaaa.join(',');
    if (this.wanted.get(host) === sig) return;
    this.wanted.set(host, sig);
    this.onResolved(host, a, aaaa);
  }

  /** Addresses, [] for a name without that type, undefined when the lookup itself failed. */
  private async lookup(fn: () => Promise<string[]>): Promise<string[] | undefined> {
    try {
      return await fn();
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ENODATA' || code === 'ENOTFOUND') return [];
      return undefined;
    }
  }
}
