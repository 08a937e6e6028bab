/**
 * The HTTP side of the Kubernetes source: JSON GETs and watch streams against the API server,
 * authenticated by @kubernetes/client-node's KubeConfig (in-cluster token files, client
 * certificates, exec plugins, proxies). Lists and watches are issued by hand rather than through
 * the generated clients or informers: the informers cache whole objects, cannot time out a
 * silent stream, and stop for good on some errors (libraries.md section 2.4), and the typed
 * clients turn every object into class instances only to be thrown away by the trim.
 *
 * It also tracks whether the API server is reachable at all. When a request fails at the
 * connection level, one probe polls `/readyz` every second and wakes every waiting watcher the
 * moment the server is back, so an outage longer than the backoff cap does not add up to 30 s
 * of blindness after the server returns.
 */
import type http from 'node:http';
import { nodeHttp } from '../../../src/server/node-http.js';
import https from 'node:https';
import type { KubeAccess } from './kube-access.js';

/** A failed request, with what the retry logic needs to decide. */
export class ApiError extends Error {
  constructor(
    message: string,
    /** HTTP status; 0 when the request never got a response (connection refused, reset, timeout). */
    readonly status: number,
  ) {
    super(message);
  }

  get unreachable(): boolean {
    return this.status === 0;
  }
}

/** One line of a watch stream. */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: Record<string, unknown>;
}

export interface WatchHandle {
  /** Resolves when the server ends the stream, rejects on any failure or `abort`. */
  readonly done: Promise<void>;
  abort(): void;
}

/** An HTTP status of a Kubernetes `Status` object (watch ERROR events, error bodies). */
export function statusCode(obj: unknown): number {
  if (typeof obj !== 'object' || obj === null) return 0;
  const code = (obj as { code?: unknown }).code;
  return typeof code === 'number' ? code : 0;
}

function statusMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not a Status object; fall through to the raw text
  }
  return body.slice(0, 200);
}

export interface KubeApiOptions {
  /** Socket idle time after which a GET (one list page) is abandoned. */
  readonly requestTimeoutMs?: number;
  /** Period of the reachability probe while the server is down. */
  readonly probeIntervalMs?: number;
}

export class KubeApi {
  readonly server: string;
  private readonly requestTimeoutMs: number;
  private readonly probeIntervalMs: number;
  private down = false;
  private probeTimer: NodeJS.Timeout | undefined;
  private readonly backUp = new Set<() => void>();
  private stopped = false;

  constructor(
    private readonly access: KubeAccess,
    opts: KubeApiOptions = {},
  ) {
    this.server = access.server;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 60_000;
    this.probeIntervalMs = opts.probeIntervalMs ?? 1000;
  }

