/**
 * From parsed server blocks to a runnable configuration: zones and listen addresses per block,
 * one plugin instance per directive per block (every occurrence handed to one setup), chains
 * built in the fixed plugin order, and CoreDNS's duplicate-address checks.
 */
import { Dispenser } from '../corefile/dispenser.js';
import { addressString, parseKey, type ZoneAddress } from '../corefile/address.js';
import { CorefileError, type ServerBlock, type Token } from '../corefile/types.js';
import type { PluginRegistry } from '../plugin/registry.js';
import type { BlockInfo, Handler, PluginEnv, PluginInstance } from '../plugin/plugin.js';

/** One plugin instance of one block. */
export interface BuiltPlugin {
  readonly name: string;
  readonly instance: PluginInstance;
}

export interface BuiltBlock {
  readonly info: BlockInfo;
  readonly addresses: readonly ZoneAddress[];
  /** Outermost first, in plugin order. */
  readonly plugins: readonly BuiltPlugin[];
  /** The chain's first handler; undefined for a block without handlers (answers REFUSED). */
  readonly chain: Handler | undefined;
  readonly acceptsAnyClass: boolean;
  /** Bind hosts; [''] means every address. */
  readonly hosts: readonly string[];
  /** `FILE:LINE` of the block's first key (blocks can come from imported files). */
  readonly origin: string;
}

/** One DNS listener (UDP + TCP on host:port) and the zones it routes. */
export interface ListenerSpec {
  /** "host|port" */
  readonly key: string;
  readonly host: string;
  readonly port: number;
  /** CoreDNS's `server` metric label, e.g. "dns://:53". */
  readonly label: string;
  readonly zones: ReadonlyMap<string, BuiltBlock>;
}

export interface BuiltConfig {
  readonly blocks: readonly BuiltBlock[];
  readonly listeners: readonly ListenerSpec[];
}

function setupError(name: string, e: unknown): Error {
  const msg = e instanceof Error ? e.message : String(e);
  const text = msg.startsWith(`plugin/${name}:`) ? msg : `plugin/${name}: ${msg}`;
  return new CorefileError(text);
}

/** Builds every block; throws CorefileError with CoreDNS's texts. Instances are not started. */
export function buildConfig(blocks: readonly ServerBlock[], registry: PluginRegistry, env: PluginEnv, defaultPort: number): BuiltConfig {
  const built: BuiltBlock[] = [];
  const created: PluginInstance[] = [];
  try {
    blocks.forEach((block, index) => {
      const addresses: ZoneAddress[] = [];
      for (const k of block.keys) {
        for (const a of parseKey(k.text, defaultPort)) {
          if (a.transport !== 'dns') {
            throw new CorefileError(`${k.file}:${k.line} - Error during parsing: ${a.transport}:// servers are not supported by exdns (only dns://)`);
          }
          addresses.push(a);
        }
      }
      const zones = [...new Set(addresses.map((a) => a.zone))];
      const ports = [...new Set(addresses.map((a) => a.port))];
      const info: BlockInfo = {
        zones,
        keys: block.keys.map((k) => k.text),
        servers: ports.map((p) => `dns://:${p}`),
        index,
      };
      const byName = new Map<string, Token[]>();
      const counts = new Map<string, number>();
      /** Where each directive occurs, for the once-only error (an `import` may add the second). */
      const where = new Map<string, string[]>();
      for (const d of block.directives) {
        const def = registry.get(d.name);
        if (def === undefined) {
          const t = d.tokens[0];
          throw new CorefileError(`${t?.file ?? 'Corefile'}:${t?.line ?? 0} - Error during parsing: Unknown directive '${d.name}'`);
        }
        byName.set(d.name, [...(byName.get(d.name) ?? []), ...d.tokens]);
        counts.set(d.name, (counts.get(d.name) ?? 0) + 1);
        const t = d.tokens[0];
        if (t !== undefined) where.set(d.name, [...(where.get(d.name) ?? []), `${t.file}:${t.line}`]);
      }
      const plugins: BuiltPlugin[] = [];
      for (const def of registry.ordered()) {
        const tokens = byName.get(def.name);
        if (tokens === undefined) continue;
        if (def.once && (counts.get(def.name) ?? 0) > 1) {
          throw new CorefileError(`plugin/${def.name}: this plugin can only be used once per Server Block (${(where.get(def.name) ?? []).join(', ')})`);
        }
        let instance: PluginInstance;
        try {
          instance = def.setup(new Dispenser(tokens), { block: info, env });
        } catch (e) {
          throw setupError(def.name, e);
        }
        created.push(instance);
        plugins.push({ name: def.name, instance });
      }
      let chain: Handler | undefined;
      for (let i = plugins.length - 1; i >= 0; i--) {
        const h = plugins[i]!.instance.handler;
        if (h) chain = h.call(plugins[i]!.instance, chain);
      }
      const hostsSet = plugins.flatMap((p) => p.instance.listenHosts ?? []);
      const k0 = block.keys[0];
      built.push({
        origin: k0 === undefined ? '' : `${k0.file}:${k0.line}`,
        info: { ...info, servers: ports.map((p) => label(hostsSet.length ? hostsSet : [''], p)).flat() },
        addresses,
        plugins,
        chain,
        acceptsAnyClass: plugins.some((p) => p.instance.acceptsAnyClass === true),
        hosts: hostsSet.length ? [...new Set(hostsSet)] : [''],
      });
    });
    return { blocks: built, listeners: groupListeners(built) };
  } catch (e) {
    // Setups that succeeded own no resources yet (no I/O before start), so nothing to release.
    void created;
    throw e;
  }
}

