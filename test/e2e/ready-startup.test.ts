/**
 * /ready during the first start: a plugin still loading its data (k8s_gateway reading manifests
 * or listing from Kubernetes) keeps /ready at 503 until its start completes and it reports ready.
 */
import { describe, expect, it } from 'vitest';
import type { PluginDefinition } from '../../src/plugin/plugin.js';
import { freePort, readyStatus } from '../exdns-process.js';
import { startServer } from '../server.js';

describe('/ready while the first configuration starts', () => {
  it('is 503 until a slow plugin has started and is ready', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let loaded = false;
    const slow: PluginDefinition = {
      name: 'slowstart',
      setup: () => ({
        start: async () => {
          await gate;
          loaded = true;
        },
        ready: () => loaded,
      }),
    };
    const port = await freePort();
    const starting = startServer(`.:PORT {\n    ready 127.0.0.1:${port}\n    slowstart\n    whoami\n}\n`, [slow]);
    let status: number | undefined;
    for (let i = 0; i < 100 && status === undefined; i++) {
      status = await readyStatus(port);
      if (status === undefined) await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe(503);
    release();
    const srv = await starting;
    try {
      expect(await readyStatus(port)).toBe(200);
    } finally {
      await srv.stop();
    }
  });
});
