/**
 * KubeSource against the scripted fake API server: one feed per kind (kinds never wait for each
 * other), the union of several Service label selectors, outages and stop.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CRDS,
  FakeApiServer,
  httpRoute,
  ingress,
  PATHS,
  removeDir,
  service,
  tempDir,
  writeKubeconfig,
  type FakeObject,
  type RecordedRequest,
} from '../../../test/kube/fake-apiserver.js';
import { delay, eventually, EventCounter, RecordingLogger, RecordingSink } from '../../../test/kube/recorder.js';
import type { ObjectKind } from '../types.js';
import { loadKubeAccess } from './kube-access.js';
import { KubeSource, type KubeSourceOptions } from './kube.js';

const TUNING: NonNullable<KubeSourceOptions['tuning']> = { backoffMinMs: 20, backoffMaxMs: 200, crdPollMs: 50, watchIdleMs: 20_000 };

let fake: FakeApiServer;
let dir: string;
let kubeconfig: string;
let sources: KubeSource[] = [];

beforeEach(async () => {
  fake = await FakeApiServer.start();
  fake.token = 'kube-test-token';
  dir = await tempDir();
  kubeconfig = await writeKubeconfig(dir, fake.url, { token: 'kube-test-token' });
});

afterEach(async () => {
  await Promise.all(sources.map((s) => s.stop()));
  sources = [];
  await fake.close();
  await removeDir(dir);
});

interface Started {
  readonly source: KubeSource;
  readonly sink: RecordingSink;
  readonly log: RecordingLogger;
  readonly events: Map<ObjectKind, EventCounter>;
}

async function startSource(kinds: readonly ObjectKind[], opts: Partial<KubeSourceOptions> = {}): Promise<Started> {
  const sink = new RecordingSink();
  const log = new RecordingLogger();
  const events = new Map<ObjectKind, EventCounter>();
  const source = new KubeSource(() => loadKubeAccess({ path: kubeconfig }), kinds, {
    logger: log,
    transform: (kind, o) => ({ ...o, transformedAs: kind }),
    // Called once per feed: several Service feeds share the kind's counter, as the metrics do.
    events: (kind) => {
      const e = events.get(kind) ?? new EventCounter();
      events.set(kind, e);
      return e;
    },
    api: { probeIntervalMs: 50, requestTimeoutMs: 10_000 },
    tuning: TUNING,
    ...opts,
  });
  sources.push(source);
  await source.start(sink);
  return { source, sink, log, events };
}

const selectorIs = (sel: string) => (r: RecordedRequest) => r.path === PATHS.services && r.query.get('labelSelector') === sel;

describe('kinds', () => {
  it('each kind is listed, delivered and synced once; a kind whose CRD is missing is synced empty', async () => {
    fake.installCrd(CRDS.httproutes);
    fake.create(PATHS.services, service('web', 'api', { app: 'a' }, '192.0.2.10'));
    fake.create(PATHS.ingresses, ingress('web', 'site', 'site.example.com', '192.0.2.20'));
    fake.create(PATHS.httproutes(), httpRoute('web', 'route', ['route.example.com']));
    const kinds: ObjectKind[] = ['EndpointSlice', 'Service', 'Gateway', 'Ingress', 'HTTPRoute'];
    const s = await startSource(kinds);
    await eventually(() => {
      for (const k of kinds) expect(s.sink.syncCount(k), k).toBe(1);
    });
    expect(s.sink.keys('Service')).toEqual(['web/api']);
    expect(s.sink.keys('Ingress')).toEqual(['web/site']);
    expect(s.sink.keys('HTTPRoute')).toEqual(['web/route']);
    expect(s.sink.keys('EndpointSlice')).toEqual([]);
    expect(s.sink.trace('Gateway')).toEqual(['synced']);
    // The per-kind transform, the per-kind events, and the token on every request.
    expect(s.sink.get('Ingress', 'web/site')?.transformedAs).toBe('Ingress');
    expect(s.sink.get('HTTPRoute', 'web/route')?.transformedAs).toBe('HTTPRoute');
    expect([...s.events.keys()].sort()).toEqual([...kinds].sort());
    expect(s.events.get('Ingress')!.activities).toBeGreaterThanOrEqual(1);
    expect(fake.requests.filter((r) => r.path !== '/readyz').every((r) => r.headers.authorization === 'Bearer kube-test-token')).toBe(true);
    expect(s.log.of('info')).toContain(`watching ${kinds.join(', ')} at ${fake.url}`);

    // Changes of each kind reach the sink under that kind.
    fake.create(PATHS.ingresses, ingress('web', 'two', 'two.example.com'));
    fake.delete(PATHS.services, 'web/api');
    await eventually(() => {
      expect(s.sink.keys('Ingress')).toEqual(['web/site', 'web/two']);
      expect(s.sink.keys('Service')).toEqual([]);
    });
  });

  it.each([
    { id: '403 on Services', arrange: () => fake.fail(PATHS.services, 403) },
    { id: '500 on Services', arrange: () => fake.fail(PATHS.services, 500) },
    // (a short request timeout: stop() waits for an unanswered GET, see the stop tests)
    { id: 'Services list unanswered', arrange: () => fake.hang(PATHS.services), requestTimeoutMs: 1_000 },
  ])('one kind failing never holds up the others ($id)', async ({ arrange, requestTimeoutMs }) => {
    fake.create(PATHS.ingresses, ingress('web', 'site', 'site.example.com'));
    fake.create(PATHS.services, service('web', 'api'));
    const undo = arrange();
    const s = await startSource(['Service', 'Ingress', 'HTTPRoute'], { api: { probeIntervalMs: 50, requestTimeoutMs: requestTimeoutMs ?? 10_000 } });
    await eventually(() => {
      expect(s.sink.syncCount('Ingress')).toBe(1);
      expect(s.sink.syncCount('HTTPRoute')).toBe(1);
    });
    expect(s.sink.keys('Ingress')).toEqual(['web/site']);
    expect(s.sink.syncCount('Service')).toBe(0);
    // The healthy kind stays live while the other keeps failing.
    fake.create(PATHS.ingresses, ingress('web', 'two', 'two.example.com'));
    await eventually(() => expect(s.sink.keys('Ingress')).toEqual(['web/site', 'web/two']));
    expect(s.sink.syncCount('Service')).toBe(0);
    undo();
  });

  it('a kind whose list is refused is synced as soon as it is allowed', async () => {
    fake.create(PATHS.services, service('web', 'api'));
    const undo = fake.fail(PATHS.services, 403);
    const s = await startSource(['Service', 'Ingress']);
    await eventually(() => expect(s.sink.syncCount('Ingress')).toBe(1));
    await eventually(() => expect(fake.count(PATHS.services)).toBeGreaterThanOrEqual(2));
    expect(s.log.of('warning').some((m) => m.includes('HTTP 403') && m.includes('RBAC'))).toBe(true);
    undo();
    await eventually(() => expect(s.sink.syncCount('Service')).toBe(1));
    expect(s.sink.keys('Service')).toEqual(['web/api']);
  });

  it('start() fails clearly when the credentials cannot be loaded', async () => {
    const source = new KubeSource(() => loadKubeAccess({ path: `${dir}/missing-kubeconfig` }), ['Ingress'], { logger: new RecordingLogger() });
    await expect(source.start(new RecordingSink())).rejects.toThrow(/^plugin\/k8s_gateway: kubeconfig .*missing-kubeconfig: .*ENOENT/);
    await source.stop();
  });
});

describe('serviceLabelSelectors', () => {
  /** Services the union should hold: those matching app=a or tier=web. */
  function expected(): string[] {
    return fake
      .keys(PATHS.services)
      .filter((k) => {
        const labels = fake.get(PATHS.services, k)!.metadata.labels ?? {};
        return labels.app === 'a' || labels.tier === 'web';
      })
      .sort();
  }

  function relabel(key: string, labels: Record<string, string>): void {
    fake.modify(PATHS.services, key, (o: FakeObject) => {
      o.metadata.labels = labels;
    });
  }

  it('one selector: filtered by the server, delivered as is', async () => {
    fake.create(PATHS.services, service('ns', 's1', { app: 'a' }));
    fake.create(PATHS.services, service('ns', 's2', { app: 'b' }));
    const s = await startSource(['Service'], { serviceSelectors: ['app=a'] });
    await eventually(() => expect(s.sink.syncCount('Service')).toBe(1));
    expect(s.sink.trace('Service')).toEqual(['replace ns/s1', 'synced']);
    expect(fake.requestsTo(PATHS.services).every((r) => r.query.get('labelSelector') === 'app=a')).toBe(true);
  });

  it('two selectors: the union, synced only once both feeds have listed', async () => {
    fake.create(PATHS.services, service('ns', 's1', { app: 'a' }));
    fake.create(PATHS.services, service('ns', 's2', { tier: 'web' }));
    fake.create(PATHS.services, service('ns', 's3', { app: 'a', tier: 'web' }));
    fake.create(PATHS.services, service('ns', 's4', { app: 'b' }));
    const undo = fake.fail((r) => selectorIs('tier=web')(r) && !r.watch, 500);
    const s = await startSource(['Service'], { serviceSelectors: ['app=a', 'tier=web'] });
    await eventually(() => expect(s.sink.keys('Service')).toEqual(['ns/s1', 'ns/s3']));
    await eventually(() => expect(fake.count(PATHS.services, selectorIs('tier=web'))).toBeGreaterThanOrEqual(2));
    expect(s.sink.syncCount('Service')).toBe(0);
    undo();
    await eventually(() => expect(s.sink.syncCount('Service')).toBe(1));
    expect(s.sink.keys('Service')).toEqual(expected());
    expect(s.sink.keys('Service')).toEqual(['ns/s1', 'ns/s2', 'ns/s3']);
    await eventually(() => expect(fake.openWatches(PATHS.services)).toBe(2));

    // s3 matches both: losing one selector keeps it, losing the last one deletes it.
    const from = s.sink.calls.length;
    relabel('ns/s3', { app: 'a' });
    await eventually(() => expect(s.sink.get('Service', 'ns/s3')?.metadata?.labels).toEqual({ app: 'a' }));
    await delay(100); // both feeds' events are in
    expect(s.sink.trace('Service', from).filter((c) => c.startsWith('delete'))).toEqual([]);
    relabel('ns/s3', { app: 'c' });
    await eventually(() => expect(s.sink.keys('Service')).toEqual(['ns/s1', 'ns/s2']));
    expect(s.sink.trace('Service', from).filter((c) => c.startsWith('delete'))).toEqual(['delete ns/s3']);
    // Back in through one selector only, then moved to the other one.
    relabel('ns/s3', { tier: 'web' });
    await eventually(() => expect(s.sink.keys('Service')).toEqual(expected()));
    relabel('ns/s3', { app: 'a' });
    await eventually(() => expect(s.sink.get('Service', 'ns/s3')?.metadata?.labels).toEqual({ app: 'a' }));
    await eventually(() => expect(s.sink.keys('Service')).toEqual(expected()));
    fake.delete(PATHS.services, 'ns/s2');
    await eventually(() => expect(s.sink.keys('Service')).toEqual(['ns/s1', 'ns/s3']));
    expect(s.sink.syncCount('Service')).toBe(1);
  });

  it('two selectors: a Service moving from one selector to the other is never deleted', async () => {
    fake.create(PATHS.services, service('ns', 'mover', { app: 'a' }));
    const s = await startSource(['Service'], { serviceSelectors: ['app=a', 'tier=web'] });
    await eventually(() => expect(s.sink.syncCount('Service')).toBe(1));
    await eventually(() => expect(fake.openWatches(PATHS.services)).toBe(2));
    // The tier=web stream is down for a moment (a reset, a rolling API server restart)...
    const undo = fake.fail((r) => selectorIs('tier=web')(r) && r.watch, 500, { times: 1 });
    fake.endWatches((w) => w.request.query.get('labelSelector') === 'tier=web');
    const from = s.sink.calls.length;
    // ... while the Service moves from app=a to tier=web.
    relabel('ns/mover', { tier: 'web' });
    await eventually(() => expect(s.sink.get('Service', 'ns/mover')?.metadata?.labels).toEqual({ tier: 'web' }));
    undo();
    expect(s.sink.trace('Service', from).filter((c) => c.startsWith('delete'))).toEqual([]);
  });

  it("two selectors: one feed's relist changes only its own share", async () => {
    fake.create(PATHS.services, service('ns', 'a-only', { app: 'a' }));
    fake.create(PATHS.services, service('ns', 'a-gone', { app: 'a' }));
    fake.create(PATHS.services, service('ns', 'web-only', { tier: 'web' }));
    fake.create(PATHS.services, service('ns', 'both', { app: 'a', tier: 'web' }));
    const s = await startSource(['Service'], { serviceSelectors: ['app=a', 'tier=web'] });
    await eventually(() => expect(s.sink.syncCount('Service')).toBe(1));
    await eventually(() => expect(fake.openWatches(PATHS.services)).toBe(2));
    expect(s.sink.keys('Service')).toEqual(['ns/a-gone', 'ns/a-only', 'ns/both', 'ns/web-only']);

    // The app=a feed loses its stream; meanwhile a-gone stops matching, both stops matching
    // app=a (still tier=web), and the history is compacted: that feed must relist.
    const undo = fake.fail((r) => selectorIs('app=a')(r) && r.watch, 500);
    fake.endWatches((w) => w.request.query.get('labelSelector') === 'app=a');
    await eventually(() => expect(fake.count(PATHS.services, (r) => selectorIs('app=a')(r) && r.watch)).toBeGreaterThanOrEqual(2));
    const from = s.sink.calls.length;
    relabel('ns/a-gone', { app: 'z' });
    relabel('ns/both', { tier: 'web' });
    fake.compact();
    // The tier=web feed sees its MODIFIED for `both` live.
    await eventually(() => expect(s.sink.get('Service', 'ns/both')?.metadata?.labels).toEqual({ tier: 'web' }));
    undo();
    await eventually(() => expect(s.events.get('Service')!.relists).toBe(1));
    await eventually(() => expect(s.sink.keys('Service')).toEqual(['ns/a-only', 'ns/both', 'ns/web-only']));
    expect(s.sink.keys('Service')).toEqual(expected());
    expect(s.sink.trace('Service', from).filter((c) => c.startsWith('delete'))).toEqual(['delete ns/a-gone']);
    expect(s.sink.get('Service', 'ns/both')?.metadata?.labels).toEqual({ tier: 'web' });
    expect(s.sink.syncCount('Service')).toBe(1);
  });
});

