/**
 * The running server: the current configuration, its DNS listeners and plugin lifecycles.
 * Reload builds and starts a new configuration beside the old one, keeps listeners whose
 * address did not change (no query is lost), swaps atomically, then stops the old plugins;
 * any failure leaves the old configuration serving.
 */
import { createHash } from 'node:crypto';
import { parseCorefile, serializeBlocks } from '../corefile/parser.js';
import type { ServerBlock } from '../corefile/types.js';
import type { PluginRegistry } from '../plugin/registry.js';
import type { BoundListener, ConfigControl, PluginEnv, ReadinessEntry, StartContext } from '../plugin/plugin.js';
import { registry as metricsRegistry } from '../metrics/registry.js';
import { FastCounter, FastGauge } from '../metrics/fast.js';
import { log, newLogger } from '../log.js';
import { buildConfig, strayPortWarnings, type BuiltBlock, type BuiltConfig, type ListenerSpec } from './config.js';
import { Dispatcher } from './dispatch.js';
import { HttpEndpoints } from './http-endpoints.js';
import { TCP_DEFAULTS, TcpListener } from './tcp.js';
import { UdpListener } from './udp.js';

export interface CorefileSource {
  /** Reads the Corefile again (reload); returns its contents and the file name used in errors. */
  load(): Promise<{ contents: string; file: string }>;
}

export interface InstanceOptions {
  registry: PluginRegistry;
  source: CorefileSource;
  defaultPort: number;
  reusePort: boolean;
  tcpMaxConnections: number;
}

const reloadFailed = new FastCounter('coredns_reload_failed_total', 'Counter of the number of failed reload attempts.', [], metricsRegistry).labels();
const reloadVersion = new FastGauge('coredns_reload_version_info', 'A metric with a constant \'1\' value labeled by hash, and value which type of hash generated.', ['hash', 'value'], metricsRegistry);

interface Listener {
  spec: ListenerSpec;
  dispatcher: Dispatcher;
  udp: UdpListener;
  tcp: TcpListener;
}

export function hashBlocks(blocks: readonly ServerBlock[]): string {
  return createHash('sha512').update(serializeBlocks([...blocks])).digest('hex');
}

export class Instance {
  private config: BuiltConfig | undefined;
  /** The first configuration while its plugins start: what /ready must judge until it serves. */
  private starting: BuiltConfig | undefined;
  private hash = '';
  private listeners = new Map<string, Listener>();
  readonly http = new HttpEndpoints();
  private shutting = false;
  private reloading: Promise<boolean> | undefined;
  /** Hashes that failed to load; not retried until the Corefile changes again. */
  private failedHash = '';
  readonly env: PluginEnv;

  constructor(private readonly opts: InstanceOptions) {
    const self = this;
    const control: ConfigControl = {
      get hash() {
        return self.hash;
      },
      currentHash: async () => {
        const { contents, file } = await opts.source.load();
        return hashBlocks(parseCorefile(contents, file));
      },
      reload: (reason) => self.reload(reason),
    };
    this.env = {
      http: this.http,
      metrics: metricsRegistry,
      logger: (p) => newLogger(p),
      readiness: () => self.readiness(),
      get shuttingDown() {
        return self.shutting;
      },
      config: control,
    };
  }

  /** Parses and sets up without listening (exdns validate). */
  static validate(contents: string, file: string, opts: Pick<InstanceOptions, 'registry' | 'defaultPort'>): BuiltConfig {
    const blocks = parseCorefile(contents, file, { isDirective: (n) => opts.registry.has(n), warn: (m) => log.warning(m) });
    const scratch = new Instance({ ...opts, source: { load: async () => ({ contents, file }) }, reusePort: false, tcpMaxConnections: 1 });
    const config = buildConfig(blocks, opts.registry, scratch.env, opts.defaultPort);
    for (const w of strayPortWarnings(config, file)) log.warning(w);
    return config;
  }

  readiness(): ReadinessEntry[] {
    const out: ReadinessEntry[] = [];
    for (const b of (this.config ?? this.starting)?.blocks ?? []) {
      for (const p of b.plugins) {
        const inst = p.instance;
        if (typeof inst.ready === 'function') out.push({ name: p.name, ready: () => inst.ready!() });
      }
    }
    return out;
  }

