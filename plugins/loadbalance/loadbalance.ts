/**
 * loadbalance reorders the records of replies written by any plugin below it (round-robin DNS):
 * it wraps the writer, so whatever the chain answers, cached and forwarded replies included,
 * passes through balance() on its way out.
 */
import { nextOrFailure, type Handler } from '../../src/plugin/plugin.js';
import type { Request } from '../../src/plugin/request.js';
import { WrappedWriter, type ResponseWriter } from '../../src/plugin/writer.js';
import type { Reply } from '../../src/wire/reply.js';
import { balance, type Policy } from './balance.js';

class BalancingWriter extends WrappedWriter {
  constructor(
    inner: ResponseWriter,
    private readonly req: Request,
    private readonly policy: Policy,
  ) {
    super(inner);
  }

  override write(reply: Reply): void {
    // Only the first write counts: later ones are not worth reordering.
    this.inner.write(this.inner.written ? reply : balance(reply, this.req.query, this.policy));
  }
}

export class LoadBalance implements Handler {
  readonly name = 'loadbalance';

  constructor(
    private readonly policy: Policy,
    private readonly next: Handler | undefined,
  ) {}

  serveDNS(req: Request, w: ResponseWriter): Promise<number> {
    return nextOrFailure(this.name, this.next, req, new BalancingWriter(w, req, this.policy));
  }
}
