/**
 * The prometheus plugin: serves the process-wide registry on `/metrics` and, as a chain handler,
 * reports CoreDNS's per-query server metrics (coredns_dns_*) for the zones of its block.
 */
import type http from 'node:http';
import { type RequestFacts, pluginEnabled, report, zoneReporter } from '../../src/metrics/dns.js';
import {
  type BlockInfo,
  type Handler,
  type PluginEnv,
  PluginError,
  type PluginInstance,
  nextOrFailure,
} from '../../src/plugin/plugin.js';
import type { Request } from '../../src/plugin/request.js';
import type { ResponseWriter } from '../../src/plugin/writer.js';
import { isSubdomain } from '../../src/wire/name.js';
import { holdRoute } from '../health/endpoint.js';

export const NAME = 'prometheus';
export const PATH = '/metrics';
export const DEFAULT_ADDR = 'localhost:9153';

export interface MetricsConfig {
  /** Listen address, HOST:PORT or :PORT. */
  readonly addr: string;
}

type ZoneReporter = ReturnType<typeof zoneReporter>;

/**
 * Sets coredns_plugin_enabled{server, zone, view="", name} to 1 for every listener and zone of
 * a block and every plugin name given (CoreDNS does this for each handler of a block that has
 * prometheus; the core may call it with the block's whole chain).
 */
export function markPluginsEnabled(block: BlockInfo, names: readonly string[]): void {
  for (const server of block.servers) {
    for (const zone of block.zones) {
      for (const name of names) pluginEnabled.labels(server, zone, '', name).set(1);
    }
  }
}

/** Scratch facts for report(); it runs synchronously, so one object serves every query. */
const facts: RequestFacts = {
  tcp: false,
  family: 1,
  qtype: 0,
  do: false,
  reqLen: 0,
  rcode: 0,
  plugin: '',
  respLen: 0,
  seconds: 0,
};

export class Metrics implements PluginInstance {
  /** The block's zones, longest first, so the first match is the longest. */
  private readonly zones: readonly string[];
  /** Per server label: reporters by zone index; the last slot is ".", for names in no zone. */
  private readonly reporters = new Map<string, (ZoneReporter | undefined)[]>();
  private release: (() => Promise<void>) | undefined;

  constructor(
    readonly config: MetricsConfig,
    private readonly block: BlockInfo,
    private readonly env: PluginEnv,
  ) {
    this.zones = [...new Set(block.zones)].sort((a, b) => b.length - a.length);
  }

  async start(): Promise<void> {
    if (this.release === undefined) this.release = await holdRoute(this.env.http, this.config.addr, PATH, this.scrape);
    markPluginsEnabled(this.block, [NAME]);
  }

  async stop(): Promise<void> {
    const release = this.release;
    this.release = undefined;
    await release?.();
  }

  readonly scrape = async (_req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const body = await this.env.metrics.metrics();
    res.writeHead(200, { 'content-type': this.env.metrics.contentType }).end(body);
  };

  handler(next: Handler | undefined): Handler {
    return {
      name: NAME,
      serveDNS: async (req: Request, w: ResponseWriter): Promise<number> => {
        let code: number;
        try {
          code = await nextOrFailure(NAME, next, req, w);
        } catch (e) {
          if (e instanceof PluginError) this.record(req, w, e.rcode);
          throw e;
        }
        this.record(req, w, code);
        return code;
      },
    };
  }

  /** The zone label for `name`: the longest zone of the block holding it, else ".". */
  zoneOf(name: string): string {
    return this.zones[this.zoneIndex(name)] ?? '.';
  }

  /** Index into `zones` of the longest zone holding `name`, or zones.length for ".". */
  private zoneIndex(name: string): number {
    const zones = this.zones;
    for (let i = 0; i < zones.length; i++) if (isSubdomain(zones[i]!, name)) return i;
    return zones.length;
  }

  private reporter(server: string, name: string): ZoneReporter {
    let byZone = this.reporters.get(server);
    if (byZone === undefined) {
      byZone = new Array<ZoneReporter | undefined>(this.zones.length + 1).fill(undefined);
      this.reporters.set(server, byZone);
    }
    const i = this.zoneIndex(name);
    return (byZone[i] ??= zoneReporter(server, this.zones[i] ?? '.'));
  }

  private record(req: Request, w: ResponseWriter, code: number): void {
    const sent = w.sent;
    facts.tcp = req.proto === 'tcp';
    facts.family = req.family;
    facts.qtype = req.qtype;
    facts.do = req.do;
    facts.reqLen = req.len;
    if (sent !== undefined) {
      facts.rcode = sent.rcode;
      facts.plugin = sent.plugin;
      facts.respLen = sent.size;
    } else {
      // Nothing written: the returned code is what the server writes (SERVFAIL, REFUSED, ...).
      facts.rcode = code;
      facts.plugin = '';
      facts.respLen = 0;
    }
    facts.seconds = (performance.now() - req.start) / 1000;
    report(this.reporter(req.server, req.name), facts);
  }
}
