/**
 * One list+watch feed against the scripted fake API server (test/kube/fake-apiserver.ts):
 * pagination, events, bookmarks, stream ends, expiry (410), silent streams, outages, CRDs that
 * are missing / versioned / deleted, errors and stop.
 */
import type https from 'node:https';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CRDS, FakeApiServer, ingress, httpRoute, node, PATHS, type CrdSpec, type FakeObject, type RecordedRequest } from '../../../test/kube/fake-apiserver.js';
import { delay, eventually, EventCounter, RecordingLogger, RecordingSink } from '../../../test/kube/recorder.js';
import type { KubeObject, ObjectKind } from '../types.js';
import { KubeApi, type KubeApiOptions } from './kube-api.js';
import type { KubeAccess } from './kube-access.js';
import { API_RESOURCES } from './kube-resources.js';
import { Reflector, type ReflectorOptions } from './reflector.js';

type Tuning = Pick<ReflectorOptions, 'pageSize' | 'crdPollMs' | 'backoffMinMs' | 'backoffMaxMs' | 'watchTimeoutSeconds' | 'watchIdleMs' | 'labelSelector'>;

/** Short delays; the idle timeout is long unless a test is about it (the fake sends no periodic bookmarks). */
const TUNING: Tuning = { pageSize: 500, crdPollMs: 50, backoffMinMs: 20, backoffMaxMs: 200, watchIdleMs: 20_000 };
const API: KubeApiOptions = { probeIntervalMs: 50, requestTimeoutMs: 10_000 };

interface Feed {
  readonly r: Reflector;
  readonly sink: RecordingSink;
  readonly ev: EventCounter;
  readonly log: RecordingLogger;
  readonly kind: ObjectKind;
}

let fake: FakeApiServer;
let api: KubeApi | undefined;
let feeds: Feed[] = [];

function access(): KubeAccess {
  return {
    server: fake.url,
    apply: async (o: https.RequestOptions) => {
      (o.headers as Record<string, string>).Authorization = 'Bearer reflector-test';
    },
  };
}

/** Marks objects so a test sees the transform was applied (and drops managedFields, like the trim). */
function transform(o: KubeObject): KubeObject {
  const { managedFields: _drop, ...meta } = (o.metadata ?? {}) as Record<string, unknown>;
  return { ...o, metadata: meta, transformed: true };
}

function startFeed(kind: ObjectKind, tuning: Tuning = {}, apiOpts: KubeApiOptions = {}): Feed {
  api ??= new KubeApi(access(), { ...API, ...apiOpts });
  const sink = new RecordingSink();
  const ev = new EventCounter();
  const log = new RecordingLogger();
  const r = new Reflector({
    ...TUNING,
    ...tuning,
    api,
    resource: API_RESOURCES[kind],
    transform,
    sink: sink.feed(kind),
    events: ev,
    log,
  });
  const f = { r, sink, ev, log, kind };
  feeds.push(f);
  r.start();
  return f;
}

async function synced(f: Feed): Promise<void> {
  await eventually(() => expect(f.sink.syncCount(f.kind)).toBe(1));
}

const isWatch = (r: RecordedRequest): boolean => r.watch;
const isList = (r: RecordedRequest): boolean => !r.watch;
const watchesOn = (path: string) => (r: RecordedRequest) => r.path === path && r.watch;

beforeEach(async () => {
  fake = await FakeApiServer.start();
});

afterEach(async () => {
  await Promise.all(feeds.map((f) => f.r.stop()));
  feeds = [];
  api?.stop();
  api = undefined;
  await fake.close();
});

