/**
 * /ready during the first start: a plugin still loading its data (k8s_gateway reading manifests
 * or listing from Kubernetes) keeps /ready at 503 until its start completes and it reports ready.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { PluginDefinition } from '../../src/plugin/plugin.js';
import { startServer } from '../server.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function readyStatus(port: number): Promise<number | undefined> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/ready`)).status;
  } catch {
    return undefined;
  }
}

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
