import { mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManifestsSource } from './manifests.js';
import { objectKey, type KubeObject, type ObjectKind, type SourceSink } from '../types.js';

class RecordingSink implements SourceSink {
  readonly calls: string[] = [];
  readonly state = new Map<ObjectKind, readonly KubeObject[]>();
  readonly syncedKinds: ObjectKind[] = [];

  replace(kind: ObjectKind, objects: Iterable<KubeObject>): void {
    this.calls.push(`replace ${kind}`);
    this.state.set(kind, [...objects]);
  }
  upsert(kind: ObjectKind): void {
    this.calls.push(`upsert ${kind}`);
  }
  delete(kind: ObjectKind): void {
    this.calls.push(`delete ${kind}`);
  }
  synced(kind: ObjectKind): void {
    this.calls.push(`synced ${kind}`);
    this.syncedKinds.push(kind);
  }

  keys(kind: ObjectKind): string[] {
    return (this.state.get(kind) ?? []).map(objectKey);
  }
}

class RecordingLogger {
  readonly infos: string[] = [];
  readonly warns: string[] = [];
  readonly errors: string[] = [];
  info = (m: string): void => void this.infos.push(m);
  warning = (m: string): void => void this.warns.push(m);
  debug = (): void => undefined;
  error = (m: string): void => void this.errors.push(m);
}

/** Polls until `check` stops throwing; the deadline is what the source promises (1 s), with slack for loaded CI. */
async function eventually(check: () => void, deadlineMs = 1500): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

const svc = (name: string, ns?: string, ip = '10.0.0.1'): string =>
  `apiVersion: v1
kind: Service
metadata:
  name: ${name}
${ns ? `  namespace: ${ns}\n` : ''}spec:
  clusterIP: ${ip}
`;