describe('initial list', () => {
  it('paginates over several pages, replaces once, marks synced once, then watches from the list resourceVersion', async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    for (const n of names) fake.create(PATHS.ingresses, ingress('web', n, `${n}.example.com`, '192.0.2.1'));
    const listRv = fake.resourceVersion;
    const f = startFeed('Ingress', { pageSize: 3 });
    await synced(f);
    await eventually(() => expect(fake.count(PATHS.ingresses, isWatch)).toBe(1));

    expect(f.sink.trace('Ingress')).toEqual([`replace ${names.map((n) => `web/${n}`).join(',')}`, 'synced']);
    const lists = fake.requestsTo(PATHS.ingresses, isList);
    expect(lists.map((r) => [r.query.get('limit'), r.query.has('continue')])).toEqual([
      ['3', false],
      ['3', true],
      ['3', true],
    ]);
    const watch = fake.lastWatch(PATHS.ingresses)!;
    expect(watch.query.get('resourceVersion')).toBe(listRv);
    expect(watch.query.get('allowWatchBookmarks')).toBe('true');
    expect(Number(watch.query.get('timeoutSeconds'))).toBeGreaterThan(0);
    expect(watch.headers.authorization).toBe('Bearer reflector-test');
    // The transform saw every listed object.
    for (const n of names) {
      const o = f.sink.get('Ingress', `web/${n}`)!;
      expect(o.transformed).toBe(true);
      expect(o.metadata).not.toHaveProperty('managedFields');
    }
    expect(f.ev).toMatchObject({ relists: 0, restarts: 0 });
  });

  it('an empty collection is synced with an empty replace', async () => {
    const f = startFeed('Ingress');
    await synced(f);
    expect(f.sink.trace('Ingress')).toEqual(['replace ', 'synced']);
  });

  it('a continue token that expires mid-list restarts the list, and only the consistent result is delivered', async () => {
    for (const n of ['a', 'b', 'c', 'd', 'e']) fake.create(PATHS.ingresses, ingress('web', n, `${n}.example.com`));
    let expired = false;
    fake.beforeRequest = (r) => {
      if (!expired && r.query.has('continue')) {
        expired = true;
        // Between the pages: d goes away and the server compacts past the list's snapshot.
        fake.delete(PATHS.ingresses, 'web/d');
        fake.compact();
      }
    };
    const f = startFeed('Ingress', { pageSize: 2 });
    await synced(f);
    expect(f.sink.trace('Ingress')).toEqual(['replace web/a,web/b,web/c,web/e', 'synced']);
    // page 1, page 2 (410), then the two pages of what is left
    expect(fake.count(PATHS.ingresses, isList)).toBe(4);
    expect(f.ev.relists).toBe(0);
  });

  it('a failed page throws the partial list away; the retried list is delivered whole', async () => {
    for (const n of ['a', 'b', 'c', 'd', 'e']) fake.create(PATHS.ingresses, ingress('web', n, `${n}.example.com`));
    fake.fail((r) => r.path === PATHS.ingresses && r.query.has('continue'), 500, { times: 1 });
    const f = startFeed('Ingress', { pageSize: 2 });
    await synced(f);
    expect(f.sink.trace('Ingress')).toEqual(['replace web/a,web/b,web/c,web/d,web/e', 'synced']);
    expect(f.log.of('warning').some((m) => m.includes('HTTP 500'))).toBe(true);
  });

  it.each([
    { status: 403, hint: true },
    { status: 401, hint: true },
    { status: 500, hint: false },
    { status: 503, hint: false },
  ])('HTTP $status on the list: not synced, retried with backoff, synced once it answers', async ({ status, hint }) => {
    fake.create(PATHS.ingresses, ingress('web', 'a', 'a.example.com'));
    const unfail = fake.fail(PATHS.ingresses, status);
    const f = startFeed('Ingress');
    await eventually(() => expect(fake.count(PATHS.ingresses)).toBeGreaterThanOrEqual(3));
    expect(f.sink.calls).toEqual([]);
    const warning = f.log.of('warning')[0]!;
    expect(warning).toContain(`HTTP ${status}`);
    expect(warning.includes('RBAC')).toBe(hint);
    unfail();
    await synced(f);
    expect(f.sink.keys('Ingress')).toEqual(['web/a']);
    // Retries back off: far fewer than one request per millisecond.
    expect(fake.count(PATHS.ingresses)).toBeLessThan(40);
  });
});