function label(hosts: readonly string[], port: number): string[] {
  return hosts.map((h) => `dns://${h.includes(':') ? `[${h}]` : h}:${port}`);
}

function groupListeners(blocks: readonly BuiltBlock[]): ListenerSpec[] {
  const specs = new Map<string, { host: string; port: number; zones: Map<string, BuiltBlock> }>();
  // zone|port -> hosts registered, for CoreDNS's duplicate and overlap errors
  const registered = new Map<string, Set<string>>();
  const firstBlock = new Map<string, BuiltBlock>();
  for (const b of blocks) {
    for (const a of b.addresses) {
      const zp = `${a.zone}|${a.port}`;
      const seen = registered.get(zp) ?? new Set<string>();
      const addr = addressString(a);
      for (const h of b.hosts) {
        if (seen.has(h)) {
          const both = ` (blocks at ${firstBlock.get(zp)?.origin ?? '?'} and ${b.origin})`;
          throw new CorefileError((h === '' ? `cannot serve ${addr} - it is already defined` : `cannot serve ${addr} on ${h} - it is already defined`) + both);
        }
        if ((h === '' && seen.size > 0) || (h !== '' && seen.has(''))) {
          const other = h === '' ? [...seen][0]! : h;
          throw new CorefileError(`cannot serve ${addr} on ${other} - zone overlap listener capacity with ${addr}`);
        }
        seen.add(h);
        const key = `${h}|${a.port}`;
        let s = specs.get(key);
        if (s === undefined) {
          s = { host: h, port: a.port, zones: new Map() };
          specs.set(key, s);
        }
        s.zones.set(a.zone, b);
      }
      registered.set(zp, seen);
      if (!firstBlock.has(zp)) firstBlock.set(zp, b);
    }
  }
  return [...specs.entries()].map(([key, s]) => ({
    key,
    host: s.host,
    port: s.port,
    label: label([s.host], s.port)[0]!,
    zones: s.zones,
  }));
}

/**
 * Server blocks pulled in from other files (the coredns-custom `import custom/*.server`
 * convention) on a port no block of the main Corefile listens on: valid, but a Kubernetes
 * Service only sends traffic to the main port, so such a block is most likely a mistake.
 */
export function strayPortWarnings(config: BuiltConfig, mainFile: string): string[] {
  const mainPorts = new Set<number>();
  for (const b of config.blocks) if (b.origin.startsWith(`${mainFile}:`)) for (const a of b.addresses) mainPorts.add(a.port);
  if (mainPorts.size === 0) return [];
  const out: string[] = [];
  for (const b of config.blocks) {
    if (b.origin === '' || b.origin.startsWith(`${mainFile}:`)) continue;
    const stray = [...new Set(b.addresses.map((a) => a.port))].filter((p) => !mainPorts.has(p));
    if (stray.length === 0) continue;
    out.push(
      `${b.origin}: server block ${b.info.keys.join(' ')} listens on port ${stray.join(', ')}, which no block of ${mainFile} uses (${[...mainPorts].join(', ')}); clients sent to the main port will not reach it`,
    );
  }
  return out;
}
