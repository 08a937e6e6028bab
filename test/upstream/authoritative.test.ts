import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dig1 } from '../e2e/dig.js';
import { findNsd, startAuthoritative, zoneFile } from './authoritative.js';

describe('zoneFile', () => {
  it('adds SOA and NS when the records have none', () => {
    expect(zoneFile({ zone: 'example.net', records: ['www 300 IN A 192.0.2.1'] })).toBe(
      [
        '$ORIGIN example.net.',
        '$TTL 300',
        '@ 300 IN SOA ns1.example.net. hostmaster.example.net. 1 7200 1800 86400 60',
        '@ 300 IN NS ns1.example.net.',
        'www 300 IN A 192.0.2.1',
        '',
      ].join('\n'),
    );
  });

  it('keeps given SOA and NS records', () => {
    const text = zoneFile({ zone: 'example.org.', records: ['@ 60 IN SOA a.example.org. b.example.org. 7 1 1 1 1', '@ IN NS a.example.org.'] });
    expect(text.match(/SOA/g)).toHaveLength(1);
    expect(text.match(/\sNS\s/g)).toHaveLength(1);
  });
});

describe('startAuthoritative (NSD)', () => {
  it('is installed', () => {
    expect(findNsd(), 'nsd missing: run `npm run setup:test`').toBeDefined();
  });

  it('serves its zones over UDP and TCP on a free port, and cleans up when stopped', async () => {
    const [a, b] = await Promise.all([
      startAuthoritative({ zone: 'example.net', records: ['www 300 IN A 192.0.2.80'], extraZones: [{ zone: 'example.org', records: ['x 60 IN TXT "x"'] }] }),
      startAuthoritative({ zone: 'example.net', records: ['www 300 IN A 192.0.2.81'] }),
    ]);
    try {
      expect(a.port).not.toBe(b.port);
      expect(a.address).toBe(`127.0.0.1:${a.port}`);
      const udp = await dig1(a.port, 'www.example.net', 'A');
      expect(udp.flags).toContain('aa');
      expect(udp.answer.map((f) => f.join(' '))).toEqual(['www.example.net. 300 IN A 192.0.2.80']);
      const tcp = await dig1(a.port, 'x.example.org', 'TXT', '+tcp');
      expect(tcp.answer.map((f) => f.join(' '))).toEqual(['x.example.org. 60 IN TXT "x"']);
      expect((await dig1(b.port, 'www.example.net', 'A')).answer[0]![4]).toBe('192.0.2.81');
      // Not authoritative for the root: REFUSED (what forward's health probe gets).
      expect((await dig1(a.port, '.', 'NS')).status).toBe('REFUSED');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    expect(existsSync(a.dir)).toBe(false);
    expect(() => process.kill(a.pid, 0)).toThrow();
    const gone = await dig1(a.port, 'www.example.net', 'A').catch((e: Error) => e);
    expect(gone).toBeInstanceOf(Error);
  });

  it('reports a zone NSD cannot load', async () => {
    const t0 = performance.now();
    await expect(startAuthoritative({ zone: 'example.net', records: ['www 300 IN A not-an-address'] })).rejects.toThrow(
      /nsd could not load a zone[\s\S]*invalid IPv4 address 'not-an-address'/,
    );
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});