describe('watch', () => {
  it.each([
    { kind: 'Ingress' as const, path: PATHS.ingresses, make: (ip: string) => ingress('web', 'a', 'a.example.com', ip), key: 'web/a' },
    { kind: 'Node' as const, path: PATHS.nodes, make: (ip: string) => node('n1', ip), key: 'n1' },
  ])('$kind: ADDED / MODIFIED / DELETED become upsert / upsert / delete by objectKey, transformed', async ({ kind, path, make, key }) => {
    const f = startFeed(kind);
    await synced(f);
    await eventually(() => expect(fake.openWatches(path)).toBe(1));
    const from = f.sink.calls.length;

    fake.create(path, make('192.0.2.1'));
    await eventually(() => expect(f.sink.get(kind, key)).toBeDefined());
    const o1 = f.sink.get(kind, key)!;
    expect(o1.transformed).toBe(true);
    expect(o1.metadata?.resourceVersion).toBe(fake.resourceVersion);

    fake.update(path, make('192.0.2.2'));
    await eventually(() => expect(JSON.stringify(f.sink.get(kind, key))).toContain('192.0.2.2'));

    fake.delete(path, key);
    await eventually(() => expect(f.sink.keys(kind)).toEqual([]));

    expect(f.sink.trace(kind, from)).toEqual([`upsert ${key}`, `upsert ${key}`, `delete ${key}`]);
    expect(f.ev).toMatchObject({ relists: 0, restarts: 0 });
    expect(fake.count(path, isList)).toBe(1);
  });

  it('a bookmark advances the resourceVersion: the next watch resumes from it', async () => {
    fake.create(PATHS.ingresses, ingress('web', 'a', 'a.example.com'));
    const f = startFeed('Ingress');
    await synced(f);
    await eventually(() => expect(fake.openWatches(PATHS.ingresses)).toBe(1));
    const listRv = fake.lastWatch(PATHS.ingresses)!.query.get('resourceVersion');
    // Changes elsewhere move the global resourceVersion; the bookmark carries it.
    fake.bump();
    fake.bump();
    const bookmarkRv = fake.bump();
    const before = f.ev.activities;
    fake.bookmark();
    await eventually(() => expect(f.ev.activities).toBe(before + 1));

    fake.endWatches();
    await eventually(() => expect(fake.count(PATHS.ingresses, isWatch)).toBe(2));
    expect(listRv).not.toBe(bookmarkRv);
    expect(fake.lastWatch(PATHS.ingresses)!.query.get('resourceVersion')).toBe(bookmarkRv);
    expect(fake.count(PATHS.ingresses, isList)).toBe(1);
    expect(f.ev).toMatchObject({ relists: 0, restarts: 1 });
    // A bookmark is no object change.
    expect(f.sink.trace('Ingress')).toEqual(['replace web/a', 'synced']);
  });

  it('a stream the server ends is reopened at once from the last event, without a relist', async () => {
    const f = startFeed('Ingress');
    await synced(f);
    await eventually(() => expect(fake.openWatches(PATHS.ingresses)).toBe(1));
    const created = fake.create(PATHS.ingresses, ingress('web', 'a', 'a.example.com'));
    await eventually(() => expect(f.sink.keys('Ingress')).toEqual(['web/a']));

    for (let i = 2; i <= 4; i++) {
      fake.endWatches();
      await eventually(() => expect(fake.count(PATHS.ingresses, isWatch)).toBe(i));
      expect(fake.lastWatch(PATHS.ingresses)!.query.get('resourceVersion')).toBe(created.metadata.resourceVersion);
    }
    // A change made now still arrives on the reopened stream.
    fake.create(PATHS.ingresses, ingress('web', 'b', 'b.example.com'));
    await eventually(() => expect(f.sink.keys('Ingress')).toEqual(['web/a', 'web/b']));
    expect(fake.count(PATHS.ingresses, isList)).toBe(1);
    expect(f.ev).toMatchObject({ relists: 0, restarts: 3 });
    expect(f.sink.callsOf('Ingress', 'replace')).toHaveLength(1);
  });

  it('an in-stream 410 relists; the relist replaces at once and drops what was deleted meanwhile', async () => {
    for (const n of ['a', 'b', 'c']) fake.create(PATHS.ingresses, ingress('web', n, `${n}.example.com`, '192.0.2.1'));
    const f = startFeed('Ingress');
    await synced(f);
    await eventually(() => expect(fake.openWatches(PATHS.ingresses)).toBe(1));
    const from = f.sink.calls.length;

    // The feed loses its stream and cannot get it back for a while...
    const unfail = fake.fail(watchesOn(PATHS.ingresses), 500);
    fake.endWatches();
    await eventually(() => expect(fake.count(PATHS.ingresses, isWatch)).toBeGreaterThanOrEqual(2));
    // ... while b goes, d comes, a changes, and the server compacts its history.
    fake.delete(PATHS.ingresses, 'web/b');
    fake.create(PATHS.ingresses, ingress('web', 'd', 'd.example.com', '192.0.2.4'));
    fake.update(PATHS.ingresses, ingress('web', 'a', 'a.example.com', '192.0.2.9'));
    fake.compact();
    unfail();

    await eventually(() => expect(f.ev.relists).toBe(1));
    expect(f.sink.trace('Ingress', from)).toEqual(['replace web/a,web/c,web/d']);
    expect(JSON.stringify(f.sink.get('Ingress', 'web/a'))).toContain('192.0.2.9');
    expect(f.sink.syncCount('Ingress')).toBe(1);
    expect(f.log.of('info').some((m) => /relisted Ingress: 3 objects/.test(m))).toBe(true);
    // The relist's resourceVersion is where the next watch starts.
    await eventually(() => expect(fake.openWatches(PATHS.ingresses)).toBe(1));
    expect(fake.lastWatch(PATHS.ingresses)!.query.get('resourceVersion')).toBe(fake.resourceVersion);
  });

  it('a 410 ERROR on a live stream relists and watches again', async () => {
    fake.create(PATHS.ingresses, ingress('web', 'a', 'a.example.com'));
    const f = startFeed('Ingress');
    await synced(f);
    await eventually(() => expect(fake.openWatches(PATHS.ingresses)).toBe(1));
    fake.expireWatches();
    await eventually(() => expect(fake.count(PATHS.ingresses, isWatch)).toBe(2));
    await eventually(() => expect(fake.openWatches(PATHS.ingresses)).toBe(1));
    expect(fake.count(PATHS.ingresses, isList)).toBe(2);
    expect(f.ev.relists).toBe(1);
    expect(f.sink.trace('Ingress')).toEqual(['replace web/a', 'synced', 'replace web/a']);
  });

  it('an in-stream ERROR other than 410 re-watches from the same resourceVersion, without a relist', async () => {
    const f = startFeed('Ingress');
    await synced(f);
    await eventually(() => expect(fake.openWatches(PATHS.ingresses)).toBe(1));
    const rv = fake.lastWatch(PATHS.ingresses)!.query.get('resourceVersion');
    fake.errorWatches(500, 'etcd hiccup');
    await eventually(() => expect(fake.count(PATHS.ingresses, isWatch)).toBe(2));
    expect(fake.lastWatch(PATHS.ingresses)!.query.get('resourceVersion')).toBe(rv);
    expect(f.ev.relists).toBe(0);
    expect(fake.count(PATHS.ingresses, isList)).toBe(1);
    expect(f.log.of('warning').some((m) => m.includes('etcd hiccup'))).toBe(true);
  });

  it.each([
    { stage: 'after its headers', hang: () => void fake.hangWatches(true), unhang: () => void fake.hangWatches(false) },
    {
      stage: 'before any headers',
      hang: () => {
        fake.hang(watchesOn(PATHS.ingresses), { times: 1 });
        fake.endWatches();
      },
      unhang: () => undefined,
    },
  ])('a silent watch ($stage) is abandoned after watchIdleMs and reopened from its resourceVersion', async ({ hang, unhang }) => {
    const f = startFeed('Ingress', { watchIdleMs: 300 });
    await synced(f);
    await eventually(() => expect(fake.openWatches(PATHS.ingresses)).toBe(1));
    const rv = fake.lastWatch(PATHS.ingresses)!.query.get('resourceVersion');
    hang();
    unhang(); // streams opened from now on work; the silent one stays silent
    // Not delivered on the silent stream; replayed by the next one.
    fake.create(PATHS.ingresses, ingress('web', 'a', 'a.example.com'));
    await eventually(() => expect(f.sink.keys('Ingress')).toEqual(['web/a']));
    const watches = fake.requestsTo(PATHS.ingresses, isWatch);
    const silent = watches.at(-2)!;
    const reopened = watches.at(-1)!;
    // The silent one was given up only after watchIdleMs (300 ms) without a byte.
    expect(reopened.at - silent.at).toBeGreaterThanOrEqual(250);
    expect([silent, reopened].map((r) => r.query.get('resourceVersion'))).toEqual([rv, rv]);
    expect(f.ev.relists).toBe(0);
    expect(fake.count(PATHS.ingresses, isList)).toBe(1);
  });
});

