import { afterEach, describe, expect, it } from 'vitest';
import { testPluginEnv, type TestEnv } from '../../test/plugin-env.js';
import { type MonitorType, Ready } from './ready.js';

/** A plugin whose readiness the test flips, counting how often it was asked. */
function plugin(name: string, ready = false) {
  const p = { name, isReady: ready, asked: 0, ready: () => (p.asked++, p.isReady) };
  return p;
}

const envs: TestEnv[] = [];
afterEach(async () => {
  await Promise.all(envs.splice(0).map((e) => e.http.closeAll()));
});

async function started(monitor: MonitorType = 'until-ready') {
  const env = testPluginEnv();
  envs.push(env);
  const r = new Ready({ addr: '127.0.0.1:0', monitor }, env, env.logger('ready'));
  await r.start();
  const get = async () => {
    const res = await fetch(`http://127.0.0.1:${env.http.port('127.0.0.1:0')}/ready`);
    return { status: res.status, body: await res.text() };
  };
  return { env, r, get };
}

describe('ready endpoint', () => {
  it('is ready at once when no plugin reports readiness', async () => {
    const { get, r } = await started();
    expect(await get()).toEqual({ status: 200, body: 'OK' });
    await r.stop();
  });

  it('lists the plugins not ready, sorted, until they all are', async () => {
    const { env, get, r } = await started();
    const k8s = plugin('k8s_gateway');
    const erratic = plugin('erratic');
    const whoami = plugin('whoami', true);
    env.entries.push(k8s, erratic, whoami);
    expect(await get()).toEqual({ status: 503, body: 'erratic,k8s_gateway' });
    expect(env.lines).toContain('[INFO] plugin/ready: Plugins not ready: "erratic,k8s_gateway"');
    erratic.isReady = true;
    expect(await get()).toEqual({ status: 503, body: 'k8s_gateway' });
    k8s.isReady = true;
    expect(await get()).toEqual({ status: 200, body: 'OK' });
    await r.stop();
  });

  it('reports a name several blocks share once, ready only when every instance is', async () => {
    const { env, get, r } = await started();
    const a = plugin('k8s_gateway', true);
    const b = plugin('k8s_gateway');
    env.entries.push(a, b);
    expect(await get()).toEqual({ status: 503, body: 'k8s_gateway' });
    b.isReady = true;
    expect(await get()).toEqual({ status: 200, body: 'OK' });
    await r.stop();
  });

  it('until-ready stops asking a plugin once it was ready', async () => {
    const { env, get, r } = await started('until-ready');
    const k8s = plugin('k8s_gateway', true);
    env.entries.push(k8s);
    expect((await get()).status).toBe(200);
    expect(k8s.asked).toBe(1);
    k8s.isReady = false;
    expect((await get()).status).toBe(200);
    expect(k8s.asked).toBe(1);
    await r.stop();
  });

  it('continuously keeps asking', async () => {
    const { env, get, r } = await started('continuously');
    const k8s = plugin('k8s_gateway', true);
    env.entries.push(k8s);
    expect((await get()).status).toBe(200);
    k8s.isReady = false;
    expect(await get()).toEqual({ status: 503, body: 'k8s_gateway' });
    expect(k8s.asked).toBe(2);
    await r.stop();
  });

  it('answers 503 Shutting down during shutdown', async () => {
    const { env, get, r } = await started();
    env.shuttingDown = true;
    expect(await get()).toEqual({ status: 503, body: 'Shutting down' });
    await r.stop();
    expect(env.http.port('127.0.0.1:0')).toBeUndefined();
  });

  it('shares the address with another block and survives the old config stopping', async () => {
    const env = testPluginEnv();
    envs.push(env);
    const addr = '127.0.0.1:0';
    const old = new Ready({ addr, monitor: 'until-ready' }, env, env.logger('ready'));
    await old.start();
    const port = env.http.port(addr);
    const next = new Ready({ addr, monitor: 'continuously' }, env, env.logger('ready'));
    await next.start();
    await old.stop();
    expect(env.http.port(addr)).toBe(port);
    const res = await fetch(`http://127.0.0.1:${port}/ready`);
    expect(res.status).toBe(200);
    await next.stop();
    expect(env.http.port(addr)).toBeUndefined();
  });
});
