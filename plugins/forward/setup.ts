/**
 * `forward FROM TO... { ... }`, every occurrence of a block, into typed configurations, with
 * CoreDNS's error texts (plugin/forward/setup.go). Options exdns does not implement (DNS over
 * TLS and HTTPS, host-name upstreams) are rejected with an explanation rather than ignored.
 */
import type { Dispenser } from '../../src/corefile/dispenser.js';
import { isDomainName, normalizeHostExact } from '../../src/corefile/address.js';
import { CorefileError } from '../../src/corefile/types.js';
import { formatDuration, parseDuration } from '../../src/plugin/duration.js';
import type { PluginDefinition } from '../../src/plugin/plugin.js';
import { normalizeName } from '../../src/wire/name.js';
import { log } from '../../src/log.js';
import { DEFAULTS, type ForwardConfig, MAX_UPSTREAMS } from './config.js';
import { NAME } from './forward.js';
import { ForwardInstance } from './instance.js';
import type { PolicyName } from './policy.js';
import { rcodeByName } from '../../src/wire/constants.js';
import { parseTo, type ReadFile } from './to.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Options of CoreDNS's forward that exdns refuses, and why. */
const UNSUPPORTED: ReadonlyMap<string, string> = new Map([
  ['tls', 'exdns forwards over plain DNS (UDP and TCP) only, not DNS over TLS'],
  ['tls_servername', 'exdns forwards over plain DNS (UDP and TCP) only, not DNS over TLS'],
  ['doh_method', 'exdns forwards over plain DNS (UDP and TCP) only, not DNS over HTTPS'],
  ['resolver', 'exdns does not resolve host names in TO: use IP addresses'],
  ['resolve_upstream', 'exdns does not resolve host names in TO: use IP addresses'],
  ['max_age', 'not implemented by exdns: connections close after `expire` without traffic'],
  ['fallthrough', 'not implemented by exdns: use `except` to pass names to the next plugin'],
]);

const POLICIES: ReadonlySet<string> = new Set<PolicyName>(['random', 'round_robin', 'sequential']);

