import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeRequest, nextHandler, Recorder } from '../../test/kit.js';
import { setLogSink, setDebug } from '../../src/log.js';
import { PluginError, type Handler } from '../../src/plugin/plugin.js';
import { QType, Rcode } from '../../src/wire/constants.js';
import { ErrorsPlugin } from './errors.js';
import type { Config, Consolidate } from './setup.js';

let lines: string[] = [];
let prevSink: (line: string) => void;
beforeEach(() => {
  lines = [];
  prevSink = setLogSink((l) => lines.push(l));
});
afterEach(() => {
  setLogSink(prevSink);
  setDebug(false);
  vi.useRealTimers();
});

function throwing(err: unknown): Handler {
  return {
    name: 'test',
    async serveDNS() {
      throw err;
    },
  };
}

function consolidate(period: number, source: string, level: Consolidate['level'] = 'error', showFirst = false): Consolidate {
  return { period, source, pattern: new RegExp(source), level, showFirst };
}

async function serve(h: Handler, qname = 'example.org.', qtype: number = QType.A): Promise<{ code?: number; err?: unknown }> {
  const req = makeRequest(qname, qtype);
  try {
    return { code: await h.serveDNS(req, new Recorder(req)) };
  } catch (err) {
    return { err };
  }
}

describe('errors handler', () => {
  const plain: Config = { stacktrace: false, consolidate: [] };
  const tests: Array<{ name: string; next: Handler | undefined; qname?: string; qtype?: number; config?: Config; code?: number; logs: (string | RegExp)[] }> = [
    { name: 'no error passes through', next: nextHandler(Rcode.NOERROR), code: Rcode.NOERROR, logs: [] },
    { name: 'an unwritten rcode is not an error', next: nextHandler(Rcode.SERVFAIL), code: Rcode.SERVFAIL, logs: [] },
    {
      name: 'plugin error',
      next: nextHandler(Rcode.SERVFAIL, 'read udp 10.0.0.1:40212->8.8.8.8:53: i/o timeout'),
      logs: ['[ERROR] plugin/errors: 2 example.org. A: read udp 10.0.0.1:40212->8.8.8.8:53: i/o timeout'],
    },
    {
      name: 'name is lowercased, type is a mnemonic',
      next: nextHandler(Rcode.REFUSED, 'no upstream'),
      qname: 'WwW.ExAmple.ORG.',
      qtype: QType.AAAA,
      logs: ['[ERROR] plugin/errors: 5 www.example.org. AAAA: no upstream'],
    },
    { name: 'unknown type', next: nextHandler(Rcode.SERVFAIL, 'x'), qtype: 65280, logs: ['[ERROR] plugin/errors: 2 example.org. TYPE65280: x'] },
    { name: 'missing next plugin', next: undefined, logs: ['[ERROR] plugin/errors: 2 example.org. A: plugin/errors: no next plugin found'] },
    { name: 'panics are not logged by default', next: throwing(new Error('boom')), logs: [] },
    { name: 'panic stacktrace', next: throwing(new Error('boom')), config: { stacktrace: true, consolidate: [] }, logs: [/^\[ERROR\] plugin\/errors: panic serving example\.org\. A: Error: boom\n\s+at /] },
  ];
  it.each(tests)('$name', async (tc) => {
    const h = new ErrorsPlugin(tc.config ?? plain).handler(tc.next);
    const got = await serve(h, tc.qname, tc.qtype);
    if (tc.code !== undefined) expect(got).toEqual({ code: tc.code });
    else expect(got.err).toBeDefined();
    expect(lines).toHaveLength(tc.logs.length);
    tc.logs.forEach((want, i) => (typeof want === 'string' ? expect(lines[i]).toBe(want) : expect(lines[i]).toMatch(want)));
  });

  it('re-throws the very same error', async () => {
    const err = new PluginError(Rcode.SERVFAIL, 'oops');
    const h = new ErrorsPlugin(plain).handler(throwing(err));
    expect((await serve(h)).err).toBe(err);
    const panic = new TypeError('bad');
    expect((await serve(new ErrorsPlugin(plain).handler(throwing(panic)))).err).toBe(panic);
  });
});

