/** `fallthrough [ZONES...]`: which names a plugin hands to the next one instead of answering. */
import type { Dispenser } from '../corefile/dispenser.js';
import { isSubdomain, normalizeName } from '../wire/name.js';

export class Fallthrough {
  private constructor(private readonly zones: readonly string[]) {}

  static none(): Fallthrough {
    return new Fallthrough([]);
  }

  /** Parses the arguments after `fallthrough`; no arguments means every zone. */
  static parse(c: Dispenser): Fallthrough {
    const args = c.remainingArgs();
    if (args.length === 0) return new Fallthrough(['.']);
    return new Fallthrough(args.map((z) => normalizeName(z)));
  }

  get enabled(): boolean {
    return this.zones.length > 0;
  }

  /** True when `name` (lowercase FQDN) may fall through. */
  through(name: string): boolean {
    for (const z of this.zones) if (isSubdomain(z, name)) return true;
    return false;
  }
}
