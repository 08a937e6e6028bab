/** One query sent on a socket or connection and waiting for its reply. */
import type { IdTable } from './id-table.js';
import type { Outcome } from './outcome.js';
import { answersQuestion } from './question.js';
import { sharedWheel, type Timed } from './timer-wheel.js';

/** The socket or connection a query went out on; it decides what a timeout means for itself. */
export interface Channel {
  timedOut(q: InFlight): void;
}

export class InFlight implements Timed {
  deadline = 0;
  wheelSlot = -1;
  wheelIndex = -1;
  /** Message ID on the wire, assigned by the channel. */
  id = -1;
  private resolve: ((o: Outcome) => void) | undefined;

  constructor(
    /** Bytes to send (with the TCP length prefix when framed). */
    readonly wire: Buffer,
    /** The DNS message inside `wire`, for matching the reply's question. */
    readonly msg: Buffer,
    readonly questionEnd: number,
    readonly channel: Channel,
    /** Sent on a connection that had already been used (CoreDNS's "cached" connection). */
    readonly cached: boolean,
    resolve: (o: Outcome) => void,
  ) {
    this.resolve = resolve;
  }

  get settled(): boolean {
    return this.resolve === undefined;
  }

  /** Starts the timeout clock. */
  arm(timeoutMs: number, now: number): void {
    this.deadline = now + timeoutMs;
    sharedWheel.add(this);
  }

  /** Delivers the outcome once; later calls are ignored. */
  settle(o: Outcome): void {
    const r = this.resolve;
    if (r === undefined) return;
    this.resolve = undefined;
    sharedWheel.remove(this);
    r(o);
  }

  /** Settles with a reply that carried this query's ID: a reply, or a mismatch when its question differs. */
  answer(msg: Buffer): void {
    this.settle(answersQuestion(this.msg, this.questionEnd, msg) ? { kind: 'reply', msg } : { kind: 'mismatch', msg });
  }

  onTimeout(): void {
    this.channel.timedOut(this);
  }
}

/**
 * The query waiting in `table` for this reply's message ID, taken out of the table; undefined
 * for a runt or for an ID nobody waits for (a late reply to a timed-out ID only clears its
 * reservation).
 */
export function waiterFor(table: IdTable<InFlight>, msg: Buffer): InFlight | undefined {
  if (msg.length < 12) return undefined;
  const id = (msg[0]! << 8) | msg[1]!;
  const q = table.get(id);
  if (q === undefined) {
    table.takeRetired(id);
    return undefined;
  }
  table.delete(id);
  return q;
}
