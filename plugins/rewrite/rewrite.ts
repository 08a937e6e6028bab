/**
 * The rewrite handler. Rules run in Corefile order against the question as earlier rules left
 * it; the first `stop` rule that applies ends the run. A query no rule applies to goes on
 * untouched (no copy, no wrapped writer). Otherwise the chain below gets a request with the new
 * question and EDNS0 options, and, when the question changed or response rules were collected,
 * a ResponseReverter, so the client always gets its own question back.
 */
import { nextOrFailure, PluginError, type Handler } from '../../src/plugin/plugin.js';
import type { Request } from '../../src/plugin/request.js';
import type { ResponseWriter } from '../../src/plugin/writer.js';
import { isUnwrittenErrorRcode, Rcode } from '../../src/wire/constants.js';
import { writeName } from '../../src/wire/name.js';
import { ClassRule } from './class.js';
import { Edns0Rule } from './edns0.js';
import { NameRule } from './name.js';
import { queryOptions, queryWire, type EdnsOption } from './options.js';
import { RcodeRule } from './rcode.js';
import { ResponseReverter } from './reverter.js';
import type { Effect, Question, ResponseRule, Rule } from './rule.js';
import type { RuleConfig } from './setup.js';
import { TtlRule } from './ttl.js';
import { TypeRule } from './type.js';

export const name = 'rewrite';

export function compileRule(cfg: RuleConfig): Rule {
  switch (cfg.field) {
    case 'name':
      return new NameRule(cfg);
    case 'type':
      return new TypeRule(cfg);
    case 'class':
      return new ClassRule(cfg);
    case 'ttl':
      return new TtlRule(cfg);
    case 'rcode':
      return new RcodeRule(cfg);
    case 'edns0':
      return new Edns0Rule(cfg);
  }
}

const nameScratch = Buffer.allocUnsafe(255);

/** Labels of 1 to 63 bytes, 255 bytes in all (miekg's IsDomainName, as CoreDNS checks). */
function isDomainName(name: string): boolean {
  try {
    writeName(nameScratch, 0, name);
    return true;
  } catch {
    return false;
  }
}

/** The query as the rules leave it; created when the first rule applies. */
class Rewriting implements Question {
  name: string;
  qtype: number;
  qclass: number;
  /** The EDNS0 options, once a rule looked at them. */
  private options: EdnsOption[] | undefined;
  private optionsChanged = false;
  readonly response: ResponseRule[] = [];

  constructor(private readonly req: Request) {
    this.name = req.name;
    this.qtype = req.qtype;
    this.qclass = req.qclass;
  }

  /** Applies an effect; false when it turned out to change nothing (an EDNS0 edit with nothing to do). */
  apply(e: Effect): boolean {
    if (e.edns !== undefined) {
      if (!e.edns.apply((this.options ??= queryOptions(this.req.query)), this, this.req)) return false;
      this.optionsChanged = true;
    }
    if (e.name !== undefined) {
      if (!isDomainName(e.name)) throw new PluginError(Rcode.SERVFAIL, `invalid name after rewrite: ${e.name}`);
      this.name = e.name;
    }
    if (e.qtype !== undefined) this.qtype = e.qtype;
    if (e.qclass !== undefined) this.qclass = e.qclass;
    if (e.response !== undefined) this.response.push(...e.response);
    return true;
  }

  get changed(): boolean {
    return this.questionChanged || this.optionsChanged || this.response.length > 0;
  }

  get questionChanged(): boolean {
    const r = this.req;
    return this.name !== r.name || this.qtype !== r.qtype || this.qclass !== r.qclass;
  }

  /** The request for the chain below. */
  request(): Request {
    const r = this.req;
    if (!this.questionChanged && !this.optionsChanged) return r;
    // An unchanged name keeps the client's letter case.
    const qname = this.name === r.name ? r.qname : this.name;
    return r.withWire(queryWire(r.query, qname, this.qtype, this.qclass, this.optionsChanged ? this.options : undefined));
  }
}

export class Rewrite implements Handler {
  readonly name = name;

  constructor(
    private readonly rules: readonly Rule[],
    private readonly next: Handler | undefined,
  ) {}

  // Not async: a query no rule applies to costs no promise of its own, only the next plugin's.
  serveDNS(req: Request, w: ResponseWriter): Promise<number> {
    let state: Rewriting | undefined;
    try {
      state = this.apply(req);
    } catch (e) {
      return Promise.reject(e);
    }
    if (state === undefined || !state.changed) return nextOrFailure(this.name, this.next, req, w);
    return this.serveRewritten(req, w, state);
  }

  /** Runs the rules; undefined when none applied. */
  private apply(req: Request): Rewriting | undefined {
    const rules = this.rules;
    let state: Rewriting | undefined;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      const e = rule.rewrite(state ?? req, req);
      if (e === undefined) continue;
      state ??= new Rewriting(req);
      if (state.apply(e) && rule.mode === 'stop') break;
    }
    return state;
  }

  private async serveRewritten(req: Request, w: ResponseWriter, state: Rewriting): Promise<number> {
    const down = state.request();
    if (!state.questionChanged && state.response.length === 0) return nextOrFailure(this.name, this.next, down, w);
    const rw = new ResponseReverter(w, req, down, state.response);
    let rc: number;
    try {
      rc = await nextOrFailure(this.name, this.next, down, rw);
    } catch (e) {
      // As CoreDNS does, the error reply goes through the reverter too: the client gets its own
      // question back and rcode rules apply. The error still goes up to errors and log.
      if (e instanceof PluginError && !rw.written) rw.writeError(isUnwrittenErrorRcode(e.rcode) ? e.rcode : Rcode.SERVFAIL);
      throw e;
    }
    if (isUnwrittenErrorRcode(rc) && !rw.written) {
      rw.writeError(rc);
      return Rcode.NOERROR;
    }
    return rc;
  }
}
