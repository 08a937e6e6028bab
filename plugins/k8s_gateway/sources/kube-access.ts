/**
 * How requests reach the API server and authenticate: `kubeconfig PATH [CONTEXT]`, else the
 * Pod's service account.
 *
 * The common cases (client certificates, bearer tokens, token files, exec credential plugins,
 * basic auth, impersonation) use @kubernetes/client-node's kubeconfig parser and exec
 * authenticator directly. Its `KubeConfig` class would do the same, but importing it loads the whole generated
 * API client: about 90 MB of RSS and 1-2 s of start-up, more than the whole index of 20,000
 * objects. That class is loaded only for what only it handles (the oidc/azure/gcp auth
 * providers and proxies).
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { CORE_SCHEMA, load } from 'js-yaml';
import { newClusters, newContexts, newUsers, type Cluster, type User } from '@kubernetes/client-node/dist/config_types.js';
import { ExecAuth } from '@kubernetes/client-node/dist/exec_auth.js';

export interface KubeAccess {
  /** `https://host:port` (no trailing slash). */
  readonly server: string;
  /** Adds TLS material, credentials and the connection agent to one request's options. */
  apply(opts: https.RequestOptions): Promise<void>;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

function fileOrData(file: string | undefined, data: string | undefined): Buffer | undefined {
  // Read per request, like client-go: mounted certificates and keys are rotated in place.
  if (file) return readFileSync(file);
  if (data) return Buffer.from(data, 'base64');
  return undefined;
}

function absolute(root: string, file: string | undefined): string | undefined {
  return file === undefined || file === '' || path.isAbsolute(file) ? file : path.join(root, file);
}

/**
 * A bearer token kept in a file, re-read once a minute like client-go does: projected
 * service-account tokens are rotated in place. Surrounding whitespace is not part of the token.
 */
class TokenFile {
  private token = '';
  private readAt = 0;

  constructor(readonly path: string) {}

  get(): string {
    if (this.readAt === 0 || Date.now() - this.readAt > 60_000) {
      this.token = readFileSync(this.path, 'utf8').trim();
      this.readAt = Date.now();
    }
    return this.token;
  }
}

class DirectAccess implements KubeAccess {
  readonly server: string;
  /** One keep-alive agent: lists and watches share connections. */
  private readonly agent = new https.Agent({ keepAlive: true });
  private readonly exec = new ExecAuth();

  constructor(
    private readonly cluster: Cluster,
    private readonly user: User,
    private readonly tokenFile?: TokenFile,
  ) {
    this.server = cluster.server.replace(/\/+$/, '');
  }

  async apply(opts: https.RequestOptions): Promise<void> {
    const { cluster, user } = this;
    const headers = (opts.headers ??= {}) as Record<string, string>;
    if (this.server.startsWith('https:')) opts.agent = this.agent;
    if (cluster.skipTLSVerify) opts.rejectUnauthorized = false;
    if (cluster.tlsServerName) opts.servername = cluster.tlsServerName;
    const ca = fileOrData(cluster.caFile, cluster.caData);
    if (ca) opts.ca = ca;
    const cert = fileOrData(user.certFile, user.certData);
    if (cert) opts.cert = cert;
    const key = fileOrData(user.keyFile, user.keyData);
    if (key) opts.key = key;
    if (user.impersonateUser) headers['Impersonate-User'] = user.impersonateUser;
    if (user.username) opts.auth = `${user.username}:${user.password ?? ''}`;
    if (this.exec.isAuthProvider(user)) await this.exec.applyAuthentication(user, opts);
    if (user.token) headers.Authorization = `Bearer ${user.token.trim()}`;
    else if (this.tokenFile !== undefined) headers.Authorization = `Bearer ${this.tokenFile.get()}`;
  }
}

/** The full client-node KubeConfig, for the auth providers and proxies only it implements. */
async function clientNodeAccess(file: string, context: string | undefined): Promise<KubeAccess> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  if (context !== undefined) kc.setCurrentContext(context);
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error(`kubeconfig ${file}: no current cluster`);
  return { server: cluster.server.replace(/\/+$/, ''), apply: (opts) => kc.applyToHTTPSOptions(opts) };
}

function needsClientNode(cluster: Cluster, user: User): boolean {
  if (cluster.proxyUrl) return true;
  const provider: unknown = user.authProvider;
  if (typeof provider !== 'object' || provider === null) return false;
  const name = (provider as { name?: unknown }).name;
  // exec providers are served directly; oidc, azure and gcp are not.
  return name !== 'exec' && !new ExecAuth().isAuthProvider(user);
}

