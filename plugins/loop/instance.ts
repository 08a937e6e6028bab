/** One configured loop plugin: its probe state, the handler watching for it, and the prober. */
import type { Handler, PluginInstance, StartContext } from '../../src/plugin/plugin.js';
import { probeTarget } from './address.js';
import { Loop, LoopState } from './loop.js';
import { COREDNS_TIMINGS, Prober, probeName, type ProbeTimings } from './probe.js';

export class LoopInstance implements PluginInstance {
  readonly state: LoopState;
  private readonly prober: Prober;

  constructor(
    zone: string,
    private readonly onLoop: (message: string) => void,
    timings: ProbeTimings = COREDNS_TIMINGS,
  ) {
    this.state = new LoopState(zone, probeName(zone));
    this.prober = new Prober(this.state, timings);
  }

  handler(next: Handler | undefined): Handler {
    return new Loop(this.state, next, this.onLoop);
  }

  start(ctx?: StartContext): void {
    // CoreDNS probes the block's first listen address.
    const first = ctx?.listeners[0];
    if (first === undefined) {
      this.state.off = true;
      return;
    }
    // In the background: the server must be serving to receive its own probe.
    void this.prober.run(probeTarget(first));
  }

  stop(): void {
    this.prober.stop();
    this.state.off = true;
  }
}