describe('no busy loops', () => {
  /** Milliseconds between the last two of `requests` (0 with fewer than two). */
  function lastGap(requests: readonly RecordedRequest[]): number {
    return requests.length < 2 ? 0 : requests.at(-1)!.at - requests.at(-2)!.at;
  }

  it('a watch that expires (410) whenever it opens is relisted with a growing backoff', async () => {
    fake.create(PATHS.ingresses, ingress('web', 'a', 'a.example.com'));
    // Every resourceVersion the server will hand out for a while counts as too old.
    fake.compact(Number(fake.resourceVersion) + 1_000_000);
    const f = startFeed('Ingress', { backoffMinMs: 20, backoffMaxMs: 2_000 });
    await synced(f);
    await delay(1_500);
    const lists = fake.requestsTo(PATHS.ingresses, isList);
    expect(lists.length).toBeGreaterThanOrEqual(2);
    expect(f.sink.keys('Ingress')).toEqual(['web/a']);
    // Growing from 20 ms, the waits pass 150 ms within the first second; kept at the minimum
    // they stay at 10-20 ms (about 50 lists in the time).
    expect(lastGap(lists)).toBeGreaterThanOrEqual(150);
  });

  it('a watch the server ends as soon as it opens is reopened with a growing backoff', async () => {
    const f = startFeed('Ingress', { backoffMinMs: 20, backoffMaxMs: 2_000 });
    await synced(f);
    fake.watchesEndAtOnce = true;
    fake.endWatches();
    await delay(1_500);
    expect(lastGap(fake.requestsTo(PATHS.ingresses, isWatch))).toBeGreaterThanOrEqual(150);
    fake.watchesEndAtOnce = false;
    fake.create(PATHS.ingresses, ingress('web', 'a', 'a.example.com'));
    await eventually(() => expect(f.sink.keys('Ingress')).toEqual(['web/a']));
    expect(fake.count(PATHS.ingresses, isList)).toBe(1);
  });

  it('continue tokens that always expire: the list is retried with backoff, not in a loop', async () => {
    for (const n of ['a', 'b', 'c', 'd', 'e']) fake.create(PATHS.ingresses, ingress('web', n, `${n}.example.com`));
    const unfail = fake.fail((r) => r.path === PATHS.ingresses && r.query.has('continue'), 410);
    const f = startFeed('Ingress', { pageSize: 2, backoffMinMs: 20, backoffMaxMs: 2_000 });
    await delay(1_000);
    expect(f.sink.calls).toEqual([]);
    // 8 requests per attempt (4 tries of 2 pages); a growing backoff allows about 6 attempts.
    expect(fake.count(PATHS.ingresses)).toBeLessThan(150);
    unfail();
    await synced(f);
    expect(f.sink.keys('Ingress')).toHaveLength(5);
  });
});

