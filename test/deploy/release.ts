/**
 * A rendered chart release on the kube testbed: its objects applied (server-side, so the
 * apiserver validates them), a kubeconfig holding a TokenRequest token of the chart's
 * ServiceAccount, and exdns run out of the cluster with the chart's own Corefile (plus a
 * `kubeconfig` line), on free ports that the release was rendered with.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { waitReady, type Exdns } from '../e2e-kube/harness.js';
import { buildIfStale, Daemon, freePort, root, sleep } from '../exdns-process.js';
import { KubeClient, type KubeObject, type Testbed } from '../testbed/client.js';
import { withKubeconfig, writeConfig, type Collection, type Rendered } from './chart.js';

export interface Ports {
  dns: number;
  health: number;
  ready: number;
  metrics: number;
}

export async function freePorts(): Promise<Ports> {
  const ports = new Set<number>();
  while (ports.size < 4) ports.add(await freePort());
  const [dns, health, ready, metrics] = [...ports] as [number, number, number, number];
  return { dns, health, ready, metrics };
}

/** Values that put the release's listeners on these ports (the Pod uses 1053/8080/8181/9153). */
export function portValues(p: Ports): Record<string, unknown> {
  return { ports: { dns: p.dns, health: p.health, ready: p.ready }, metrics: { port: p.metrics } };
}

/** Server-side apply of every rendered object, in order; returns them as the server has them. */
export async function applyRendered(tb: Testbed, r: Rendered): Promise<KubeObject[]> {
  return tb.admin.apply(r.objects);
}

/**
 * A kubeconfig for the release's ServiceAccount (a TokenRequest token, 1 h), written to `file`,
 * and a client using it. Waits until the token can do `probe` (RBAC bindings reach the
 * authorizer through its informers, a moment after they are written).
 */
export async function serviceAccountClient(tb: Testbed, r: Rendered, file: string, probe: string): Promise<KubeClient> {
  const deployment = r.find('Deployment');
  const sa = (deployment.spec as { template: { spec: { serviceAccountName: string } } }).template.spec.serviceAccountName;
  const tr = (await tb.admin.call('POST', `/api/v1/namespaces/${r.namespace}/serviceaccounts/${sa}/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  })) as { status?: { token?: string } };
  const token = tr.status?.token;
  if (!token) throw new Error(`TokenRequest for ${r.namespace}/${sa} returned no token`);
  const cluster = tb.kc.getCurrentCluster();
  if (!cluster?.caData) throw new Error('the admin kubeconfig has no certificate-authority-data');
  const user = `system:serviceaccount:${r.namespace}:${sa}`;
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
- name: testbed
  cluster:
    server: ${cluster.server}
    certificate-authority-data: ${cluster.caData}
users:
- name: ${user}
  user:
    token: ${token}
contexts:
- name: testbed
  context:
    cluster: testbed
    user: ${user}
current-context: testbed
`,
    { mode: 0o600 },
  );
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  const client = new KubeClient(kc);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const s = (await client.request('GET', probe, { query: { limit: '1' } })).status;
    if (s === 200 || s === 404) return client;
    if (Date.now() > deadline) throw new Error(`${user}: GET ${probe} still HTTP ${s} after 30 s`);
    await sleep(200);
  }
}

export function collectionUrl(c: Collection): string {
  return c.group === '' ? `/api/${c.version}/${c.plural}` : `/apis/${c.group}/${c.version}/${c.plural}`;
}

/** HTTP status of a cluster-wide list and of a (1 s) watch of a collection. */
export async function access(client: KubeClient, c: Collection): Promise<{ list: number; watch: number }> {
  const url = collectionUrl(c);
  const list = (await client.request('GET', url, { query: { limit: '1' } })).status;
  const watch = (await client.request('GET', url, { query: { watch: 'true', timeoutSeconds: '1' }, timeoutMs: 15_000 })).status;
  return { list, watch };
}

/** Runs exdns with the release's Corefile (customConfig files beside it) reading the cluster through `kubeconfig`. */
export async function startRelease(r: Rendered, ports: Ports, kubeconfig: string, opts: { readyTimeoutMs?: number } = {}): Promise<Exdns> {
  buildIfStale();
  const dir = mkdtempSync(path.join(tmpdir(), `exdns-deploy-${r.release}-`));
  const file = writeConfig(r, dir, withKubeconfig(r.corefile, kubeconfig));
  // The image runs the `exdns` bin, whose shebang passes --max-semi-space-size.
  const daemon = new Daemon(['-conf', file], { cwd: root, nodeArgs: ['--max-semi-space-size=8'] });
  const exdns: Exdns = {
    daemon,
    dnsPort: ports.dns,
    readyPort: ports.ready,
    metricsPort: ports.metrics,
    stop: async () => {
      daemon.kill('SIGTERM');
      const t = setTimeout(() => daemon.kill('SIGKILL'), 8000);
      await daemon.exited;
      clearTimeout(t);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const t0 = Date.now();
  try {
    await waitReady(exdns, opts.readyTimeoutMs ?? 30_000);
  } catch (e) {
    // Which kinds have not synced yet, in the words of /ready and the metrics.
    const ready = await fetch(`http://127.0.0.1:${ports.ready}/ready`).then((x) => x.text()).catch((x: Error) => x.message);
    const synced = await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)
      .then((x) => x.text())
      .then((t) => t.split('\n').filter((l) => l.startsWith('exdns_source_synced')).join('\n'))
      .catch((x: Error) => x.message);
    await exdns.stop();
    throw new Error(`${(e as Error).message}\n--- /ready: ${ready}\n--- ${synced}`);
  }
  const ms = Date.now() - t0;
  if (ms > 10_000) console.warn(`exdns ${r.release}: ready after ${(ms / 1000).toFixed(1)} s\n${daemon.output.slice(-3000)}`);
  return exdns;
}

/** /health of a started release (the liveness probe's endpoint). */
export async function health(ports: Ports): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${ports.health}/health`)).status;
  } catch {
    return 0;
  }
}
