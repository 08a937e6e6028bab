/**
 * The health endpoint: `/health` always answers 200 "OK" while the process runs. A self-poll
 * once per second times that request (coredns_health_request_duration_seconds), which shows
 * an overloaded process. On final shutdown `lameduck` delays the stop while DNS keeps serving.
 */
import type http from 'node:http';
import { nodeHttp } from '../../src/server/node-http.js';
import type { Logger } from '../../src/log.js';
import { FastCounter, FastHistogram } from '../../src/metrics/fast.js';
import { registry } from '../../src/metrics/registry.js';
import { formatDuration } from '../../src/plugin/duration.js';
import type { PluginEnv, PluginInstance } from '../../src/plugin/plugin.js';
import { splitHostPort } from '../../src/server/http-endpoints.js';
import { holdRoute } from './endpoint.js';

export const PATH = '/health';
export const DEFAULT_ADDR = ':8080';

/** CoreDNS's plugin.SlimTimeBuckets: 0.25 ms × 10^n, 5 buckets. */
const SLIM_TIME_BUCKETS = [0.00025, 0.0025, 0.025, 0.25, 2.5];
const POLL_INTERVAL_MS = 1000;
const POLL_TIMEOUT_MS = 3000;

/** A process-wide metric: the one already registered under `name`, else a new one. */
function singleton<T>(name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export const healthDuration = singleton(
  'coredns_health_request_duration_seconds',
  () =>
    new FastHistogram(
      'coredns_health_request_duration_seconds',
      'Histogram of the time (in seconds) each request took.',
      [],
      SLIM_TIME_BUCKETS,
      registry,
    ),
);
export const healthFailures = singleton(
  'coredns_health_request_failures_total',
  () => new FastCounter('coredns_health_request_failures_total', 'The number of times the health check failed.', [], registry),
);
// Label-less metrics are exported from the start, like promauto's.
const durationChild = healthDuration.labels();
const failuresChild = healthFailures.labels();

export interface HealthConfig {
  /** Listen address, HOST:PORT or :PORT. */
  readonly addr: string;
  /** Milliseconds to wait on final shutdown; 0 disables lame duck mode. */
  readonly lameduck: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function serveOK(_req: http.IncomingMessage, res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('OK');
}

export class Health implements PluginInstance {
  private release: (() => Promise<void>) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private agent: http.Agent | undefined;
  private polling = false;

  constructor(
    readonly config: HealthConfig,
    private readonly env: PluginEnv,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    if (this.release !== undefined) return;
    this.release = await holdRoute(this.env.http, this.config.addr, PATH, serveOK);
    this.agent = new nodeHttp.Agent({ keepAlive: true, maxSockets: 1 });
    this.timer = setInterval(() => void this.poll(), POLL_INTERVAL_MS);
    this.timer.unref();
  }

  /** Final shutdown: stay up for the lame duck duration; DNS and /health keep answering. */
  async shutdown(): Promise<void> {
    if (this.release === undefined || this.config.lameduck <= 0) return;
    this.log.info(`Going into lameduck mode for ${formatDuration(this.config.lameduck)}`);
    await sleep(this.config.lameduck);
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.agent?.destroy();
    this.agent = undefined;
    const release = this.release;
    this.release = undefined;
    await release?.();
  }

  /** One self-poll of /health; observes its duration, counts failures. Skipped while one runs. */
  async poll(): Promise<void> {
    if (this.polling || this.agent === undefined) return;
    this.polling = true;
    const url = `http://${this.config.addr}${PATH}`;
    const start = performance.now();
    try {
      await this.get(this.agent);
      const elapsed = (performance.now() - start) / 1000;
      durationChild.observe(elapsed);
      // 1s is arbitrary, but a *local* request taking that long is not good.
      if (elapsed > 1) this.log.warning(`Local health request to ${JSON.stringify(url)} took more than 1s: ${formatDuration(elapsed * 1000)}`);
    } catch (e) {
      if (this.agent === undefined) return; // stopped meanwhile
      durationChild.observe((performance.now() - start) / 1000);
      failuresChild.inc();
      this.log.warning(`Local health request to ${JSON.stringify(url)} failed: ${(e as Error).message}`);
    } finally {
      this.polling = false;
    }
  }

  private get(agent: http.Agent): Promise<void> {
    const { host, port } = splitHostPort(this.config.addr);
    const target = host === '' || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
    const bound = this.env.http.port(this.config.addr) ?? port;
    return new Promise<void>((resolve, reject) => {
      const req = nodeHttp.get({ host: target, port: bound, path: PATH, agent, timeout: POLL_TIMEOUT_MS }, (res) => {
        res.resume();
        res.once('end', () => resolve());
        res.once('error', reject);
      });
      req.once('timeout', () => req.destroy(new Error(`timeout after ${formatDuration(POLL_TIMEOUT_MS)}`)));
      req.once('error', reject);
    });
  }
}
