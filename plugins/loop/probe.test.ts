import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { readName } from '../../src/wire/name.js';
import { LoopState } from './loop.js';
import { Prober, type ProbeTimings } from './probe.js';

const FAST: ProbeTimings = { timeoutMs: 50, retryMs: 20, deadlineMs: 1000, disableAfterMs: 50 };

interface Responder {
  port: number;
  /** Question names received, in order. */
  names: string[];
  close(): Promise<void>;
}

/**
 * A UDP server that records probe names and answers from the `answer`-th query on; `state`, when
 * given, sees each query as the loop handler of a server would.
 */
async function responder(answerFrom: number, state?: LoopState): Promise<Responder> {
  const s = dgram.createSocket('udp4');
  const names: string[] = [];
  s.on('message', (msg, rinfo) => {
    names.push(readName(msg, 12).name);
    if (state !== undefined) state.seen++;
    if (names.length < answerFrom) return;
    const reply = Buffer.from(msg);
    reply.writeUInt16BE(reply.readUInt16BE(2) | 0x8000, 2);
    s.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { port: s.address().port, names, close: () => new Promise((r) => s.close(() => r())) };
}

const waitFor = async (cond: () => boolean, ms = 3000) => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('Prober', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });

  it('sends the probe to the listener and switches off a while after the first answer', async () => {
    const state = new LoopState('.', '1.2.');
    const r = await responder(1, state);
    cleanup.push(r.close);
    const p = new Prober(state, FAST);
    cleanup.push(() => p.stop());
    await p.run({ host: '127.0.0.1', port: r.port, display: `:${r.port}` });
    expect(r.names).toEqual(['1.2.']);
    expect(state.address).toBe(`:${r.port}`);
    expect(state.off).toBe(false);
    await waitFor(() => state.off);
  });

  it('retries unanswered probes, forgetting sightings after each failure', async () => {
    const state = new LoopState('.', '1.2.');
    const r = await responder(3, state);
    cleanup.push(r.close);
    const p = new Prober(state, FAST);
    cleanup.push(() => p.stop());
    await p.run({ host: '127.0.0.1', port: r.port, display: '' });
    expect(r.names).toEqual(['1.2.', '1.2.', '1.2.']);
    // Two failures reset the count; only the answered probe is left.
    expect(state.seen).toBe(1);
  });

  it('probes again, twice at most, when answers come without the probe passing the plugin', async () => {
    const state = new LoopState('.', '1.2.');
    const r = await responder(1);
    cleanup.push(r.close);
    const p = new Prober(state, FAST);
    cleanup.push(() => p.stop());
    await p.run({ host: '127.0.0.1', port: r.port, display: '' });
    expect(r.names).toEqual(['1.2.', '1.2.', '1.2.']);
    await waitFor(() => state.off);
  });

  it('gives up at the deadline and switches off', async () => {
    const r = await responder(Infinity);
    cleanup.push(r.close);
    const state = new LoopState('.', '1.2.');
    const p = new Prober(state, { ...FAST, deadlineMs: 200 });
    cleanup.push(() => p.stop());
    const t0 = Date.now();
    await p.run({ host: '127.0.0.1', port: r.port, display: '' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(r.names.length).toBeGreaterThanOrEqual(2);
    expect(state.off).toBe(true);
  });
});