describe('outage', () => {
  it('every kind keeps its objects while the server is away and resumes soon after it is back', async () => {
    fake.installCrd(CRDS.httproutes);
    fake.create(PATHS.services, service('web', 'api'));
    fake.create(PATHS.ingresses, ingress('web', 'site', 'site.example.com'));
    fake.create(PATHS.httproutes(), httpRoute('web', 'route', ['route.example.com']));
    const kinds: ObjectKind[] = ['Service', 'Ingress', 'HTTPRoute'];
    const s = await startSource(kinds, { tuning: { ...TUNING, backoffMaxMs: 5_000 } });
    await eventually(() => {
      for (const k of kinds) expect(s.sink.syncCount(k)).toBe(1);
      expect(fake.openWatches()).toBe(3);
    });
    const calls = s.sink.calls.length;
    await fake.down();
    fake.create(PATHS.ingresses, ingress('web', 'later', 'later.example.com'));
    // Long enough for the backoff of every feed to pass a second.
    await eventually(() => {
      const secs = s.log.lines.map((l) => Number(/retrying in (\d+\.\d)s/.exec(l.msg)?.[1] ?? 0));
      expect(Math.max(...secs)).toBeGreaterThanOrEqual(1.5);
    }, 20_000);
    expect(s.sink.calls.length).toBe(calls);
    await fake.up();
    const t0 = Date.now();
    await eventually(() => expect(fake.openWatches()).toBe(3));
    expect(Date.now() - t0).toBeLessThan(1_500);
    await eventually(() => expect(s.sink.keys('Ingress')).toEqual(['web/later', 'web/site']));
    // Resumed, not relisted: no replace after the first ones.
    expect(s.sink.calls.slice(calls).map((c) => `${c.op} ${c.kind}`)).toEqual(['upsert Ingress']);
    expect(s.sink.keys('Service')).toEqual(['web/api']);
    expect(s.sink.keys('HTTPRoute')).toEqual(['web/route']);
  });
});

