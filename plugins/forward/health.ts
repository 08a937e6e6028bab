/**
 * In-band health checking (CoreDNS's plugin/pkg/up and proxy/health.go). Nothing runs while an
 * upstream answers; after a failed exchange the forwarder starts a probe loop that sends
 * `DOMAIN IN NS` (default `.`, RD set unless `no_rec`) every interval until one exchange gets
 * any DNS reply back, whatever its rcode. Each failed probe counts one fail; a success clears
 * them. An upstream with more than `max_fails` fails is down.
 */
import { HEADER_SIZE, QClass, QType, Flag } from '../../src/wire/constants.js';
import { encodeName } from '../../src/wire/name.js';

/** Read timeout of one probe (CoreDNS's health checker client). */
export const HEALTH_TIMEOUT_MS = 1000;

/** The probe query; its ID is filled in per exchange. */
export function probeQuery(domain: string, recursionDesired: boolean): { msg: Buffer; questionEnd: number } {
  const name = encodeName(domain);
  const msg = Buffer.alloc(HEADER_SIZE + name.length + 4);
  msg.writeUInt16BE(recursionDesired ? Flag.RD : 0, 2);
  msg.writeUInt16BE(1, 4);
  name.copy(msg, HEADER_SIZE);
  msg.writeUInt16BE(QType.NS, HEADER_SIZE + name.length);
  msg.writeUInt16BE(QClass.IN, HEADER_SIZE + name.length + 2);
  return { msg, questionEnd: msg.length };
}

/**
 * At most one probe loop at a time: `run` starts one unless it is already running; the loop
 * calls `check` until it resolves true, waiting `intervalMs` between calls.
 */
export class Probe {
  private active = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly intervalMs: number) {}

  get running(): boolean {
    return this.active;
  }

  run(check: () => Promise<boolean>): void {
    if (this.active || this.stopped) return;
    this.active = true;
    void this.loop(check);
  }

  private async loop(check: () => Promise<boolean>): Promise<void> {
    try {
      while (!this.stopped) {
        if (await check()) break;
        if (this.stopped) break;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.timer = setTimeout(resolve, this.intervalMs);
          this.timer.unref();
        });
        this.timer = undefined;
        this.wake = undefined;
      }
    } finally {
      this.active = false;
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.wake?.();
  }
}