const ingress = (name: string, host: string): string =>
  `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ${name}, namespace: web}
spec:
  rules: [{host: ${host}}]
`;

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec: {replicas: 1}
`;

let dir: string;
let logger: RecordingLogger;
let sources: ManifestsSource[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exdns-manifests-'));
  logger = new RecordingLogger();
  sources = [];
});

afterEach(async () => {
  await Promise.all(sources.map((s) => s.stop()));
  await rm(dir, { recursive: true, force: true });
});

function source(paths: string[], kinds: ObjectKind[] = ['Service', 'Ingress']): ManifestsSource {
  const s = new ManifestsSource(paths, kinds, { logger, debounceMs: 20 });
  sources.push(s);
  return s;
}

async function started(paths: string[], kinds?: ObjectKind[]): Promise<RecordingSink> {
  const sink = new RecordingSink();
  await source(paths, kinds).start(sink);
  return sink;
}

describe('ManifestsSource loading', () => {
  it('reads multi-document YAML, defaults namespaces and syncs every kind', async () => {
    const file = join(dir, 'all.yaml');
    await writeFile(file, `${svc('a')}---\n${deployment}---\n---\n${ingress('i', 'www.example.org')}\n---\n# only a comment\n`);
    const sink = await started([file], ['Service', 'Ingress', 'EndpointSlice']);
    expect(sink.keys('Service')).toEqual(['default/a']);
    expect(sink.keys('Ingress')).toEqual(['web/i']);
    expect(sink.state.get('EndpointSlice')).toEqual([]);
    expect(sink.syncedKinds).toEqual(['Service', 'Ingress', 'EndpointSlice']);
    expect(sink.calls.filter((c) => c.startsWith('upsert') || c.startsWith('delete'))).toEqual([]);
    expect(logger.warns).toEqual([]);
    expect(sink.state.get('Service')?.[0]?.spec).toEqual({ clusterIP: '10.0.0.1' });
  });

  it('keeps scalars JSON-like (no timestamps turned into Dates)', async () => {
    const file = join(dir, 'ts.yaml');
    await writeFile(file, `${svc('a')}  when: 2024-01-02T03:04:05Z\n`);
    const sink = await started([file]);
    expect(sink.state.get('Service')?.[0]?.spec).toEqual({ clusterIP: '10.0.0.1', when: '2024-01-02T03:04:05Z' });
  });

  it('reads a JSON List, a YAML List and a typed list', async () => {
    await writeFile(
      join(dir, 'list.json'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          { apiVersion: 'v1', kind: 'Service', metadata: { name: 'j1', namespace: 'x' } },
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' } },
        ],
      }),
    );
    await writeFile(
      join(dir, 'list.yaml'),
      `apiVersion: v1
kind: List
items:
- ${svc('y1').trimEnd().replaceAll('\n', '\n  ')}
`,
    );
    await writeFile(join(dir, 'typed.yaml'), `apiVersion: v1\nkind: ServiceList\nitems:\n- metadata: {name: t1}\n`);
    await writeFile(join(dir, 'empty.yaml'), `apiVersion: v1\nkind: List\nitems: []\n`);
    const sink = await started([dir]);
    expect(sink.keys('Service')).toEqual(['x/j1', 'default/y1', 'default/t1']);
    expect(logger.warns).toEqual([]);
  });

  it('reads folders recursively, skipping hidden entries and other extensions', async () => {
    await mkdir(join(dir, 'sub', 'deeper'), { recursive: true });
    await mkdir(join(dir, '.git'));
    await writeFile(join(dir, 'a.yml'), svc('a'));
    await writeFile(join(dir, 'sub', 'b.YAML'), svc('b'));
    await writeFile(join(dir, 'sub', 'deeper', 'c.json'), JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'c' } }));
    await writeFile(join(dir, '.hidden.yaml'), svc('hidden'));
    await writeFile(join(dir, '.git', 'x.yaml'), svc('git'));
    await writeFile(join(dir, 'notes.txt'), svc('txt'));
    await writeFile(join(dir, 'README.md'), 'not yaml: [');
    const sink = await started([dir]);
    expect(sink.keys('Service').sort()).toEqual(['default/a', 'default/b', 'default/c']);
  });

  it('accepts an explicitly named file whatever its extension', async () => {
    const file = join(dir, 'services.txt');
    await writeFile(file, svc('a'));
    const sink = await started([file]);
    expect(sink.keys('Service')).toEqual(['default/a']);
  });

  it('ignores unknown and unwanted kinds silently, warns about broken objects', async () => {
    const file = join(dir, 'mixed.yaml');
    await writeFile(
      file,
      [
        deployment,
        ingress('i', 'www.example.org'), // Ingress is not wanted below
        'apiVersion: v1\nkind: Service\nmetadata: {namespace: x}\n',
        'just a string\n',
        'apiVersion: v1\nkind: Service\nmetadata: {name: bad, labels: {a: 1}}\n',
        'metadata: {name: nokind}\n',
        svc('ok'),
      ].join('---\n'),
    );
    const sink = await started([file], ['Service']);
    expect(sink.keys('Service')).toEqual(['default/ok']);
    expect(sink.state.has('Ingress')).toBe(false);
    expect(logger.warns).toHaveLength(4);
    expect(logger.warns[0]).toContain(`${file} (document 3)`);
    expect(logger.warns[0]).toContain('metadata.name');
    expect(logger.warns[1]).toContain('(document 4)');
    expect(logger.warns[2]).toContain('labels');
    expect(logger.warns[3]).toContain('apiVersion/kind');
  });

  it('drops the namespace of cluster-scoped Nodes', async () => {
    const file = join(dir, 'node.yaml');
    await writeFile(file, 'apiVersion: v1\nkind: Node\nmetadata: {name: n1, namespace: oops}\n');
    const sink = await started([file], ['Node']);
    expect(sink.keys('Node')).toEqual(['n1']);
  });

  it('lets the last duplicate win and warns once', async () => {
    await writeFile(join(dir, 'a.yaml'), svc('s', 'ns', '10.0.0.1'));
    await writeFile(join(dir, 'b.yaml'), svc('s', 'ns', '10.0.0.2'));
    const sink = await started([dir]);
    expect(sink.state.get('Service')?.map((o) => o.spec)).toEqual([{ clusterIP: '10.0.0.2' }]);
    expect(logger.warns).toHaveLength(1);
    expect(logger.warns[0]).toMatch(/b\.yaml.*overrides.*a\.yaml/);
  });

  it('rejects start when a path does not exist', async () => {
    const missing = join(dir, 'nope.yaml');
    await expect(source([missing]).start(new RecordingSink())).rejects.toThrow(`${missing} does not exist`);
  });

  it('rejects start on a file that does not parse, naming file, line and column', async () => {
    await writeFile(join(dir, 'good.yaml'), svc('a'));
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, `${svc('b')}---\nkind: [Service\nmetadata: x\n`);
    const sink = new RecordingSink();
    await expect(source([dir]).start(sink)).rejects.toThrow(new RegExp(`${bad.replaceAll('.', '\\.')}:\\d+:\\d+: `));
    expect(sink.calls).toEqual([]);
  });

  it('rejects start on bad JSON and duplicate YAML keys', async () => {
    const json = join(dir, 'bad.json');
    await writeFile(json, '{"apiVersion": "v1",');
    await expect(source([json]).start(new RecordingSink())).rejects.toThrow(json);
    const dup = join(dir, 'dup.yaml');
    await writeFile(dup, 'kind: Service\nkind: Service\n');
    await expect(source([dup]).start(new RecordingSink())).rejects.toThrow(/dup\.yaml:2:1: duplicated mapping key/);
  });
});