describe('stop', () => {
  it('ends every feed promptly: no sink call, request, open watch or handle afterwards', async () => {
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    fake.create(PATHS.services, service('web', 'api'));
    fake.create(PATHS.ingresses, ingress('web', 'site', 'site.example.com'));
    fake.fail(PATHS.nodes, 500); // one kind backing off
    const s = await startSource(['Service', 'Ingress', 'HTTPRoute', 'Node'], { serviceSelectors: ['app=a', 'tier=web'] });
    await eventually(() => {
      for (const k of ['Service', 'Ingress', 'HTTPRoute'] as const) expect(s.sink.syncCount(k)).toBe(1);
      expect(fake.openWatches()).toBe(3);
      expect(fake.count(PATHS.nodes)).toBeGreaterThanOrEqual(2);
    });
    const calls = s.sink.calls.length;
    const t0 = Date.now();
    await s.source.stop();
    expect(Date.now() - t0).toBeLessThan(1_000);
    const requests = fake.requests.length;
    fake.create(PATHS.ingresses, ingress('web', 'after', 'after.example.com'));
    fake.create(PATHS.services, service('web', 'after', { app: 'a' }));
    fake.bookmark();
    await delay(400);
    expect(s.sink.calls.length).toBe(calls);
    expect(fake.requests.length).toBe(requests);
    await eventually(() => expect(fake.openWatches()).toBe(0));
    // A second stop is harmless.
    await s.source.stop();
    // Nothing of the source keeps the process alive: with the fake gone, no socket is left, and
    // no timer beyond what the test runner had before.
    await fake.down();
    let active: string[] = [];
    for (let i = 0; i < 100; i++) {
      await delay(20);
      active = process.getActiveResourcesInfo();
      if (!active.includes('TCPSocketWrap') && active.filter((r) => r === 'Timeout').length <= timersBefore) break;
    }
    expect(active.filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap')).toEqual([]);
    expect(active.filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(timersBefore);
  });

  it('stop() before any answer: prompt, and no sink calls', async () => {
    fake.delay(() => true, 200);
    const s = await startSource(['Ingress', 'HTTPRoute'], { tuning: { ...TUNING, watchIdleMs: 2_000 } });
    const t0 = Date.now();
    await s.source.stop();
    await delay(400);
    expect(s.sink.calls).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(1_500);
  });
});
