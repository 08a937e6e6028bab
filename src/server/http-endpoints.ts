/**
 * HTTP listeners shared by the operational plugins (health, ready, prometheus). Several server
 * blocks may use one address, and a reload registers the new handlers before the old ones go,
 * so an endpoint never blinks during a reload (CoreDNS issues #1473, #2339).
 */
import type http from 'node:http';
import { nodeHttp } from './node-http.js';
import type { AddressInfo } from 'node:net';

export type RouteHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

interface Listener {
  server: http.Server;
  routes: Map<string, { handler: RouteHandler; token: symbol }>;
  ready: Promise<void>;
}

/** Splits "host:port", ":port", "[v6]:port"; empty host means every address. */
export function splitHostPort(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(addr);
  if (!m) throw new Error(`invalid address ${JSON.stringify(addr)}: expected HOST:PORT or :PORT`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid port in ${JSON.stringify(addr)}`);
  return { host: m[1] ?? m[2] ?? '', port };
}

export class HttpEndpoints {
  private readonly listeners = new Map<string, Listener>();

  /**
   * Serves `path` on `addr` with `handler`; resolves once listening (rejects when the port
   * cannot be bound). Returns a function that removes this route, closing the listener when it
   * was the last one.
   */
  async route(addr: string, path: string, handler: RouteHandler): Promise<() => Promise<void>> {
    const { host, port } = splitHostPort(addr);
    const key = `${host}|${port}`;
    let l = this.listeners.get(key);
    if (l === undefined) {
      const server = nodeHttp.createServer((req, res) => this.dispatch(key, req, res));
      server.keepAliveTimeout = 5000;
      const ready = new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port, host: host === '' ? undefined : host }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      l = { server, routes: new Map(), ready };
      this.listeners.set(key, l);
      try {
        await ready;
      } catch (e) {
        this.listeners.delete(key);
        throw new Error(`listen tcp ${addr}: ${(e as Error).message}`);
      }
    } else {
      await l.ready;
    }
    const token = Symbol(path);
    l.routes.set(path, { handler, token });
    const listener = l;
    return async () => {
      if (listener.routes.get(path)?.token !== token) return;
      listener.routes.delete(path);
      if (listener.routes.size === 0 && this.listeners.get(key) === listener) {
        this.listeners.delete(key);
        await new Promise<void>((r) => {
          listener.server.close(() => r());
          listener.server.closeAllConnections();
        });
      }
    };
  }

  /** Bound port of an address (tests use port 0). */
  port(addr: string): number | undefined {
    const { host, port } = splitHostPort(addr);
    const l = this.listeners.get(`${host}|${port}`);
    return (l?.server.address() as AddressInfo | null)?.port;
  }

  private dispatch(key: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = (req.url ?? '/').split('?')[0]!;
    const route = this.listeners.get(key)?.routes.get(url);
    if (route === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    Promise.resolve()
      .then(() => route.handler(req, res))
      .catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(String((e as Error)?.message ?? e));
      });
  }

  async closeAll(): Promise<void> {
    const all = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(
      all.map(
        (l) =>
          new Promise<void>((r) => {
            l.server.close(() => r());
            l.server.closeAllConnections();
          }),
      ),
    );
  }
}