describe('ManifestsSource watching', () => {
  it('delivers an edit within a second, touching only kinds that changed', async () => {
    const file = join(dir, 's.yaml');
    await writeFile(file, `${svc('a')}---\n${ingress('i', 'a.example.org')}`);
    const sink = await started([file]);
    sink.calls.length = 0;
    await writeFile(file, `${svc('b')}---\n${ingress('i', 'a.example.org')}`);
    await eventually(() => expect(sink.keys('Service')).toEqual(['default/b']), 1000);
    expect(sink.calls).toEqual(['replace Service']);
  });

  it('keeps the last good content of a file that breaks, and logs it', async () => {
    const file = join(dir, 's.yaml');
    await writeFile(file, svc('a'));
    const sink = await started([file]);
    await writeFile(file, 'kind: [broken\n');
    await eventually(() => expect(logger.errors.join('\n')).toContain(file));
    expect(logger.errors).toHaveLength(1);
    expect(sink.keys('Service')).toEqual(['default/a']);
    await writeFile(file, svc('c'));
    await eventually(() => expect(sink.keys('Service')).toEqual(['default/c']));
    expect(logger.errors).toHaveLength(1);
  });

  it('removes the objects of a deleted file and adds those of a new one', async () => {
    await writeFile(join(dir, 'a.yaml'), svc('a'));
    await writeFile(join(dir, 'b.yaml'), svc('b'));
    const sink = await started([dir]);
    expect(sink.keys('Service')).toEqual(['default/a', 'default/b']);
    await unlink(join(dir, 'a.yaml'));
    await eventually(() => expect(sink.keys('Service')).toEqual(['default/b']));
    await mkdir(join(dir, 'new'));
    await writeFile(join(dir, 'new', 'c.yaml'), svc('c'));
    await eventually(() => expect(sink.keys('Service')).toEqual(['default/b', 'default/c']));
  });

  it('follows a ConfigMap-style ..data symlink swap', async () => {
    const mount = join(dir, 'cm');
    await mkdir(mount);
    await configMapRevision(mount, '2024_01', { 'routes.yaml': svc('v1') });
    const sink = await started([mount]);
    expect(sink.keys('Service')).toEqual(['default/v1']);
    await configMapRevision(mount, '2024_02', { 'routes.yaml': svc('v2'), 'more.yaml': svc('extra') });
    await eventually(() => expect(sink.keys('Service')).toEqual(['default/extra', 'default/v2']));
  });

  it('follows a swap when the mounted file itself is the configured path', async () => {
    const mount = join(dir, 'cm');
    await mkdir(mount);
    await configMapRevision(mount, '2024_01', { 'routes.yaml': svc('v1') });
    const sink = await started([join(mount, 'routes.yaml')]);
    await configMapRevision(mount, '2024_02', { 'routes.yaml': svc('v2') });
    await eventually(() => expect(sink.keys('Service')).toEqual(['default/v2']));
  });

  it('notices changes by polling alone when fs.watch is off', async () => {
    const mount = join(dir, 'cm');
    await mkdir(mount);
    await configMapRevision(mount, '2024_01', { 'routes.yaml': svc('v1') });
    const sink = new RecordingSink();
    const s = new ManifestsSource([mount], ['Service'], { logger, debounceMs: 20, pollMs: 100, watch: false });
    sources.push(s);
    await s.start(sink);
    await configMapRevision(mount, '2024_02', { 'routes.yaml': svc('v2') });
    await eventually(() => expect(sink.keys('Service')).toEqual(['default/v2']), 1000);
    await unlink(join(mount, 'routes.yaml'));
    await eventually(() => expect(sink.keys('Service')).toEqual([]), 1000);
  });

  it('makes no calls once stop has resolved', async () => {
    const file = join(dir, 's.yaml');
    await writeFile(file, svc('a'));
    const s = new ManifestsSource([file], ['Service'], { logger, debounceMs: 20, pollMs: 50 });
    sources.push(s);
    const sink = new RecordingSink();
    await s.start(sink);
    await writeFile(file, svc('b'));
    await s.stop();
    const seen = sink.calls.length;
    await writeFile(file, svc('c'));
    // Proving a negative needs a wait: a few debounce and poll periods.
    await new Promise((r) => setTimeout(r, 250));
    expect(sink.calls).toHaveLength(seen);
  });
});

/** What the kubelet does on a ConfigMap update: new timestamped folder, atomic `..data` swap. */
async function configMapRevision(mount: string, rev: string, files: Record<string, string>): Promise<void> {
  const data = join(mount, `..${rev}`);
  await mkdir(data);
  for (const [name, text] of Object.entries(files)) await writeFile(join(data, name), text);
  await symlink(`..${rev}`, join(mount, '..data_tmp'));
  await rename(join(mount, '..data_tmp'), join(mount, '..data'));
  for (const name of Object.keys(files)) {
    await symlink(join('..data', name), join(mount, name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  }
}