  get shuttingDown(): boolean {
    return this.shutting;
  }

  /** Listening addresses, for the startup banner and tests. */
  servers(): { spec: ListenerSpec; udpPort: number; tcpPort: number }[] {
    return [...this.listeners.values()].map((l) => ({ spec: l.spec, udpPort: l.udp.port, tcpPort: l.tcp.port }));
  }

  get configuration(): BuiltConfig | undefined {
    return this.config;
  }

  /** First load; throws on any error (CoreDNS exits). */
  async start(): Promise<void> {
    const { contents, file } = await this.opts.source.load();
    await this.apply(contents, file);
  }

  private async apply(contents: string, file: string): Promise<void> {
    const blocks = parseCorefile(contents, file, { isDirective: (n) => this.opts.registry.has(n), warn: (m) => log.warning(m) });
    const hash = hashBlocks(blocks);
    const next = buildConfig(blocks, this.opts.registry, this.env, this.opts.defaultPort);
    for (const w of strayPortWarnings(next, file)) log.warning(w);

    // Listeners: keep those whose address stays, open the new ones.
    const opened: Listener[] = [];
    const nextListeners = new Map<string, Listener>();
    try {
      for (const spec of next.listeners) {
        const old = this.listeners.get(spec.key);
        if (old) {
          nextListeners.set(spec.key, old);
          continue;
        }
        const l = this.newListener(spec);
        opened.push(l);
        await this.listenPair(l, spec.port === 0);
        nextListeners.set(spec.key, l);
      }
      const started: { stop?: () => Promise<void> | void }[] = [];
      if (this.config === undefined) this.starting = next;
      try {
        for (const b of next.blocks) {
          const ctx: StartContext = { listeners: boundListeners(next, b, nextListeners) };
          for (const p of b.plugins) {
            await p.instance.start?.(ctx);
            started.push(p.instance);
          }
        }
      } catch (e) {
        for (const s of started.reverse()) await Promise.resolve(s.stop?.()).catch(() => undefined);
        throw e;
      } finally {
        this.starting = undefined;
      }
    } catch (e) {
      for (const l of opened) await Promise.all([l.udp.close(), l.tcp.close()]);
      throw e;
    }

    // Swap: kept listeners get the new zones and chains in place (their sockets dispatch through
    // `l.dispatcher`); the old dispatcher's in-flight queries finish on the old chains.
    const retired: Dispatcher[] = [];
    for (const spec of next.listeners) {
      const l = nextListeners.get(spec.key)!;
      if (l.spec !== spec) {
        retired.push(l.dispatcher);
        l.spec = spec;
        l.dispatcher = new Dispatcher(spec);
      }
    }
    const prev = this.config;
    const prevListeners = this.listeners;
    this.listeners = nextListeners;
    this.config = next;
    this.hash = hash;
    reloadVersion.reset();
    reloadVersion.labels(hash, 'sha512').set(1);
    log.info(`plugin/reload: Running configuration SHA512 = ${hash}`);

    for (const [key, l] of prevListeners) {
      if (!nextListeners.has(key)) {
        retired.push(l.dispatcher);
        await Promise.all([l.udp.close(), l.tcp.close(1000)]);
      }
    }
    // Old plugins stop once the queries they are serving have finished (bounded).
    await Promise.race([Promise.all(retired.map((d) => d.idle())), new Promise((r) => setTimeout(r, 5000).unref())]);
    if (prev) await stopPlugins(prev);
  }

