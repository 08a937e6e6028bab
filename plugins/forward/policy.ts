/** Upstream selection policies (CoreDNS's forward/policy.go): the order in which one query tries the upstreams. */

export type PolicyName = 'random' | 'round_robin' | 'sequential';

export interface Policy {
  readonly name: PolicyName;
  list<T>(items: readonly T[]): readonly T[];
}

/** A fresh random order per query; two upstreams swap half of the time. */
export const random: Policy = {
  name: 'random',
  list<T>(items: readonly T[]): readonly T[] {
    if (items.length <= 1) return items;
    if (items.length === 2) return Math.random() < 0.5 ? [items[1]!, items[0]!] : items;
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      const t = out[i]!;
      out[i] = out[j]!;
      out[j] = t;
    }
    return out;
  },
};

/** Starts one further along on every query, the rest in configuration order (the first query starts at the second upstream, as in CoreDNS). */
export function roundRobin(): Policy {
  let robin = 0;
  return {
    name: 'round_robin',
    list<T>(items: readonly T[]): readonly T[] {
      robin = (robin + 1) >>> 0;
      const i = robin % items.length;
      if (i === 0) return items;
      return [items[i]!, ...items.slice(0, i), ...items.slice(i + 1)];
    },
  };
}

/** Always configuration order. */
export const sequential: Policy = {
  name: 'sequential',
  list: <T>(items: readonly T[]): readonly T[] => items,
};

export function newPolicy(name: PolicyName): Policy {
  return name === 'random' ? random : name === 'round_robin' ? roundRobin() : sequential;
}
