/**
 * Helpers shared by the HTTP endpoint plugins (health, ready, prometheus): the `[ADDR]` argument
 * and CoreDNS's address check, and a reference-counted route so several server blocks, or the old
 * and the new configuration during a reload, can hold one path on one address without the
 * endpoint blinking (CoreDNS issues #1473, #2339).
 */
import type { Dispenser } from '../../src/corefile/dispenser.js';
import { type HttpEndpoints, type RouteHandler, splitHostPort } from '../../src/server/http-endpoints.js';

/**
 * Validates a listen address the way Go's net.SplitHostPort does (same error texts), and then
 * requires a numeric port, which is what our listeners can bind. Throws Error.
 */
export function checkListenAddr(addr: string): void {
  const fail = (why: string): never => {
    throw new Error(`address ${addr}: ${why}`);
  };
  const i = addr.lastIndexOf(':');
  if (i < 0) fail('missing port in address');
  let from = 0; // where "[" may no longer appear
  let after = 0; // where "]" may no longer appear
  if (addr.startsWith('[')) {
    const end = addr.indexOf(']');
    if (end < 0) fail("missing ']' in address");
    if (end + 1 === addr.length) fail('missing port in address');
    if (end + 1 !== i) fail(addr[end + 1] === ':' ? 'too many colons in address' : 'missing port in address');
    from = 1;
    after = end + 1;
  } else if (addr.slice(0, i).includes(':')) {
    fail('too many colons in address');
  }
  if (addr.indexOf('[', from) >= 0) fail("unexpected '[' in address");
  if (addr.indexOf(']', after) >= 0) fail("unexpected ']' in address");
  if (!/^\d{1,5}$/.test(addr.slice(i + 1)) || Number(addr.slice(i + 1)) > 65535) fail('invalid port');
  splitHostPort(addr); // agrees with the listener's own parser
}

interface Holder {
  readonly handler: RouteHandler;
}

interface SharedRoute {
  /** Current holders, oldest first; the newest answers. */
  readonly holders: Holder[];
  routed: Promise<() => Promise<void>>;
}

const tables = new WeakMap<HttpEndpoints, Map<string, SharedRoute>>();

/**
 * Serves `path` on `addr` with `handler` for as long as the returned release function has not
 * been called. Several holders may hold the same address and path: the route is registered
 * once, the most recent holder answers, and the route goes away with the last release.
 * Rejects when the address cannot be bound.
 */
export async function holdRoute(
  http: HttpEndpoints,
  addr: string,
  path: string,
  handler: RouteHandler,
): Promise<() => Promise<void>> {
  const { host, port } = splitHostPort(addr);
  const key = `${host}|${port}|${path}`;
  let table = tables.get(http);
  if (table === undefined) {
    table = new Map();
    tables.set(http, table);
  }
  const holder: Holder = { handler };
  let entry = table.get(key);
  if (entry === undefined) {
    const e: SharedRoute = { holders: [], routed: Promise.resolve(async () => {}) };
    e.routed = http.route(addr, path, (req, res) => {
      const current = e.holders[e.holders.length - 1];
      if (current === undefined) {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('Service Unavailable');
        return;
      }
      return current.handler(req, res);
    });
    entry = e;
    table.set(key, e);
  }
  const shared = entry;
  shared.holders.push(holder);
  try {
    await shared.routed;
  } catch (err) {
    const i = shared.holders.indexOf(holder);
    if (i >= 0) shared.holders.splice(i, 1);
    if (table.get(key) === shared) table.delete(key);
    throw err;
  }
  const owner = table;
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    const i = shared.holders.indexOf(holder);
    if (i >= 0) shared.holders.splice(i, 1);
    if (shared.holders.length === 0 && owner.get(key) === shared) {
      owner.delete(key);
      const remove = await shared.routed;
      await remove();
    }
  };
}

/**
 * The optional `[ADDR]` argument of health, ready and prometheus: the address given, checked,
 * or `current` when the line has none.
 */
export function listenAddrArg(c: Dispenser, current: string): string {
  const args = c.remainingArgs();
  if (args.length > 1) throw c.argErr();
  if (args.length === 0) return current;
  checkListenAddr(args[0]!);
  return args[0]!;
}
