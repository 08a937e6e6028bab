import { afterEach, describe, expect, it } from 'vitest';
import { registry } from '../../src/metrics/registry.js';
import type { PluginEnv } from '../../src/plugin/plugin.js';
import { testPluginEnv, type TestEnv } from '../../test/plugin-env.js';
import { holdRoute } from './endpoint.js';
import { Health, healthDuration, healthFailures } from './health.js';

const envs: TestEnv[] = [];
afterEach(async () => {
  await Promise.all(envs.splice(0).map((e) => e.http.closeAll()));
});

function newHealth(addr = '127.0.0.1:0', lameduck = 0) {
  const env = testPluginEnv();
  envs.push(env);
  return { env, h: new Health({ addr, lameduck }, env, env.logger('health')) };
}

async function get(env: PluginEnv, addr: string, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${env.http.port(addr)}${path}`);
  return { status: res.status, body: await res.text() };
}

describe('health endpoint', () => {
  it('answers 200 OK on /health and nothing else', async () => {
    const { env, h } = newHealth();
    await h.start();
    expect(await get(env, '127.0.0.1:0', '/health')).toEqual({ status: 200, body: 'OK' });
    expect((await get(env, '127.0.0.1:0', '/ready')).status).toBe(404);
    await h.stop();
    expect(env.http.port('127.0.0.1:0')).toBeUndefined();
  });

  it('fails to start when the address is taken by another process', async () => {
    const a = newHealth();
    await a.h.start();
    const port = a.env.http.port('127.0.0.1:0')!;
    const b = newHealth(`127.0.0.1:${port}`);
    await expect(b.h.start()).rejects.toThrow(`listen tcp 127.0.0.1:${port}`);
    await a.h.stop();
  });

  it('self-polls into the duration histogram and counts failures', async () => {
    const { env, h } = newHealth();
    await h.start();
    const durations = healthDuration.labels();
    const failures = healthFailures.labels();
    const count = durations.count;
    const failed = failures.value;
    await h.poll();
    expect(durations.count).toBe(count + 1);
    expect(failures.value).toBe(failed);

    await env.http.closeAll(); // the listener goes away under the poller
    await h.poll();
    expect(durations.count).toBe(count + 2);
    expect(failures.value).toBe(failed + 1);
    expect(env.lines.some((l) => l.startsWith('[WARNING] plugin/health: Local health request to "http://127.0.0.1:0/health" failed:'))).toBe(true);
    await h.stop();
  });

  it('exports its metrics without a server label', async () => {
    const text = await registry.metrics();
    expect(text).toContain('# TYPE coredns_health_request_duration_seconds histogram');
    expect(text).toContain('coredns_health_request_duration_seconds_bucket{le="0.00025"}');
    expect(text).toContain('coredns_health_request_duration_seconds_bucket{le="2.5"}');
    expect(text).toMatch(/^coredns_health_request_failures_total \d+$/m);
  });

  it('keeps answering during lameduck on final shutdown', async () => {
    const { env, h } = newHealth('127.0.0.1:0', 200);
    await h.start();
    const t0 = performance.now();
    const done = h.shutdown();
    expect(await get(env, '127.0.0.1:0', '/health')).toEqual({ status: 200, body: 'OK' });
    await done;
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
    expect(env.lines).toContain('[INFO] plugin/health: Going into lameduck mode for 200ms');
    await h.stop();
  });

  it('does not wait without lameduck', async () => {
    const { env, h } = newHealth();
    await h.start();
    const t0 = performance.now();
    await h.shutdown();
    expect(performance.now() - t0).toBeLessThan(50);
    expect(env.lines).toEqual([]);
    await h.stop();
  });

  it('shares an address between blocks and keeps it across a reload', async () => {
    const env = testPluginEnv();
    envs.push(env);
    const addr = '127.0.0.1:0';
    const a = new Health({ addr, lameduck: 0 }, env, env.logger('health'));
    const b = new Health({ addr, lameduck: 0 }, env, env.logger('health'));
    await a.start();
    await b.start();
    const port = env.http.port(addr);
    await a.stop();
    expect(env.http.port(addr)).toBe(port);
    expect(await get(env, addr, '/health')).toEqual({ status: 200, body: 'OK' });
    // Reload: the new instance holds the route before the old one lets go.
    const c = new Health({ addr, lameduck: 0 }, env, env.logger('health'));
    await c.start();
    await b.stop();
    expect(env.http.port(addr)).toBe(port);
    expect(await get(env, addr, '/health')).toEqual({ status: 200, body: 'OK' });
    await c.stop();
    expect(env.http.port(addr)).toBeUndefined();
  });
});

describe('holdRoute', () => {
  it('answers with the newest holder and falls back when it leaves', async () => {
    const env = testPluginEnv();
    envs.push(env);
    const addr = '127.0.0.1:0';
    const release1 = await holdRoute(env.http, addr, '/x', (_q, res) => void res.end('one'));
    const release2 = await holdRoute(env.http, addr, '/x', (_q, res) => void res.end('two'));
    expect((await get(env, addr, '/x')).body).toBe('two');
    await release2();
    await release2(); // idempotent
    expect((await get(env, addr, '/x')).body).toBe('one');
    await release1();
    expect(env.http.port(addr)).toBeUndefined();
  });
});
