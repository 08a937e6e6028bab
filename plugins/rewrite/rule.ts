/**
 * The shapes every rewrite rule shares (CoreDNS's Rule and ResponseRule): a rule looks at the
 * question as earlier rules left it and says what to change; what it asks of the reply is a list
 * of response rules, applied to a copy of the reply before the client sees it.
 */
import type { Request } from '../../src/plugin/request.js';
import type { EdnsOption } from './options.js';
import type { ParsedReply, ReplyRecord } from './records.js';

/** `stop` ends rule processing at the first rule that applies; `continue` goes on. */
export type Mode = 'stop' | 'continue';

/** The question as the rules see it: the client's, or as earlier `continue` rules left it. */
export interface Question {
  /** Lowercased FQDN. */
  readonly name: string;
  readonly qtype: number;
  readonly qclass: number;
}

/** An edit of the query's EDNS0 options; false when it did not apply (nothing to replace or unset). */
export interface OptionEdit {
  apply(options: EdnsOption[], q: Question, req: Request): boolean;
}

/** What a rule that applies changes. Rules with a fixed effect build it once, at setup. */
export interface Effect {
  readonly name?: string;
  readonly qtype?: number;
  readonly qclass?: number;
  readonly edns?: OptionEdit;
  readonly response?: readonly ResponseRule[];
}

export interface Rule {
  readonly mode: Mode;
  /** The effect on `q`, or undefined when the rule does not apply (no allocation then). */
  rewrite(q: Question, req: Request): Effect | undefined;
}

/** Edits of the reply, applied in reverse rule order to every record, then to the reply. */
export interface ResponseRule {
  record?(rr: ReplyRecord): void;
  reply?(r: ParsedReply): void;
}