describe('errors consolidate', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  it('aggregates matching errors per period and logs the rest', async () => {
    const p = new ErrorsPlugin({ stacktrace: false, consolidate: [consolidate(30_000, 'i/o timeout$', 'warning')] });
    const timeout = p.handler(nextHandler(Rcode.SERVFAIL, 'read udp: i/o timeout'));
    const other = p.handler(nextHandler(Rcode.SERVFAIL, 'connection refused'));
    for (let i = 0; i < 3; i++) await serve(timeout);
    await serve(other);
    expect(lines).toEqual(['[ERROR] plugin/errors: 2 example.org. A: connection refused']);
    vi.advanceTimersByTime(29_999);
    expect(lines).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(lines[1]).toBe("[WARNING] plugin/errors: 3 errors like 'i/o timeout$' occurred in last 30s");
    // A quiet period logs nothing; the next error opens a new period.
    vi.advanceTimersByTime(60_000);
    expect(lines).toHaveLength(2);
    await serve(timeout);
    vi.advanceTimersByTime(30_000);
    expect(lines[2]).toBe("[WARNING] plugin/errors: 1 errors like 'i/o timeout$' occurred in last 30s");
    p.stop();
  });

  it('uses the first matching pattern only', async () => {
    const p = new ErrorsPlugin({ stacktrace: false, consolidate: [consolidate(60_000, '^a'), consolidate(300_000, 'b$', 'info')] });
    await serve(p.handler(nextHandler(Rcode.SERVFAIL, 'ab')));
    await serve(p.handler(nextHandler(Rcode.SERVFAIL, 'xb')));
    vi.advanceTimersByTime(60_000);
    expect(lines).toEqual(["[ERROR] plugin/errors: 1 errors like '^a' occurred in last 1m0s"]);
    vi.advanceTimersByTime(240_000);
    expect(lines[1]).toBe("[INFO] plugin/errors: 1 errors like 'b$' occurred in last 5m0s");
  });

  it('show_first logs the first error of a period at the pattern level', async () => {
    setDebug(true);
    const p = new ErrorsPlugin({ stacktrace: false, consolidate: [consolidate(1_500, 'fail', 'debug', true)] });
    const h = p.handler(nextHandler(Rcode.SERVFAIL, 'upstream fail'));
    await serve(h);
    await serve(h, 'example.net.');
    expect(lines).toEqual(['[DEBUG] plugin/errors: 2 example.org. A: upstream fail']);
    vi.advanceTimersByTime(1_500);
    expect(lines[1]).toBe("[DEBUG] plugin/errors: 2 errors like 'fail' occurred in last 1.5s");
    await serve(h, 'example.com.');
    expect(lines[2]).toBe('[DEBUG] plugin/errors: 2 example.com. A: upstream fail');
    p.stop();
  });

  it('stop flushes pending counts and later errors are logged plainly', async () => {
    const p = new ErrorsPlugin({ stacktrace: false, consolidate: [consolidate(3_600_000, '.*')] });
    const h = p.handler(nextHandler(Rcode.SERVFAIL, 'e'));
    await serve(h);
    await serve(h);
    expect(lines).toEqual([]);
    expect(vi.getTimerCount()).toBe(1);
    p.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(lines).toEqual(["[ERROR] plugin/errors: 2 errors like '.*' occurred in last 1h0m0s"]);
    await serve(h);
    expect(lines[1]).toBe('[ERROR] plugin/errors: 2 example.org. A: e');
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('errors timers', () => {
  it('are unref()ed so they never keep the process alive', async () => {
    const p = new ErrorsPlugin({ stacktrace: false, consolidate: [consolidate(60_000, '.*')] });
    const spy = vi.spyOn(globalThis, 'setTimeout');
    await serve(p.handler(nextHandler(Rcode.SERVFAIL, 'e')));
    const t = spy.mock.results[0]!.value as NodeJS.Timeout;
    expect(t.hasRef()).toBe(false);
    spy.mockRestore();
    p.stop();
  });
});
