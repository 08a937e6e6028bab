/**
 * Starts a real exdns server in-process (the same Instance the CLI runs) on ephemeral loopback
 * ports, optionally with test-only plugins placed in the chain order.
 */
import { plugins } from '../plugins/index.js';
import { PLUGIN_ORDER } from '../src/plugin/order.js';
import type { PluginDefinition } from '../src/plugin/plugin.js';
import { PluginRegistry } from '../src/plugin/registry.js';
import { Instance } from '../src/server/instance.js';

export interface RunningServer {
  instance: Instance;
  /** DNS port of the first listener (UDP and TCP). */
  port: number;
  /** Rewrites the Corefile the next reload reads. */
  setCorefile(contents: string): void;
  stop(): Promise<void>;
}

/**
 * `corefile` may use the port placeholder `PORT` (replaced by 0 = ephemeral). Extra plugins are
 * placed just before `whoami` in the order.
 */
export async function startServer(corefile: string, extra: PluginDefinition[] = []): Promise<RunningServer> {
  let contents = corefile.replaceAll('PORT', '0');
  const order = [...PLUGIN_ORDER];
  order.splice(order.indexOf('whoami'), 0, ...extra.map((e) => e.name));
  const registry = new PluginRegistry([...plugins, ...extra], order);
  const instance = new Instance({
    registry,
    source: { load: async () => ({ contents, file: 'Corefile' }) },
    defaultPort: 0,
    reusePort: false,
    tcpMaxConnections: 100,
  });
  await instance.start();
  const first = instance.servers()[0];
  return {
    instance,
    port: first?.udpPort ?? 0,
    setCorefile: (c) => {
      contents = c.replaceAll('PORT', '0');
    },
    stop: () => instance.stop(200),
  };
}
