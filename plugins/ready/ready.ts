/**
 * The readiness endpoint: `/ready` answers 200 "OK" once every plugin that reports readiness
 * says ready, else 503 with the names of those that are not (sorted, comma separated). During
 * shutdown it answers 503 "Shutting down".
 */
import type http from 'node:http';
import type { Logger } from '../../src/log.js';
import type { PluginEnv, PluginInstance } from '../../src/plugin/plugin.js';
import { holdRoute } from '../health/endpoint.js';

export const PATH = '/ready';
export const DEFAULT_ADDR = ':8181';

export type MonitorType = 'until-ready' | 'continuously';

export interface ReadyConfig {
  /** Listen address, HOST:PORT or :PORT. */
  readonly addr: string;
  /** until-ready: a plugin that once reported ready is not asked again. */
  readonly monitor: MonitorType;
}

const TEXT = { 'content-type': 'text/plain; charset=utf-8' };

export class Ready implements PluginInstance {
  private release: (() => Promise<void>) | undefined;
  /** until-ready: names that reported ready once and are not asked again (CoreDNS keys by name too). */
  private readonly confirmed = new Set<string>();

  constructor(
    readonly config: ReadyConfig,
    private readonly env: PluginEnv,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    if (this.release !== undefined) return;
    this.release = await holdRoute(this.env.http, this.config.addr, PATH, this.serve);
  }

  async stop(): Promise<void> {
    const release = this.release;
    this.release = undefined;
    await release?.();
  }

  /**
   * Names of the plugins not ready yet, sorted and without repeats; empty when all are ready.
   * A name several blocks share is ready when every instance of it is.
   */
  notReady(): string[] {
    const keep = this.config.monitor === 'continuously';
    const pending = new Set<string>();
    const ready = new Set<string>();
    for (const e of this.env.readiness()) {
      if (!keep && this.confirmed.has(e.name)) continue;
      if (pending.has(e.name)) continue;
      if (e.ready()) ready.add(e.name);
      else pending.add(e.name);
    }
    if (!keep) for (const name of ready) if (!pending.has(name)) this.confirmed.add(name);
    return [...pending].sort();
  }

  readonly serve = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (this.env.shuttingDown) {
      res.writeHead(503, TEXT).end('Shutting down');
      return;
    }
    const notReady = this.notReady();
    if (notReady.length === 0) {
      res.writeHead(200, TEXT).end('OK');
      return;
    }
    const list = notReady.join(',');
    this.log.info(`Plugins not ready: ${JSON.stringify(list)}`);
    res.writeHead(503, TEXT).end(list);
  };
}
