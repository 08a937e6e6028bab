/**
 * Periodic Corefile check: every period the Corefile is re-read and hashed (imports expanded,
 * comments and whitespace ignored); a different hash triggers a reload. The timer belongs to the
 * running configuration: a reload starts the new one and stops this one.
 */
import type { ConfigControl, PluginInstance } from '../../src/plugin/plugin.js';
import { newLogger } from '../../src/log.js';
import type { ReloadConfig } from './setup.js';

const log = newLogger('reload');

/** Only one reload loop runs per process, however many blocks enable it. */
let active: Reload | undefined;

export class Reload implements PluginInstance {
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(
    readonly config: ReloadConfig,
    private readonly control: ConfigControl,
  ) {}

  start(): void {
    if (active !== undefined && active !== this) active.stop();
    active = this;
    this.timer = setInterval(() => void this.check(), this.config.periodMs);
    this.timer.unref();
  }

  /** One check; exported for tests. Resolves true when a reload ran and succeeded. */
  async check(): Promise<boolean> {
    if (this.checking) return false;
    this.checking = true;
    try {
      let hash: string;
      try {
        hash = await this.control.currentHash();
      } catch (e) {
        log.error(`Corefile parse failed: ${(e as Error).message}`);
        return false;
      }
      if (hash === this.control.hash) return false;
      return await this.control.reload('timer');
    } finally {
      this.checking = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (active === this) active = undefined;
  }
}
