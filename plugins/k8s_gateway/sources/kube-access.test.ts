/** kubeconfig files and in-cluster service accounts -> server URL and per-request options. */
import { mkdir, writeFile } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeDir, tempDir } from '../../../test/kube/fake-apiserver.js';
import { loadKubeAccess, type KubeAccess } from './kube-access.js';

let dir: string;

beforeEach(async () => {
  dir = await tempDir('exdns-kube-access-');
});

afterEach(async () => {
  await removeDir(dir);
});

/** Writes `rel` under the test folder (creating folders); returns the absolute path. */
async function put(rel: string, text: string): Promise<string> {
  const file = path.join(dir, rel);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  return file;
}

type Options = https.RequestOptions & { headers: Record<string, string> };

async function applied(access: KubeAccess): Promise<Options> {
  const opts: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
  await access.apply(opts);
  return opts as Options;
}

function indent(text: string, n: number): string {
  return text
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');
}

/** A kubeconfig with cluster `c`, user `u`, contexts `ctx` (c/u) and `other` (c2/u). */
function kubeconfig(o: { cluster?: string; user?: string; current?: string | null; extra?: string } = {}): string {
  const current = o.current === undefined ? 'ctx' : o.current;
  return `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
${indent(o.cluster ?? 'server: https://k8s.example:6443', 4)}
users:
- name: u
  user:
${indent(o.user ?? 'token: abc', 4)}
contexts:
- name: ctx
  context: {cluster: c, user: u}
- name: other
  context: {cluster: c2, user: u}
${o.extra ?? ''}
${current === null ? '' : `current-context: ${current}`}
`;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('kubeconfig errors', () => {
  const rows: { id: string; text?: string; context?: string; error: RegExp }[] = [
    { id: 'missing file', error: /ENOENT/ },
    { id: 'not YAML', text: 'clusters: [\n  - {', error: /: .+/ },
    { id: 'empty file', text: '', error: /input is empty|not a kubeconfig/ },
    { id: 'only a comment', text: '# nothing here\n', error: /input is empty|not a kubeconfig/ },
    { id: 'null document', text: '~\n', error: /not a kubeconfig \(expected a YAML mapping\)/ },
    { id: 'a scalar', text: 'hello world\n', error: /not a kubeconfig \(expected a YAML mapping\)/ },
    { id: 'unknown context argument', text: kubeconfig(), context: 'nope', error: /no context named "nope"/ },
    { id: 'current-context naming no context', text: kubeconfig({ current: 'gone' }), error: /no context named "gone"/ },
    { id: 'context naming an undefined cluster', text: kubeconfig(), context: 'other', error: /context "other" names cluster "c2", which is not defined/ },
    { id: 'no current-context', text: kubeconfig({ current: null }), error: /no current-context; name one: kubeconfig .+ CONTEXT/ },
    { id: 'empty current-context', text: kubeconfig({ current: '""' }), error: /no current-context/ },
    { id: 'cluster without server', text: kubeconfig({ cluster: 'insecure-skip-tls-verify: true' }), error: /clusters\[0\]\.cluster\.server is missing/ },
    {
      id: 'context without cluster',
      text: kubeconfig({ extra: '- name: broken\n  context: {user: u}' }),
      error: /contexts\[2\]\.context\.cluster is missing/,
    },
  ];
  it.each(rows)('$id', async ({ text, context, error }) => {
    const file = path.join(dir, 'kubeconfig');
    if (text !== undefined) await writeFile(file, text);
    const load = loadKubeAccess(context === undefined ? { path: file } : { path: file, context });
    await expect(load).rejects.toThrow(error);
    // Every message names the file it is about.
    await expect(load).rejects.toThrow(`kubeconfig ${file}: `);
  });

  it('a YAML list is reported as not a kubeconfig', async () => {
    const file = await put('kubeconfig', '- a\n- b\n');
    await expect(loadKubeAccess({ path: file })).rejects.toThrow(/not a kubeconfig/);
  });
});

describe('kubeconfig -> request options', () => {
  const rows: { id: string; cluster?: string; user?: string; context?: string; check: (o: Options, a: KubeAccess) => void }[] = [
    {
      id: 'token -> Authorization header',
      user: 'token: abc',
      check: (o, a) => {
        expect(o.headers.Authorization).toBe('Bearer abc');
        expect(o.headers.Accept).toBe('application/json');
        expect(a.server).toBe('https://k8s.example:6443');
      },
    },
    {
      id: 'client-certificate-data / client-key-data -> cert / key',
      user: `client-certificate-data: ${b64('CERT')}\nclient-key-data: ${b64('KEY')}`,
      check: (o) => {
        expect(String(o.cert)).toBe('CERT');
        expect(String(o.key)).toBe('KEY');
        expect(o.headers.Authorization).toBeUndefined();
      },
    },
    {
      id: 'certificate-authority-data -> ca',
      cluster: `server: https://k8s.example:6443\ncertificate-authority-data: ${b64('CA')}`,
      check: (o) => {
        expect(String(o.ca)).toBe('CA');
        expect(o.rejectUnauthorized).toBeUndefined();
      },
    },
    {
      id: 'insecure-skip-tls-verify -> rejectUnauthorized false',
      cluster: 'server: https://k8s.example:6443\ninsecure-skip-tls-verify: true',
      check: (o) => expect(o.rejectUnauthorized).toBe(false),
    },
    {
      id: 'tls-server-name -> servername',
      cluster: 'server: https://10.0.0.1:6443\ntls-server-name: kubernetes.default',
      check: (o) => expect(o.servername).toBe('kubernetes.default'),
    },
    {
      id: 'username / password -> basic auth',
      user: 'username: admin\npassword: s3cret',
      check: (o) => expect(o.auth).toBe('admin:s3cret'),
    },
    {
      id: 'as -> Impersonate-User',
      user: 'token: abc\nas: jane',
      check: (o) => expect(o.headers['Impersonate-User']).toBe('jane'),
    },
    {
      id: 'https server -> one shared keep-alive agent',
      check: (o) => expect(o.agent).toBeInstanceOf(https.Agent),
    },
    {
      id: 'http server -> no https agent',
      cluster: 'server: http://127.0.0.1:8080',
      check: (o, a) => {
        expect(o.agent).toBeUndefined();
        expect(a.server).toBe('http://127.0.0.1:8080');
      },
    },
    {
      id: 'trailing slashes of the server are dropped, a path prefix is kept',
      cluster: 'server: https://rancher.example/k8s/clusters/c-1//',
      check: (_o, a) => expect(a.server).toBe('https://rancher.example/k8s/clusters/c-1'),
    },
  ];
  it.each(rows)('$id', async ({ cluster, user, context, check }) => {
    const file = await put(
      'kubeconfig',
      kubeconfig({ ...(cluster === undefined ? {} : { cluster }), ...(user === undefined ? {} : { user }), extra: '- name: anon\n  context: {cluster: c, user: nobody}' }),
    );
    const access = await loadKubeAccess(context === undefined ? { path: file } : { path: file, context });
    check(await applied(access), access);
  });

  it('a context naming an undefined user is an error (as in client-go), not anonymous access', async () => {
    const file = await put('kubeconfig', kubeconfig({ user: 'token: abc', extra: '- name: anon\n  context: {cluster: c, user: nobody}' }));
    await expect(loadKubeAccess({ path: file, context: 'anon' })).rejects.toThrow('context "anon" names user "nobody", which is not defined');
  });

  it('an explicit context wins over current-context', async () => {
    // A second cluster c2 for the `other` context.
    const text = kubeconfig().replace('users:', '- name: c2\n  cluster:\n    server: https://second.example:443\nusers:');
    const file = await put('kubeconfig', text);
    expect((await loadKubeAccess({ path: file })).server).toBe('https://k8s.example:6443');
    expect((await loadKubeAccess({ path: file, context: 'other' })).server).toBe('https://second.example:443');
  });

  it.each([
    { id: 'an absolute kubeconfig path', relative: false },
    { id: 'a kubeconfig path relative to the working folder', relative: true },
  ])('relative certificate-authority / client-certificate / client-key resolve against the kubeconfig folder ($id)', async ({ relative }) => {
    await put('pki/ca.crt', 'CA-FILE');
    await put('conf/pki/client.crt', 'CERT-FILE');
    await put('conf/pki/client.key', 'KEY-FILE');
    const file = await put(
      'conf/kubeconfig',
      kubeconfig({
        cluster: 'server: https://k8s.example:6443\ncertificate-authority: ../pki/ca.crt',
        user: 'client-certificate: pki/client.crt\nclient-key: ./pki/client.key',
      }),
    );
    const access = await loadKubeAccess({ path: relative ? path.relative(process.cwd(), file) : file });
    const o = await applied(access);
    expect(String(o.ca)).toBe('CA-FILE');
    expect(String(o.cert)).toBe('CERT-FILE');
    expect(String(o.key)).toBe('KEY-FILE');
    // Read per request: a certificate rotated in place is picked up.
    await put('conf/pki/client.crt', 'CERT-ROTATED');
    expect(String((await applied(access)).cert)).toBe('CERT-ROTATED');
  });

  it('an exec credential plugin supplies the bearer token', async () => {
    const script = await put(
      'cred.mjs',
      `process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'from-exec' } }));\n`,
    );
    const file = await put(
      'kubeconfig',
      kubeconfig({
        user: `exec:
  apiVersion: client.authentication.k8s.io/v1
  command: ${JSON.stringify(process.execPath)}
  args: [${JSON.stringify(script)}]
  interactiveMode: Never`,
      }),
    );
    const o = await applied(await loadKubeAccess({ path: file }));
    expect(o.headers.Authorization).toBe('Bearer from-exec');
  });

  it('tokenFile (relative to the kubeconfig) -> Authorization header', async () => {
    await put('conf/token', 'from-file');
    const file = await put('conf/kubeconfig', kubeconfig({ user: 'tokenFile: token' }));
    const o = await applied(await loadKubeAccess({ path: file }));
    expect(o.headers.Authorization).toBe('Bearer from-file');
  });
});

describe('in-cluster service account', () => {
  it.each([{ env: {} }, { env: { KUBERNETES_SERVICE_HOST: '10.96.0.1' } }, { env: { KUBERNETES_SERVICE_PORT: '443' } }])(
    'without KUBERNETES_SERVICE_HOST/PORT ($env): a clear error',
    async ({ env }) => {
      await expect(loadKubeAccess(undefined, env, dir)).rejects.toThrow(
        /not running in a Kubernetes Pod \(KUBERNETES_SERVICE_HOST\/PORT are unset\): use `kubeconfig PATH \[CONTEXT\]`/,
      );
    },
  );

  it.each([
    { host: '10.96.0.1', port: '443', server: 'https://10.96.0.1:443' },
    { host: 'fd00:10:96::1', port: '443', server: 'https://[fd00:10:96::1]:443' },
    { host: 'kubernetes.default.svc', port: '6443', server: 'https://kubernetes.default.svc:6443' },
  ])('$host:$port -> $server, with the token file and the CA of the service-account folder', async ({ host, port, server }) => {
    await put('sa/token', 'sa-token');
    await put('sa/ca.crt', 'SA-CA');
    const access = await loadKubeAccess(undefined, { KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: port }, path.join(dir, 'sa'));
    expect(access.server).toBe(server);
    const o = await applied(access);
    expect(o.headers.Authorization).toBe('Bearer sa-token');
    expect(String(o.ca)).toBe('SA-CA');
    expect(o.rejectUnauthorized).toBeUndefined();
    expect(o.agent).toBeInstanceOf(https.Agent);
  });

  it('a missing token file fails the request, not the start', async () => {
    await put('sa/ca.crt', 'SA-CA');
    const access = await loadKubeAccess(undefined, { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, path.join(dir, 'sa'));
    await expect(applied(access)).rejects.toThrow(/ENOENT/);
  });

  it('a token file ending in a newline gives a clean header', async () => {
    await put('sa/token', 'sa-token\n');
    await put('sa/ca.crt', 'SA-CA');
    const access = await loadKubeAccess(undefined, { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, path.join(dir, 'sa'));
    expect((await applied(access)).headers.Authorization).toBe('Bearer sa-token');
  });
});
