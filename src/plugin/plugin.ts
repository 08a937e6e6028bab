/**
 * The plugin contract. A plugin is a definition registered under its directive name: `setup`
 * parses the directive (all its occurrences in one server block) into a typed config with
 * precise errors and returns an instance. Instances do no I/O until `start`.
 */
import type { Dispenser } from '../corefile/dispenser.js';
import type { Logger } from '../log.js';
import type { Request } from './request.js';
import type { Query } from '../wire/query.js';
import type { PreparedReply } from '../wire/reply.js';
import type { ResponseWriter } from './writer.js';
import type { Registry } from 'prom-client';
import type { HttpEndpoints } from '../server/http-endpoints.js';

export interface Handler {
  readonly name: string;
  /**
   * Answers (writes through `w`) or passes to the next handler. Returns an rcode: SERVFAIL,
   * REFUSED, FORMERR and NOTIMP mean "nothing written, server please write it"; anything else
   * means a reply was written. Errors to report are thrown as PluginError.
   */
  serveDNS(req: Request, w: ResponseWriter): Promise<number>;
}

/**
 * A chain head that knows, without running, the reply it would write for some queries. The
 * dispatcher then sends that reply at once: no Request, writer or promise per query, which is
 * most of the cost of a query answered from prepared bytes.
 *
 * Contract: for a query where it returns a reply, serveDNS would write exactly that reply,
 * return NOERROR and have exactly the same side effects (a cache counts its hit either way);
 * where it returns undefined it has had none, and the chain runs. Only a handler at the head of
 * the chain is asked, so plugins that observe queries (log, prometheus, errors) sit in front of
 * it and turn the shortcut off simply by being there.
 */
export interface PreparedAnswers {
  /** `server` is the listener label a Request for this query would carry. */
  preparedReply(q: Query, server: string): PreparedReply | undefined;
}

/** An error a handler reports along with its rcode (CoreDNS's `return rcode, err`). */
export class PluginError extends Error {
  constructor(
    readonly rcode: number,
    message: string,
  ) {
    super(message);
    this.name = 'PluginError';
  }
}

/** What a plugin knows about the server block it sits in. */
export interface BlockInfo {
  /** Zones of the block, lowercase FQDNs, in key order (CIDR keys expanded). */
  readonly zones: readonly string[];
  /** Raw keys as written. */
  readonly keys: readonly string[];
  /** Listener labels of the block, e.g. ["dns://:53"]. */
  readonly servers: readonly string[];
  /** Position of the block in the Corefile (0-based). */
  readonly index: number;
}

/** Readiness of one plugin instance, for the ready plugin. */
export interface ReadinessEntry {
  readonly name: string;
  ready(): boolean;
}

/** Process-wide services a plugin may use; owned by the core and kept across reloads. */
export interface PluginEnv {
  readonly http: HttpEndpoints;
  readonly metrics: Registry;
  logger(plugin: string): Logger;
  /** Every plugin instance of the running configuration that reports readiness. */
  readiness(): readonly ReadinessEntry[];
  /** True once shutdown began (ready answers 503 "Shutting down"). */
  readonly shuttingDown: boolean;
  /** Configuration control for the reload plugin. */
  readonly config: ConfigControl;
}

export interface ConfigControl {
  /** SHA-512 (hex) of the running configuration's expanded server blocks. */
  readonly hash: string;
  /** Re-reads the Corefile and returns the hash it would have (no validation, imports expanded). */
  currentHash(): Promise<string>;
  /** Reloads from the Corefile; resolves false (old config kept, failure logged and counted) when it fails. */
  reload(reason: string): Promise<boolean>;
}

export interface SetupContext {
  readonly block: BlockInfo;
  readonly env: PluginEnv;
}

/** A DNS listener of the block as bound: the kernel's port when the Corefile asked for port 0. */
export interface BoundListener {
  /** Listen address; '' is every address. */
  readonly host: string;
  readonly udpPort: number;
  readonly tcpPort: number;
}

/** What `start` learns once the DNS listeners are bound (the loop plugin probes its own). */
export interface StartContext {
  /** Listeners serving this plugin's block, in listener order. */
  readonly listeners: readonly BoundListener[];
}

export interface PluginInstance {
  /** Builds this plugin's chain handler around `next` (undefined when it is the last one). */
  handler?(next: Handler | undefined): Handler;
  /** Present when the plugin has a notion of readiness. */
  ready?(): boolean;
  /**
   * I/O starts here (listeners, watchers, timers); called after the DNS listeners are bound.
   * `ctx` is absent when no DNS listener exists (`exdns records`).
   */
  start?(ctx?: StartContext): Promise<void> | void;
  /** Called when the configuration is replaced or the process stops. */
  stop?(): Promise<void> | void;
  /** Final shutdown only, before listeners close (health's lameduck). */
  shutdown?(): Promise<void> | void;
  /** The server passes non-IN classes to blocks holding such a plugin (CoreDNS: chaos, forward). */
  readonly acceptsAnyClass?: boolean;
  /** Master-file (RFC 1035) text of the zones this plugin answers from data (`exdns records`). */
  records?(): string;
  /** Listen addresses the block is restricted to (the bind plugin). */
  readonly listenHosts?: readonly string[];
}

export interface PluginDefinition {
  readonly name: string;
  /** Once per server block (`plugin/NAME: this plugin can only be used once per Server Block`). */
  readonly once?: boolean;
  /** Parses every occurrence of the directive in one block; throws CorefileError/Error on bad input. */
  setup(c: Dispenser, ctx: SetupContext): PluginInstance;
}

/** Calls next or fails like CoreDNS's plugin.NextOrFailure. */
export async function nextOrFailure(name: string, next: Handler | undefined, req: Request, w: ResponseWriter): Promise<number> {
  if (next === undefined) throw new PluginError(2, `plugin/${name}: no next plugin found`);
  const prev = req.plugin;
  req.plugin = next.name;
  try {
    return await next.serveDNS(req, w);
  } finally {
    req.plugin = prev;
  }
}
