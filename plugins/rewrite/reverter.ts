/**
 * The writer rewrite hands down the chain once it changed the question or has response rules
 * (CoreDNS's ResponseReverter): every reply is taken apart (a copy: prepared and cached replies
 * are never touched), the response rules run over each record of every section in reverse rule
 * order, then over the reply, and it goes out after the client's own question.
 */
import { PluginError } from '../../src/plugin/plugin.js';
import type { Request } from '../../src/plugin/request.js';
import { WrappedWriter, type ResponseWriter } from '../../src/plugin/writer.js';
import { Rcode } from '../../src/wire/constants.js';
import type { Reply } from '../../src/wire/reply.js';
import { parseReply } from './decode.js';
import { encodeReply } from './encode.js';
import type { ParsedReply } from './records.js';
import type { ResponseRule } from './rule.js';

export class ResponseReverter extends WrappedWriter {
  constructor(
    inner: ResponseWriter,
    /** The client's request: its question goes into the reply. */
    private readonly client: Request,
    /** The rewritten request the chain below answers. */
    private readonly down: Request,
    private readonly rules: readonly ResponseRule[],
  ) {
    super(inner);
  }

  override write(reply: Reply): void {
    if (this.inner.written) return;
    let parsed: ParsedReply;
    try {
      parsed = parseReply(reply, this.down);
    } catch (e) {
      throw this.failure(e);
    }
    this.send(parsed);
  }

  /**
   * The reply for an error the chain returned without writing (SERVFAIL, REFUSED...), written
   * here so that it too carries the client's question and passes the response rules.
   */
  writeError(rcode: number): void {
    if (this.inner.written) return;
    this.send({ flags: 0, rcode, answer: [], authority: [], additional: [] });
  }

  private send(r: ParsedReply): void {
    const rules = this.rules;
    for (const section of [r.answer, r.authority, r.additional]) {
      for (const rr of section) {
        for (let i = rules.length - 1; i >= 0; i--) rules[i]!.record?.(rr);
      }
    }
    for (let i = rules.length - 1; i >= 0; i--) rules[i]!.reply?.(r);
    let out: Reply;
    try {
      out = encodeReply(r, this.client);
    } catch (e) {
      throw this.failure(e);
    }
    this.inner.write(out);
  }

  private failure(e: unknown): PluginError {
    if (e instanceof PluginError) return e;
    return new PluginError(Rcode.SERVFAIL, `plugin/rewrite: cannot rewrite the reply to ${this.down.name}: ${(e as Error).message}`);
  }
}
