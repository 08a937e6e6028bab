// A small Kubernetes REST client for the bench (plain .mjs, no TypeScript): keep-alive HTTPS with
// the credentials of a kubeconfig written by scripts/testbed.mjs (embedded client certificate and
// key, or a bearer token, and the embedded CA). JSON in, JSON out; every request reports when it
// started and when its response had been read completely (performance.now() milliseconds).
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { load as yamlLoad } from 'js-yaml';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A client for the current context of `kubeconfigPath`. `maxSockets` bounds the connections of
 * its own keep-alive agent (one TLS handshake per connection, then reused).
 */
export function kubeClient(kubeconfigPath, { maxSockets = 64 } = {}) {
  const kc = yamlLoad(readFileSync(kubeconfigPath, 'utf8'));
  const ctx = kc.contexts.find((c) => c.name === kc['current-context'])?.context ?? kc.contexts[0].context;
  const cluster = kc.clusters.find((c) => c.name === ctx.cluster).cluster;
  const user = kc.users.find((u) => u.name === ctx.user).user;
  const b64 = (s) => (s ? Buffer.from(s, 'base64') : undefined);
  const server = new URL(cluster.server);
  const tls = {
    ca: b64(cluster['certificate-authority-data']),
    cert: b64(user['client-certificate-data']),
    key: b64(user['client-key-data']),
  };
  const agent = new https.Agent({ keepAlive: true, maxSockets, ...tls });
  const auth = user.token ? { Authorization: `Bearer ${user.token}` } : {};

  /** One request; resolves whatever the status (JSON bodies parsed), rejects on connection errors. */
  function request(method, path, body, contentType = 'application/json', { timeoutMs = 60_000 } = {}) {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const headers = { Accept: 'application/json', ...auth };
    if (payload !== undefined) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = Buffer.byteLength(payload);
    }
    return new Promise((resolve, reject) => {
      const tStart = performance.now();
      const req = https.request(
        { host: server.hostname, port: server.port, path, method, headers, agent, ...tls },
        (res) => {
          const chunks = [];
          res.on('data', (d) => chunks.push(d));
          res.on('error', reject);
          res.on('end', () => {
            const tEnd = performance.now();
            const buf = Buffer.concat(chunks);
            let parsed;
            if (buf.length && (res.headers['content-type'] ?? '').includes('json')) {
              try {
                parsed = JSON.parse(buf.toString('utf8'));
              } catch {
                parsed = undefined;
              }
            }
            resolve({ status: res.statusCode, body: parsed, bytes: buf.length, tStart, tEnd, retryAfter: Number(res.headers['retry-after'] ?? 0) });
          });
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: timeout after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * request() with retries for what a busy API server or a recycled keep-alive connection may do
   * (429, 5xx, connection reset); `ok` lists the statuses that count as success.
   */
  async function call(method, path, body, contentType, ok = [200, 201]) {
    let last;
    for (let attempt = 0; attempt < 6; attempt++) {
      try {
        const r = await request(method, path, body, contentType);
        if (ok.includes(r.status)) return r;
        last = new Error(`${method} ${path}: HTTP ${r.status}: ${r.body?.message ?? ''}`);
        if (r.status !== 429 && r.status < 500) throw last;
        await sleep(r.retryAfter ? r.retryAfter * 1000 : 100 * 2 ** attempt);
      } catch (e) {
        if (e === last) throw e;
        last = e;
        await sleep(100 * 2 ** attempt);
      }
    }
    throw last;
  }

  /** Every item of a collection, read in pages of `limit` like a reflector's list. */
  async function listAll(path, { limit = 500, labelSelector } = {}) {
    const items = [];
    let cont = '';
    let pages = 0;
    let bytes = 0;
    let resourceVersion = '';
    do {
      const q = new URLSearchParams({ limit: String(limit) });
      if (cont) q.set('continue', cont);
      if (labelSelector) q.set('labelSelector', labelSelector);
      const r = await call('GET', `${path}?${q}`);
      pages++;
      bytes += r.bytes;
      for (const it of r.body.items) items.push(it);
      cont = r.body.metadata?.continue ?? '';
      resourceVersion = r.body.metadata?.resourceVersion ?? '';
    } while (cont);
    return { items, pages, bytes, resourceVersion };
  }

  return { server: server.href, request, call, listAll, close: () => agent.destroy() };
}

/** Runs fn(item, index) over items with at most `n` in flight; `onProgress(done)` after each. */
export async function pool(items, n, fn, onProgress) {
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < items.length) {
      const k = next++;
      await fn(items[k], k);
      done++;
      onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}