describe('API server outage', () => {
  it('keeps every object through the outage and reconnects soon after the server is back (the /readyz probe wakes the backoff)', async () => {
    for (const n of ['a', 'b']) fake.create(PATHS.ingresses, ingress('web', n, `${n}.example.com`));
    const f = startFeed('Ingress', { backoffMinMs: 20, backoffMaxMs: 5_000 });
    await synced(f);
    await eventually(() => expect(fake.openWatches(PATHS.ingresses)).toBe(1));
    const rv = fake.lastWatch(PATHS.ingresses)!.query.get('resourceVersion');

    await fake.down();
    // Changes the feed cannot see while the server is away (history is kept: no relist needed).
    fake.delete(PATHS.ingresses, 'web/a');
    fake.create(PATHS.ingresses, ingress('web', 'c', 'c.example.com'));
    // Wait until the feed sleeps for a long while: the backoff alone would recover late.
    const retry = /retrying in (\d+\.\d)s/;
    const sleeping = await eventually(() => {
      // The first failure of a streak is a warning, the repeats debug lines.
      const line = f.log.lines.findLast((l) => retry.test(l.msg));
      const secs = Number(retry.exec(line?.msg ?? '')?.[1] ?? 0);
      expect(secs).toBeGreaterThanOrEqual(2);
      return { at: line!.at, ms: secs * 1000 };
    }, 20_000);
    expect(f.sink.trace('Ingress')).toEqual(['replace web/a,web/b', 'synced']);

    const watchesBefore = fake.count(PATHS.ingresses, isWatch);
    await fake.up();
    const t0 = Date.now();
    await eventually(() => expect(fake.count(PATHS.ingresses, isWatch)).toBeGreaterThan(watchesBefore));
    const back = fake.lastWatch(PATHS.ingresses)!;
    expect(back.at - t0).toBeLessThan(1_500);
    expect(back.at).toBeLessThan(sleeping.at + sleeping.ms - 100);
    expect(back.query.get('resourceVersion')).toBe(rv);

    await eventually(() => expect(f.sink.keys('Ingress')).toEqual(['web/b', 'web/c']));
    expect(f.log.of('warning')).toHaveLength(1);
    expect(f.log.of('info').some((m) => /watch Ingress: reconnected after \d+ failed attempts/.test(m))).toBe(true);
    // Nothing was ever replaced by a shorter list, and no relist happened.
    expect(f.sink.callsOf('Ingress', 'replace')).toHaveLength(1);
    expect(f.ev.relists).toBe(0);
    expect(fake.count(PATHS.ingresses, isList)).toBe(1);
  });

  it('an API server down at start: nothing is synced until it answers, then the list is delivered', async () => {
    fake.create(PATHS.ingresses, ingress('web', 'a', 'a.example.com'));
    await fake.down();
    const f = startFeed('Ingress');
    await eventually(() => expect(f.ev.restarts).toBeGreaterThanOrEqual(3));
    expect(f.sink.calls).toEqual([]);
    expect(f.log.of('warning')).toHaveLength(1);
    expect(f.log.of('warning')[0]).toMatch(/ECONNREFUSED/);
    await fake.up();
    await synced(f);
    expect(f.sink.keys('Ingress')).toEqual(['web/a']);
  });
});

