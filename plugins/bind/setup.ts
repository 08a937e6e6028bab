import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Dispenser } from '../../src/corefile/dispenser.js';
import type { PluginDefinition, PluginInstance } from '../../src/plugin/plugin.js';

export interface BindConfig {
  /** Addresses to listen on (interface names resolved, excluded addresses removed). */
  hosts: string[];
}

type Interfaces = ReturnType<typeof networkInterfaces>;

/** `bind ADDRESS|IFACE ... [{ except ADDRESS|IFACE ... }]`, several lines combined. */
export function parse(c: Dispenser, ifaces: Interfaces = networkInterfaces()): BindConfig {
  const include: string[] = [];
  const exclude: string[] = [];
  const resolve = (v: string): string[] => {
    if (isIP(v)) return [v];
    const list = ifaces[v];
    if (!list) throw c.err(`failed to bind on ${v}: not a valid IP address or interface name`);
    return list.map((a) => (a.family === 'IPv6' && a.scopeid ? `${a.address}%${v}` : a.address));
  };
  while (c.next()) {
    const args = c.remainingArgs();
    if (args.length === 0) throw c.argErr();
    for (const a of args) include.push(...resolve(a));
    while (c.nextBlock()) {
      if (c.val() !== 'except') throw c.err(`unknown property '${c.val()}'`);
      const ex = c.remainingArgs();
      if (ex.length === 0) throw c.argErr();
      for (const a of ex) exclude.push(...resolve(a));
    }
  }
  const hosts = [...new Set(include)].filter((h) => !exclude.includes(h));
  if (hosts.length === 0) throw c.err('no addresses to bind to after applying except');
  return { hosts };
}

export const plugin: PluginDefinition = {
  name: 'bind',
  setup(c): PluginInstance {
    return { listenHosts: parse(c).hosts };
  },
};