  /**
   * GET a JSON document; resolves with any HTTP status, rejects only when there is no complete
   * response (or `signal` aborts it).
   */
  async get(path: string, query: Record<string, string> = {}, signal?: AbortSignal): Promise<{ status: number; body: unknown; text: string }> {
    const res = await this.request(path, query, this.requestTimeoutMs, signal);
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of res) chunks.push(chunk as Buffer);
    } catch (e) {
      if (signal?.aborted) throw new ApiError(`GET ${path}: aborted`, 0);
      this.markDown();
      throw new ApiError(`GET ${path}: ${(e as Error).message}`, 0);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) return { status, body: undefined, text: statusMessage(text) };
    try {
      return { status, body: JSON.parse(text) as unknown, text: '' };
    } catch (e) {
      throw new ApiError(`GET ${path}: malformed JSON: ${(e as Error).message}`, status);
    }
  }

  /**
   * Opens a watch. Events are delivered synchronously in stream order; a stream with no bytes
   * for `idleMs` (no events and no bookmarks) is taken as dead.
   */
  watch(path: string, query: Record<string, string>, idleMs: number, onEvent: (ev: WatchEvent) => void, onOpen?: () => void): WatchHandle {
    const controller = new AbortController();
    const aborted = () => controller.signal.aborted;
    const run = async (): Promise<void> => {
      const res = await this.request(path, query, idleMs, controller.signal);
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        const chunks: Buffer[] = [];
        for await (const chunk of res) chunks.push(chunk as Buffer);
        throw new ApiError(`watch ${path}: HTTP ${status}: ${statusMessage(Buffer.concat(chunks).toString('utf8'))}`, status);
      }
      onOpen?.();
      // Lines are split by hand: one event can span many chunks, and one chunk many events.
      let pending = '';
      for await (const chunk of res) {
        const text = pending + (chunk as Buffer).toString('utf8');
        let start = 0;
        for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
          const line = text.slice(start, nl);
          start = nl + 1;
          if (line.trim() === '') continue;
          let ev: WatchEvent;
          try {
            ev = JSON.parse(line) as WatchEvent;
          } catch (e) {
            throw new ApiError(`watch ${path}: malformed event: ${(e as Error).message}`, 200);
          }
          if (ev.type === 'ERROR') {
            const code = statusCode(ev.object);
            const msg = typeof ev.object?.message === 'string' ? ev.object.message : 'error event';
            throw new ApiError(`watch ${path}: ${msg}`, code || 500);
          }
          onEvent(ev);
        }
        pending = text.slice(start);
      }
    };
    const done = run().catch((e: unknown) => {
      if (e instanceof ApiError) throw e;
      // A stream cut after its headers: reset, killed server, or the idle timer.
      const err = new ApiError(`watch ${path}: ${aborted() ? 'aborted' : (e as Error).message}`, 0);
      if (!aborted()) this.markDown();
      throw err;
    });
    return {
      done,
      abort: () => controller.abort(),
    };
  }

  /** Calls `cb` once, the next time the server is found reachable after being down; returns a cancel. */
  onBackUp(cb: () => void): () => void {
    this.backUp.add(cb);
    return () => this.backUp.delete(cb);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    this.wakeAll();
  }

  private wakeAll(): void {
    const waiting = [...this.backUp];
    this.backUp.clear();
    for (const cb of waiting) cb();
  }

  private markDown(): void {
    if (this.down || this.stopped) return;
    this.down = true;
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      void this.probe();
    }, this.probeIntervalMs);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    if (this.stopped) return;
    try {
      // Any answer but a 5xx means the server is there; /readyz is 500 while it starts.
      const res = await this.request('/readyz', {}, 2000, undefined, false);
      res.resume();
      if ((res.statusCode ?? 500) < 500) {
        this.down = false;
        this.wakeAll();
        return;
      }
    } catch {
      // still down
    }
    if (!this.stopped) this.scheduleProbe();
  }

  private async request(path: string, query: Record<string, string>, idleMs: number, signal?: AbortSignal, track = true): Promise<http.IncomingMessage> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const opts: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
    await this.access.apply(opts);
    if (signal?.aborted) throw new ApiError(`GET ${path}: aborted`, 0);
    return new Promise<http.IncomingMessage>((resolve, reject) => {
      const mod = url.protocol === 'http:' ? nodeHttp : https;
      const req = mod.request(url, opts, (res) => {
        // The idle timer keeps watching the body: a stream that stops mid-way is dead too.
        res.on('error', () => undefined);
        resolve(res);
      });
      const onAbort = () => req.destroy(new ApiError(`GET ${path}: aborted`, 0));
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('close', () => signal?.removeEventListener('abort', onAbort));
      req.setTimeout(idleMs, () => req.destroy(new ApiError(`GET ${path}: no data for ${idleMs} ms`, 0)));
      req.on('socket', (s) => s.setKeepAlive(true, 15_000));
      req.on('error', (e) => {
        const err = e instanceof ApiError ? e : new ApiError(`GET ${path}: ${e.message}`, 0);
        if (track && err.unreachable && !signal?.aborted) this.markDown();
        reject(err);
      });
      req.end();
    });
  }
}