describe('CRD-backed kinds', () => {
  const HTTPROUTE_CRD = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/httproutes.gateway.networking.k8s.io`;

  it('CRD missing: synced at once and empty, looked up again every crdPollMs, objects appear once installed', async () => {
    const f = startFeed('HTTPRoute');
    await synced(f);
    expect(f.sink.trace('HTTPRoute')).toEqual(['synced']);
    await eventually(() => expect(fake.count(HTTPROUTE_CRD)).toBeGreaterThanOrEqual(4));
    expect(fake.count(PATHS.httproutes())).toBe(0);
    // Logged once, not at every poll.
    expect(f.log.of('info').filter((m) => m.includes('HTTPRoute skipped: CRD httproutes.gateway.networking.k8s.io is not installed'))).toHaveLength(1);

    fake.installCrd(CRDS.httproutes);
    fake.create(PATHS.httproutes(), httpRoute('web', 'r1', ['r1.example.com']));
    await eventually(() => expect(f.sink.keys('HTTPRoute')).toEqual(['web/r1']));
    expect(f.sink.trace('HTTPRoute')).toEqual(['synced', 'replace web/r1']);
    expect(f.sink.syncCount('HTTPRoute')).toBe(1);
    // Now watched: later changes stream in.
    fake.create(PATHS.httproutes(), httpRoute('web', 'r2', ['r2.example.com']));
    await eventually(() => expect(f.sink.keys('HTTPRoute')).toEqual(['web/r1', 'web/r2']));
  });

  it.each<{ versions: CrdSpec['versions']; expected: string }>([
    { versions: ['v1', 'v1beta1'], expected: 'v1' },
    { versions: ['v1beta1'], expected: 'v1beta1' },
    { versions: [{ name: 'v1', served: false }, 'v1beta1', 'v1alpha2'], expected: 'v1beta1' },
    { versions: ['v1alpha2'], expected: 'v1alpha2' },
  ])('CRD serving $versions is listed and watched at $expected', async ({ versions, expected }) => {
    fake.installCrd({ ...CRDS.httproutes, versions });
    fake.create(PATHS.httproutes(expected), httpRoute('web', 'r1', ['r1.example.com']));
    const f = startFeed('HTTPRoute');
    await synced(f);
    expect(f.sink.keys('HTTPRoute')).toEqual(['web/r1']);
    await eventually(() => expect(fake.openWatches(PATHS.httproutes(expected))).toBe(1));
    const paths = new Set(fake.requests.filter((r) => r.path.includes('/httproutes') && !r.path.includes('customresourcedefinitions')).map((r) => r.path));
    expect([...paths]).toEqual([PATHS.httproutes(expected)]);
    fake.create(PATHS.httproutes(expected), httpRoute('web', 'r2', ['r2.example.com']));
    await eventually(() => expect(f.sink.keys('HTTPRoute')).toEqual(['web/r1', 'web/r2']));
  });

  it('a CRD that is not Established yet counts as missing until it is', async () => {
    fake.installCrd({ ...CRDS.httproutes, established: false });
    const f = startFeed('HTTPRoute');
    await synced(f);
    await eventually(() => expect(fake.count(HTTPROUTE_CRD)).toBeGreaterThanOrEqual(3));
    expect(fake.count(PATHS.httproutes())).toBe(0);
    fake.installCrd(CRDS.httproutes);
    fake.create(PATHS.httproutes(), httpRoute('web', 'r1', ['r1.example.com']));
    await eventually(() => expect(f.sink.keys('HTTPRoute')).toEqual(['web/r1']));
  });

  it.each([
    { emitDeletes: false, how: 'streams just end' },
    { emitDeletes: true, how: 'objects deleted first, as the CRD finalizer does' },
  ])('a CRD deleted later empties the kind ($how); installed again, its objects come back', async ({ emitDeletes }) => {
    fake.installCrd(CRDS.httproutes);
    fake.create(PATHS.httproutes(), httpRoute('web', 'r1', ['r1.example.com']));
    fake.create(PATHS.httproutes(), httpRoute('web', 'r2', ['r2.example.com']));
    const f = startFeed('HTTPRoute');
    await synced(f);
    expect(f.sink.keys('HTTPRoute')).toEqual(['web/r1', 'web/r2']);
    await eventually(() => expect(fake.openWatches(PATHS.httproutes())).toBe(1));

    fake.removeCrd('httproutes.gateway.networking.k8s.io', { emitDeletes });
    await eventually(() => expect(f.sink.keys('HTTPRoute')).toEqual([]));
    await eventually(() => expect(f.log.of('info').some((m) => m.includes('HTTPRoute skipped'))).toBe(true));
    if (!emitDeletes) expect(f.sink.trace('HTTPRoute').at(-1)).toBe('replace ');
    expect(f.sink.syncCount('HTTPRoute')).toBe(1);

    fake.installCrd(CRDS.httproutes);
    fake.create(PATHS.httproutes(), httpRoute('web', 'r3', ['r3.example.com']));
    await eventually(() => expect(f.sink.keys('HTTPRoute')).toEqual(['web/r3']));
    expect(f.ev.relists).toBe(1);
  });

  it('without permission to read CRDs, the preferred version is tried directly', async () => {
    fake.fail((r) => r.path.startsWith('/apis/apiextensions.k8s.io/'), 403);
    fake.installCrd(CRDS.httproutes);
    fake.create(PATHS.httproutes(), httpRoute('web', 'r1', ['r1.example.com']));
    const f = startFeed('HTTPRoute');
    await synced(f);
    expect(f.sink.keys('HTTPRoute')).toEqual(['web/r1']);
    // One probe of the version (limit=1), then the list itself.
    expect(fake.count(PATHS.httproutes(), isList)).toBe(2);
  });

  // Without permission to read CRDs, each version is probed in turn; none served = missing.
  it.each([
    { id: 'CRD not installed', install: false },
    { id: 'CRD serving v1beta1 only', install: true },
  ])('without permission to read CRDs, a 404 collection does not block the sync ($id)', async ({ install }) => {
    fake.fail((r) => r.path.startsWith('/apis/apiextensions.k8s.io/'), 403);
    if (install) fake.installCrd({ ...CRDS.httproutes, versions: ['v1beta1'] });
    const f = startFeed('HTTPRoute');
    await eventually(() => expect(f.sink.syncCount('HTTPRoute')).toBe(1), 3_000);
  });

  it('an unexpected status on the CRD lookup is retried with backoff, not taken as "missing"', async () => {
    const unfail = fake.fail(HTTPROUTE_CRD, 500);
    fake.installCrd(CRDS.httproutes);
    fake.create(PATHS.httproutes(), httpRoute('web', 'r1', ['r1.example.com']));
    const f = startFeed('HTTPRoute');
    await eventually(() => expect(fake.count(HTTPROUTE_CRD)).toBeGreaterThanOrEqual(3));
    expect(f.sink.calls).toEqual([]);
    unfail();
    await synced(f);
    expect(f.sink.trace('HTTPRoute')).toEqual(['replace web/r1', 'synced']);
  });
});

describe('stop', () => {
  const states: { state: string; kind: ObjectKind; arrange: () => Promise<void> | void; tuning?: Tuning }[] = [
    { state: 'watching', kind: 'Ingress', arrange: () => undefined },
    { state: 'backing off after errors', kind: 'Ingress', arrange: () => void fake.fail(watchesOn(PATHS.ingresses), 500) },
    { state: 'on a silent stream', kind: 'Ingress', arrange: () => void fake.hangWatches(true) },
    { state: 'polling a missing CRD', kind: 'HTTPRoute', arrange: () => undefined },
    { state: 'with the server down', kind: 'Ingress', arrange: () => fake.down(), tuning: { backoffMaxMs: 5_000 } },
  ];

  it.each(states)('while $state: prompt, and nothing reaches the sink or the server afterwards', async ({ kind, arrange, tuning }) => {
    fake.create(PATHS.ingresses, ingress('web', 'a', 'a.example.com'));
    const f = startFeed(kind, tuning);
    await synced(f);
    await arrange();
    await delay(150); // let the state settle (a backoff started, a poll scheduled, ...)
    const calls = f.sink.calls.length;
    const t0 = Date.now();
    await f.r.stop();
    expect(Date.now() - t0).toBeLessThan(1_000);
    const requests = fake.requests.length;
    if (fake.isUp) fake.create(PATHS.ingresses, ingress('web', 'b', 'b.example.com'));
    await delay(300);
    expect(f.sink.calls.length).toBe(calls);
    expect(fake.requests.length).toBe(requests);
    await eventually(() => expect(fake.openWatches()).toBe(0));
  });

  it('while a list request is unanswered: prompt, not bounded by the request timeout', async () => {
    fake.hang(PATHS.ingresses);
    const f = startFeed('Ingress', {}, { requestTimeoutMs: 3_000 });
    await eventually(() => expect(fake.count(PATHS.ingresses)).toBe(1));
    const t0 = Date.now();
    await f.r.stop();
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(f.sink.calls).toEqual([]);
  });

  it('while a list page is on its way: prompt, nothing reaches the sink, no watch is opened', async () => {
    fake.create(PATHS.ingresses, ingress('web', 'a', 'a.example.com'));
    fake.delay(PATHS.ingresses, 300, { times: 1 });
    const f = startFeed('Ingress', { watchIdleMs: 2_000 });
    await eventually(() => expect(fake.count(PATHS.ingresses)).toBe(1));
    const t0 = Date.now();
    await f.r.stop();
    await delay(400);
    expect(f.sink.calls).toEqual([]);
    expect(fake.count(PATHS.ingresses, isWatch)).toBe(0);
    expect(Date.now() - t0).toBeLessThan(1_500);
  });
});
