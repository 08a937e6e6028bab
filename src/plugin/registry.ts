/** Plugin definitions by directive name, and the chain order they run in. */
import { PLUGIN_ORDER } from './order.js';
import type { PluginDefinition } from './plugin.js';

export class PluginRegistry {
  private readonly defs = new Map<string, PluginDefinition>();

  /** `order` defaults to the fixed plugin order; tests may pass a longer one for test-only plugins. */
  constructor(
    defs: readonly PluginDefinition[],
    private readonly order: readonly string[] = PLUGIN_ORDER,
  ) {
    for (const d of defs) {
      if (!order.includes(d.name)) throw new Error(`plugin ${d.name} has no place in the plugin order`);
      if (this.defs.has(d.name)) throw new Error(`plugin ${d.name} registered twice`);
      this.defs.set(d.name, d);
    }
  }

  get(name: string): PluginDefinition | undefined {
    return this.defs.get(name);
  }

  has(name: string): boolean {
    return this.defs.has(name);
  }

  /** Registered plugins, outermost first. */
  ordered(): PluginDefinition[] {
    return this.order.filter((n) => this.defs.has(n)).map((n) => this.defs.get(n)!);
  }
}
