/**
 * log writes one line per query, after the rest of the chain answered:
 * `[INFO] [::1]:50759 - 29008 "A IN example.org. udp 41 false 4096" NOERROR qr,rd,ra,ad 68 0.037990251s`.
 * The first rule whose name scope holds the qname decides the format and which response classes
 * are logged; names outside every scope pass through untouched.
 */
import { logLine } from '../../src/log.js';
import { nextOrFailure, PluginError, type Handler } from '../../src/plugin/plugin.js';
import type { Request } from '../../src/plugin/request.js';
import { WrappedWriter, type ResponseWriter } from '../../src/plugin/writer.js';
import { isSubdomain } from '../../src/wire/name.js';
import { replyRcode, type Reply } from '../../src/wire/reply.js';
import { classify } from './classify.js';
import { compileFormat, type Formatter } from './replacer.js';
import type { ClassFilter, Rule } from './setup.js';

/** A rule ready for the query path. */
export interface CompiledRule {
  readonly nameScope: string;
  readonly all: boolean;
  readonly classes: ReadonlySet<ClassFilter>;
  readonly format: Formatter;
}

export function compileRules(rules: readonly Rule[]): CompiledRule[] {
  const formats = new Map<string, Formatter>();
  return rules.map((r) => {
    let f = formats.get(r.format);
    if (f === undefined) formats.set(r.format, (f = compileFormat(r.format)));
    return { nameScope: r.nameScope, all: r.classes.has('all'), classes: r.classes, format: f };
  });
}

/** Remembers the reply written below log (for the class filter). */
class LogRecorder extends WrappedWriter {
  reply: Reply | undefined;

  override write(reply: Reply): void {
    if (this.reply === undefined && !this.inner.written) this.reply = reply;
    this.inner.write(reply);
  }
}

export class LogHandler implements Handler {
  readonly name = 'log';

  constructor(
    private readonly rules: readonly CompiledRule[],
    private readonly next: Handler | undefined,
  ) {}

  async serveDNS(req: Request, w: ResponseWriter): Promise<number> {
    const name = req.name;
    let rule: CompiledRule | undefined;
    for (const r of this.rules) {
      if (isSubdomain(r.nameScope, name)) {
        rule = r;
        break;
      }
    }
    if (rule === undefined) return nextOrFailure(this.name, this.next, req, w);

    const rec = new LogRecorder(w);
    let rc: number;
    try {
      rc = await nextOrFailure(this.name, this.next, req, rec);
    } catch (e) {
      // A plugin error: log it with its rcode. Anything else is a panic the server reports.
      if (e instanceof PluginError) emit(rule, req, rec, e.rcode);
      throw e;
    }
    emit(rule, req, rec, rc);
    return rc;
  }
}

function emit(rule: CompiledRule, req: Request, rec: LogRecorder, rc: number): void {
  const reply = rec.reply;
  if (!rule.all && !rule.classes.has(classify(reply, req))) return;
  const sent = reply !== undefined ? rec.sent : undefined;
  logLine(
    'INFO',
    rule.format({
      req,
      rcode: sent?.rcode ?? (reply !== undefined ? replyRcode(reply) : rc),
      rsize: sent?.size ?? 0,
      rflags: sent?.flags,
    }),
  );
}