/** The `tokenFile` (client-go) or `token-file` of a kubeconfig user entry, as written. */
function rawTokenFile(users: unknown, name: string): string | undefined {
  if (!Array.isArray(users)) return undefined;
  for (const u of users as unknown[]) {
    if (typeof u !== 'object' || u === null || (u as { name?: unknown }).name !== name) continue;
    const user = (u as { user?: unknown }).user;
    if (typeof user !== 'object' || user === null) return undefined;
    const f = (user as Record<string, unknown>).tokenFile ?? (user as Record<string, unknown>)['token-file'];
    return typeof f === 'string' && f !== '' ? f : undefined;
  }
  return undefined;
}

async function fromFile(file: string, context: string | undefined): Promise<KubeAccess> {
  let doc: unknown;
  try {
    doc = load(readFileSync(file, 'utf8'), { schema: CORE_SCHEMA });
  } catch (e) {
    throw new Error(`kubeconfig ${file}: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error(`kubeconfig ${file}: not a kubeconfig (expected a YAML mapping)`);
  const raw = doc as { clusters?: unknown; users?: unknown; contexts?: unknown; 'current-context'?: unknown };
  let clusters: Cluster[];
  let users: User[];
  let contexts: ReturnType<typeof newContexts>;
  try {
    clusters = newClusters(raw.clusters);
    users = newUsers(raw.users);
    contexts = newContexts(raw.contexts);
  } catch (e) {
    throw new Error(`kubeconfig ${file}: ${(e as Error).message}`);
  }
  const wanted = context ?? (typeof raw['current-context'] === 'string' ? raw['current-context'] : undefined);
  if (wanted === undefined || wanted === '') throw new Error(`kubeconfig ${file}: no current-context; name one: kubeconfig ${file} CONTEXT`);
  const ctx = contexts.find((c) => c.name === wanted);
  if (ctx === undefined) throw new Error(`kubeconfig ${file}: no context named "${wanted}"`);
  const cluster = clusters.find((c) => c.name === ctx.cluster);
  if (cluster === undefined) throw new Error(`kubeconfig ${file}: context "${wanted}" names cluster "${ctx.cluster}", which is not defined`);
  const user = users.find((u) => u.name === ctx.user);
  if (user === undefined) throw new Error(`kubeconfig ${file}: context "${wanted}" names user "${ctx.user}", which is not defined`);
  if (needsClientNode(cluster, user)) return clientNodeAccess(file, wanted);
  const root = path.dirname(path.resolve(file));
  const caFile = absolute(root, cluster.caFile);
  const certFile = absolute(root, user.certFile);
  const keyFile = absolute(root, user.keyFile);
  // client-node reads `token-file` once, relative to the working folder, and ignores client-go's
  // `tokenFile`: both are read here, relative to the kubeconfig, and re-read as they rotate.
  const tokenPath = absolute(root, rawTokenFile(raw.users, ctx.user));
  const { token: _readOnce, ...rest } = user;
  return new DirectAccess(
    { ...cluster, ...(caFile === undefined ? {} : { caFile }) },
    { ...(tokenPath === undefined ? user : rest), ...(certFile === undefined ? {} : { certFile }), ...(keyFile === undefined ? {} : { keyFile }) },
    tokenPath === undefined ? undefined : new TokenFile(tokenPath),
  );
}

function inCluster(env: NodeJS.ProcessEnv, saDir: string): KubeAccess {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new Error(
      'not running in a Kubernetes Pod (KUBERNETES_SERVICE_HOST/PORT are unset): use `kubeconfig PATH [CONTEXT]` to reach a cluster, or `manifests PATH...` to serve files',
    );
  }
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return new DirectAccess(
    { name: 'in-cluster', server, caFile: path.join(saDir, 'ca.crt'), skipTLSVerify: false },
    { name: 'in-cluster' },
    new TokenFile(path.join(saDir, 'token')),
  );
}

export async function loadKubeAccess(
  kubeconfig: { path: string; context?: string } | undefined,
  env: NodeJS.ProcessEnv = process.env,
  saDir = SA_DIR,
): Promise<KubeAccess> {
  return kubeconfig === undefined ? inCluster(env, saDir) : fromFile(kubeconfig.path, kubeconfig.context);
}
