/**
 * errors wraps the rest of the chain and logs every plugin error that comes back:
 * `[ERROR] plugin/errors: 2 example.org. A: read udp ...: i/o timeout`. Errors matching a
 * `consolidate` pattern are counted instead and summarised once per period. The error is
 * re-thrown unchanged; the server still writes the reply.
 */
import { formatDuration } from '../../src/plugin/duration.js';
import { nextOrFailure, PluginError, type Handler, type PluginInstance } from '../../src/plugin/plugin.js';
import type { Request } from '../../src/plugin/request.js';
import type { ResponseWriter } from '../../src/plugin/writer.js';
import { newLogger, type Logger } from '../../src/log.js';
import { typeToString } from '../../src/wire/constants.js';
import type { Config, Consolidate } from './setup.js';

const log: Logger = newLogger('errors');

class Pattern {
  count = 0;
  timer: NodeJS.Timeout | undefined;
  constructor(readonly cfg: Consolidate) {}

  /** Writes the summary for the period that just ended (if anything matched) and resets it. */
  flush(): void {
    this.timer = undefined;
    const n = this.count;
    this.count = 0;
    if (n > 0) log[this.cfg.level](`${n} errors like '${this.cfg.source}' occurred in last ${formatDuration(this.cfg.period)}`);
  }
}

export class ErrorsPlugin implements PluginInstance {
  private readonly patterns: Pattern[];
  private stopped = false;

  constructor(readonly config: Config) {
    this.patterns = config.consolidate.map((p) => new Pattern(p));
  }

  handler(next: Handler | undefined): Handler {
    return new ErrorsHandler(this, next);
  }

  /** Reports one plugin error: counted by the first matching pattern, otherwise logged. */
  report(req: Request, err: PluginError): void {
    const text = err.message;
    const line = () => `${err.rcode} ${req.name} ${typeToString(req.qtype)}: ${text}`;
    for (const p of this.patterns) {
      if (!p.cfg.pattern.test(text)) continue;
      if (this.stopped) break; // no more timers; log it plainly
      if (++p.count === 1) {
        p.timer = setTimeout(() => p.flush(), Math.max(0, p.cfg.period));
        p.timer.unref();
        if (p.cfg.showFirst) log[p.cfg.level](line());
      }
      return;
    }
    log.error(line());
  }

  /** Logs the stack of an error that is not a plugin error, when `stacktrace` is set. */
  reportPanic(req: Request, err: unknown): void {
    if (!this.config.stacktrace) return;
    const detail = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
    log.error(`panic serving ${req.name} ${typeToString(req.qtype)}: ${detail}`);
  }

  /** Stops the consolidation timers, writing out what they had counted so far. */
  stop(): void {
    this.stopped = true;
    for (const p of this.patterns) {
      if (p.timer === undefined) continue;
      clearTimeout(p.timer);
      p.flush();
    }
  }
}

export class ErrorsHandler implements Handler {
  readonly name = 'errors';

  constructor(
    private readonly plugin: ErrorsPlugin,
    private readonly next: Handler | undefined,
  ) {}

  async serveDNS(req: Request, w: ResponseWriter): Promise<number> {
    try {
      return await nextOrFailure(this.name, this.next, req, w);
    } catch (e) {
      if (e instanceof PluginError) this.plugin.report(req, e);
      else this.plugin.reportPanic(req, e);
      throw e;
    }
  }
}
