import { describe, expect, it } from 'vitest';
import { nextHandler, runCase, makeRequest, Recorder, type Case } from '../../test/kit.js';
import { PluginError } from '../../src/plugin/plugin.js';
import { QType, Rcode } from '../../src/wire/constants.js';
import { Any } from './any.js';

describe('any', () => {
  // The next handler returns REFUSED unwritten, so anything reaching it shows up as `returns`.
  const h = new Any(nextHandler(Rcode.REFUSED));

  const cases: Case[] = [
    { qname: 'example.org.', qtype: QType.ANY, answer: ['example.org. 8482 IN HINFO "ANY obsoleted" "See RFC 8482"'] },
    { qname: 'ExAmPlE.org.', qtype: QType.ANY, answer: ['ExAmPlE.org. 8482 IN HINFO "ANY obsoleted" "See RFC 8482"'] },
    { qname: '.', qtype: QType.ANY, opts: { edns: 4096, do: true }, answer: ['. 8482 IN HINFO "ANY obsoleted" "See RFC 8482"'] },
    { qname: 'example.org.', qtype: QType.A, returns: Rcode.REFUSED },
    { qname: 'example.org.', qtype: QType.HINFO, returns: Rcode.REFUSED },
  ];
  it.each(cases)('$qname $qtype', async (tc) => {
    const rec = await runCase(h, tc);
    if (tc.returns !== undefined) expect(rec.written).toBe(false);
    else {
      const m = rec.msg();
      expect(m.header.aa).toBe(0);
      expect(m.authorities).toEqual([]);
    }
  });

  it('fails without a next plugin for other types', async () => {
    const req = makeRequest('example.org.', QType.A);
    await expect(new Any(undefined).serveDNS(req, new Recorder(req))).rejects.toThrow(new PluginError(Rcode.SERVFAIL, 'plugin/any: no next plugin found'));
  });
});
