/**
 * loop watches the chain for its own probe (`HINFO <random>.<random>.<zone>`, sent by probe.ts to
 * this server). A probe seen more than twice went out and came back in: the server forwards to
 * itself, and would do so for every query. Every query passes on to the next plugin.
 */
import { nextOrFailure, type Handler } from '../../src/plugin/plugin.js';
import type { Request } from '../../src/plugin/request.js';
import type { ResponseWriter } from '../../src/plugin/writer.js';
import { QType } from '../../src/wire/constants.js';
import { isSubdomain } from '../../src/wire/name.js';
import { hostPort } from './address.js';

/** Shared by the handler and the probe of one loop instance. */
export class LoopState {
  /** Times the probe was seen in the chain since the last failed probe. */
  seen = 0;
  /** Set once probing is over: the plugin then only passes queries on. */
  off = false;
  /** Address the probe was sent to, for the message (CoreDNS's `:53` form). */
  address = '';

  constructor(
    /** Lowercase FQDN: the block's first zone. */
    readonly zone: string,
    /** Lowercase FQDN of the probe. */
    readonly qname: string,
  ) {}
}

/** CoreDNS's fatal message, word for word. */
export function loopMessage(state: LoopState, remote: string): string {
  return `Loop (${remote} -> ${state.address}) detected for zone ${JSON.stringify(state.zone)}, see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO ${state.qname}"`;
}

export class Loop implements Handler {
  readonly name = 'loop';

  constructor(
    private readonly state: LoopState,
    private readonly next: Handler | undefined,
    /** Called with the message when a loop is detected; in production it ends the process. */
    private readonly onLoop: (message: string) => void,
  ) {}

  async serveDNS(req: Request, w: ResponseWriter): Promise<number> {
    const s = this.state;
    if (req.qtype === QType.HINFO && !s.off && isSubdomain(s.zone, req.name)) {
      if (req.name === s.qname) s.seen++;
      if (s.seen > 2) this.onLoop(loopMessage(s, hostPort(req.ip, req.port)));
    }
    return nextOrFailure(this.name, this.next, req, w);
  }
}