/** Go's strconv.ParseUint(s, 10, 32). */
function parseUint32(c: Dispenser): number {
  const s = c.val();
  if (!/^[0-9]+$/.test(s)) throw c.err(`strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = Number(s);
  if (n > 0xffffffff) throw c.err(`strconv.ParseUint: parsing ${JSON.stringify(s)}: value out of range`);
  return n;
}

/** Go's strconv.Atoi. */
function atoi(c: Dispenser): number {
  const s = c.val();
  if (!/^[+-]?[0-9]+$/.test(s)) throw c.err(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw c.err(`strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`);
  return n;
}

function duration(c: Dispenser): number {
  try {
    return parseDuration(c.val());
  } catch (e) {
    throw c.err((e as Error).message);
  }
}

function rcodes(c: Dispenser): number[] {
  const args = c.remainingArgs();
  if (args.length === 0) throw c.argErr();
  return args.map((a) => {
    const rc = rcodeByName(a);
    if (rc === undefined) throw c.err(`${a} is not a valid rcode`);
    return rc;
  });
}

function noArgs(c: Dispenser): void {
  if (c.nextArg()) throw c.argErr();
}

function parseOption(c: Dispenser, f: Mutable<ForwardConfig>): void {
  const opt = c.val();
  const unsupported = UNSUPPORTED.get(opt);
  if (unsupported !== undefined) throw c.err(`${opt} is not supported: ${unsupported}`);
  switch (opt) {
    case 'except': {
      const names = c.remainingArgs();
      if (names.length === 0) throw c.argErr();
      f.ignored = [...f.ignored, ...names.flatMap((n) => normalizeHostExact(n))];
      return;
    }
    case 'max_fails':
      if (!c.nextArg()) throw c.argErr();
      f.maxFails = parseUint32(c);
      return;
    case 'max_connect_attempts':
      if (!c.nextArg()) throw c.argErr();
      f.maxConnectAttempts = parseUint32(c);
      return;
    case 'health_check': {
      if (!c.nextArg()) throw c.argErr();
      const ms = duration(c);
      if (ms < 0) throw c.err(`health_check can't be negative: ${Math.round(ms * 1e6)}`);
      const health = { intervalMs: ms, domain: '.', recursionDesired: f.health.recursionDesired };
      while (c.nextArg()) {
        const o = c.val();
        if (o === 'no_rec') health.recursionDesired = false;
        else if (o === 'domain') {
          if (!c.nextArg()) throw c.argErr();
          const d = c.val();
          if (!isDomainName(d)) throw c.err(`health_check: invalid domain name ${d}`);
          health.domain = normalizeName(d);
        } else throw c.err(`health_check: unknown option ${o}`);
      }
      f.health = health;
      return;
    }
    case 'force_tcp':
      noArgs(c);
      f.forceTcp = true;
      return;
    case 'prefer_udp':
      noArgs(c);
      f.preferUdp = true;
      return;
    case 'expire': {
      if (!c.nextArg()) throw c.argErr();
      const ms = duration(c);
      if (ms < 0) throw c.err(`expire can't be negative: ${formatDuration(ms)}`);
      f.expireMs = ms;
      return;
    }
    case 'max_idle_conns': {
      if (!c.nextArg()) throw c.argErr();
      const n = atoi(c);
      if (n < 0) throw c.err(`max_idle_conns can't be negative: ${n}`);
      f.maxIdleConns = n;
      return;
    }
    case 'policy': {
      if (!c.nextArg()) throw c.argErr();
      const p = c.val();
      if (!POLICIES.has(p)) throw c.err(`unknown policy '${p}'`);
      f.policy = p as PolicyName;
      return;
    }
    case 'max_concurrent': {
      if (!c.nextArg()) throw c.argErr();
      const n = atoi(c);
      if (n < 0) throw c.err(`max_concurrent can't be negative: ${n}`);
      f.maxConcurrent = n;
      return;
    }
    case 'next':
      f.next = [...f.next, ...rcodes(c)];
      return;
    case 'next_on_nodata':
      noArgs(c);
      f.nextOnNodata = true;
      return;
    case 'failfast_all_unhealthy_upstreams':
      if (c.remainingArgs().length !== 0) throw c.argErr();
      f.failfast = true;
      return;
    case 'failover': {
      const codes = rcodes(c);
      if (codes.includes(0)) throw c.err('NoError cannot be used in failover');
      f.failover = [...f.failover, ...codes];
      return;
    }
    default:
      throw c.unknownProperty();
  }
}

/** One `forward FROM TO... [{ ... }]`; the cursor is on the directive name. */
function parseStanza(c: Dispenser, read: ReadFile | undefined, warn: (msg: string) => void): ForwardConfig {
  if (!c.nextArg()) throw c.argErr();
  const fromArg = c.val();
  const zones = normalizeHostExact(fromArg);
  if (zones.length === 0) throw c.err(`unable to normalize '${fromArg}'`);
  if (zones.length > 1) warn(`Unsupported CIDR notation: '${fromArg}' expands to multiple zones. Using only '${zones[0]}'.`);
  const to = c.remainingArgs();
  if (to.length === 0) throw c.argErr();
  let upstreams;
  try {
    upstreams = parseTo(to, read);
  } catch (e) {
    throw c.err((e as Error).message);
  }
  const f: Mutable<ForwardConfig> = { ...DEFAULTS, from: zones[0]!, upstreams };
  while (c.nextBlock()) parseOption(c, f);
  return f;
}

/**
 * Every `forward` of a block, in Corefile order. `read` reads resolv.conf files; `warn` gets
 * non-fatal problems. Throws CorefileError with CoreDNS's texts.
 */
export function parse(c: Dispenser, read?: ReadFile, warn: (msg: string) => void = (m) => log.warning(`plugin/forward: ${m}`)): ForwardConfig[] {
  const out: ForwardConfig[] = [];
  while (c.next()) out.push(parseStanza(c, read, warn));
  for (const f of out) {
    if (f.upstreams.length > MAX_UPSTREAMS) throw new CorefileError(`more than ${MAX_UPSTREAMS} TOs configured: ${f.upstreams.length}`);
  }
  return out;
}

export const plugin: PluginDefinition = {
  name: NAME,
  setup(c) {
    return new ForwardInstance(parse(c));
  },
};
