/**
 * A PluginEnv for plugin unit tests: its own HTTP endpoints, log lines collected in `lines`, and
 * readiness entries the test pushes to `entries`.
 */
import { registry } from '../src/metrics/registry.js';
import type { ConfigControl, PluginEnv, ReadinessEntry } from '../src/plugin/plugin.js';
import { HttpEndpoints } from '../src/server/http-endpoints.js';

export interface TestEnv extends PluginEnv {
  shuttingDown: boolean;
  lines: string[];
  entries: ReadinessEntry[];
}

export function testPluginEnv(): TestEnv {
  const lines: string[] = [];
  const logger = (p: string) => ({
    debug: (m: string) => lines.push(`[DEBUG] plugin/${p}: ${m}`),
    info: (m: string) => lines.push(`[INFO] plugin/${p}: ${m}`),
    warning: (m: string) => lines.push(`[WARNING] plugin/${p}: ${m}`),
    error: (m: string) => lines.push(`[ERROR] plugin/${p}: ${m}`),
  });
  const config: ConfigControl = { hash: '', currentHash: async () => '', reload: async () => true };
  // Like the core, readiness() hands out fresh entry objects on every call.
  const env: TestEnv = {
    http: new HttpEndpoints(),
    metrics: registry,
    logger,
    readiness: () => env.entries.map((e) => ({ name: e.name, ready: () => e.ready() })),
    shuttingDown: false,
    config,
    lines,
    entries: [],
  };
  return env;
}
