/**
 * Test-only plugins for the end-to-end tests, placed in the chain just before whoami via
 * startServer's extra list.
 *
 * - `bigtest` answers `big.example.org. A` with BIG_COUNT A records (AA=1), enough to overflow
 *   any UDP reply, and passes everything else on.
 * - `crashtest` throws a plain Error (not a PluginError) for `crash.example.org.`, like a Go
 *   plugin panicking, and passes everything else on.
 */
import { nextOrFailure, type Handler, type PluginDefinition } from '../../src/plugin/plugin.js';
import type { Request } from '../../src/plugin/request.js';
import type { ResponseWriter } from '../../src/plugin/writer.js';
import { QType } from '../../src/wire/constants.js';
import { newMessage, rr, toDns2Name, type Question } from '../../src/wire/message.js';

export const BIG_NAME = 'big.example.org.';
export const BIG_COUNT = 100;
export const CRASH_NAME = 'crash.example.org.';

/** The i-th address of the big RRset: 10.0.0.1 ... 10.0.0.100. */
export function bigAddress(i: number): string {
  return `10.0.${Math.floor((i + 1) / 256)}.${(i + 1) % 256}`;
}

class BigTest implements Handler {
  readonly name = 'bigtest';
  constructor(private readonly next: Handler | undefined) {}

  async serveDNS(req: Request, w: ResponseWriter): Promise<number> {
    if (req.name !== BIG_NAME || req.qtype !== QType.A) return nextOrFailure(this.name, this.next, req, w);
    const q = req.query;
    const m = newMessage();
    const h = m.header;
    h.id = q.id;
    h.qr = 1;
    h.opcode = q.opcode;
    h.aa = 1;
    h.rd = q.rd ? 1 : 0;
    h.cd = q.cd ? 1 : 0;
    h.rcode = 0;
    m.questions.push({ name: toDns2Name(req.qname), type: req.qtype, class: req.qclass } as Question);
    for (let i = 0; i < BIG_COUNT; i++) m.answers.push(rr.a(req.qname, 300, bigAddress(i)));
    w.write(m);
    return 0;
  }
}

class CrashTest implements Handler {
  readonly name = 'crashtest';
  constructor(private readonly next: Handler | undefined) {}

  async serveDNS(req: Request, w: ResponseWriter): Promise<number> {
    if (req.name === CRASH_NAME) throw new TypeError('crashtest: deliberate failure');
    return nextOrFailure(this.name, this.next, req, w);
  }
}

/** A plugin definition taking no arguments whose handler wraps `next`. */
function define(name: string, make: (next: Handler | undefined) => Handler): PluginDefinition {
  return {
    name,
    setup(c) {
      while (c.next()) {
        if (c.nextArg()) throw c.argErr();
      }
      return { handler: (next) => make(next) };
    },
  };
}

export const bigtest = define('bigtest', (next) => new BigTest(next));
export const crashtest = define('crashtest', (next) => new CrashTest(next));