  /**
   * Port 0 (any port): TCP follows the port the kernel gave UDP. That number can already be held
   * by an unrelated TCP socket, so an ephemeral pair is retried on a fresh UDP port.
   */
  private async listenPair(l: Listener, ephemeral: boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await l.udp.listen();
      try {
        await l.tcp.listen(ephemeral ? l.udp.port : undefined);
        return;
      } catch (e) {
        await l.udp.close();
        if (!ephemeral || attempt >= 20 || !/EADDRINUSE/.test((e as Error).message)) throw e;
      }
    }
  }

  private newListener(spec: ListenerSpec): Listener {
    const l: Listener = {
      spec,
      dispatcher: new Dispatcher(spec),
      udp: undefined as unknown as UdpListener,
      tcp: undefined as unknown as TcpListener,
    };
    // Always dispatch through the listener's current dispatcher so a reload swaps routing in place.
    const handle = (raw: Buffer, client: Parameters<Dispatcher['handle']>[1], send: Parameters<Dispatcher['handle']>[2]) =>
      l.dispatcher.handle(raw, client, send);
    l.udp = new UdpListener({ host: spec.host, port: spec.port, reusePort: this.opts.reusePort }, handle);
    l.tcp = new TcpListener(
      { ...TCP_DEFAULTS, host: spec.host, port: spec.port, reusePort: this.opts.reusePort, maxConnections: this.opts.tcpMaxConnections },
      handle,
    );
    return l;
  }

  /**
   * Reloads from the Corefile. Unchanged hash: nothing happens. Failure: the old configuration
   * keeps serving, the reason is logged and coredns_reload_failed_total counts it.
   */
  reload(reason: string): Promise<boolean> {
    if (this.shutting) return Promise.resolve(false);
    if (this.reloading) return this.reloading;
    this.reloading = (async () => {
      let hash = '';
      try {
        const { contents, file } = await this.opts.source.load();
        try {
          hash = hashBlocks(parseCorefile(contents, file));
        } catch (e) {
          log.error(`plugin/reload: Corefile parse failed: ${(e as Error).message}`);
          return false;
        }
        if (hash === this.hash) return true;
        if (hash === this.failedHash && reason === 'timer') return false;
        log.info(`plugin/reload: Reloading (${reason})`);
        await this.apply(contents, file);
        log.info('plugin/reload: Reloaded');
        return true;
      } catch (e) {
        this.failedHash = hash;
        reloadFailed.inc();
        log.error(`Restart failed: ${(e as Error).message}`);
        log.error(`plugin/reload: Corefile changed but reload failed: ${(e as Error).message}`);
        return false;
      } finally {
        this.reloading = undefined;
      }
    })();
    return this.reloading;
  }

  /**
   * Graceful stop: readiness goes down, shutdown hooks run (health lameduck, DNS still served),
   * listeners stop accepting, in-flight queries finish (up to `graceMs`), plugins stop.
   */
  async stop(graceMs = 5000): Promise<void> {
    if (this.shutting) return;
    this.shutting = true;
    const cfg = this.config;
    if (cfg) {
      await Promise.all(cfg.blocks.flatMap((b) => b.plugins.map((p) => Promise.resolve(p.instance.shutdown?.()).catch(() => undefined))));
    }
    const ls = [...this.listeners.values()];
    for (const l of ls) {
      l.udp.stopAccepting();
      l.tcp.stopAccepting();
    }
    const drained = Promise.all(ls.map((l) => l.dispatcher.idle()));
    await Promise.race([drained, new Promise((r) => setTimeout(r, graceMs).unref())]);
    await Promise.all(ls.flatMap((l) => [l.udp.close(), l.tcp.close(100)]));
    this.listeners.clear();
    if (cfg) await stopPlugins(cfg);
    await this.http.closeAll();
  }
}

/** The bound listeners of `config` that route zones to `block`. */
function boundListeners(config: BuiltConfig, block: BuiltBlock, listeners: ReadonlyMap<string, Listener>): BoundListener[] {
  const out: BoundListener[] = [];
  for (const spec of config.listeners) {
    const l = listeners.get(spec.key);
    if (l === undefined || ![...spec.zones.values()].includes(block)) continue;
    out.push({ host: spec.host, udpPort: l.udp.port, tcpPort: l.tcp.port });
  }
  return out;
}

async function stopPlugins(cfg: BuiltConfig): Promise<void> {
  for (const b of cfg.blocks) {
    for (const p of b.plugins) {
      try {
        await p.instance.stop?.();
      } catch (e) {
        log.error(`plugin/${p.name}: stop failed: ${(e as Error).message}`);
      }
    }
  }
}
