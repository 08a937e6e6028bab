/**
 * The cache in front of k8s_gateway (read from a manifests fixture), on a fake clock: a name
 * added to the index after a query cached its NXDOMAIN is answered at the latest when the
 * negative TTL of exdns's own SOA (60 s, or less with a smaller cache TTL) has passed, and a
 * changed answer follows within its record TTL (k8s_gateway's `ttl`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Dispenser } from '../../src/corefile/dispenser.js';
import { lex } from '../../src/corefile/lexer.js';
import { QType, Rcode } from '../../src/wire/constants.js';
import { fixture, soa, startGateway, type StartedGateway, upsertYaml } from '../../test/k8s-gateway.js';
import { runCase } from '../../test/kit.js';
import { CacheHandler } from './cache.js';
import { parse } from './setup.js';

const Z = 'example.com.';
const NEW = 'new.example.com.';
const INGRESS = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: new, namespace: web}
spec:
  ingressClassName: nginx
  rules: [{host: new.example.com}]
status: {loadBalancer: {ingress: [{ip: 192.0.2.99}]}}`;

let clockMs = 0;
const at = (seconds: number): void => {
  clockMs = seconds * 1000;
};

let gateway: StartedGateway | undefined;
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

/** k8s_gateway (`options` inside its block) behind `cache ...`, both started. */
async function chain(cacheDirective: string, options = ''): Promise<{ g: StartedGateway; cache: CacheHandler }> {
  at(0);
  const g = await startGateway(`k8s_gateway example.com {
    manifests ${fixture('answers.yaml')}
    resources Ingress Service HTTPRoute DNSEndpoint
    ${options}
  }`);
  gateway = g;
  const config = parse(new Dispenser(lex(cacheDirective, 'Corefile')), [Z]);
  return { g, cache: new CacheHandler(config, g.handler, { now: () => clockMs }) };
}

/** The zone SOA as served at `serial`, with the given TTL. */
function soaAt(serial: number, ttl: number): string {
  return soa(Z).replace('SERIAL', String(serial)).replace(`${Z} 60 `, `${Z} ${ttl} `);
}

describe('cache in front of k8s_gateway', () => {
  const delays: Array<{ cache: string; visibleAfter: number; answerTtl: number }> = [
    // The SOA's TTL and minimum (the negative TTL) are 60: the NXDOMAIN lives 60 s.
    { cache: 'cache', visibleAfter: 60, answerTtl: 60 },
    // The cache TTL caps both tiers.
    { cache: 'cache 30', visibleAfter: 30, answerTtl: 30 },
    { cache: 'cache {\n denial 100 10\n}', visibleAfter: 10, answerTtl: 60 },
    // The denial MINTTL can hold it longer than the SOA says.
    { cache: 'cache {\n denial 100 1800 90\n}', visibleAfter: 90, answerTtl: 60 },
  ];

  it.each(delays)('$cache: a new name is answered $visibleAfter s after its NXDOMAIN was cached', async ({ cache: directive, visibleAfter, answerTtl }) => {
    const { g, cache } = await chain(directive);
    const serial = g.instance.table.currentSerial;
    const first = await runCase(cache, { qname: NEW, qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [], ns: [soaAt(serial, visibleAfter)] });
    const [s] = first.msg().authorities;
    expect(s?.minimum).toBe(60);

    upsertYaml(g, INGRESS);
    // The gateway itself answers at once...
    await runCase(g.handler, { qname: NEW, qtype: QType.A, answer: [`${NEW} 60 IN A 192.0.2.99`] });
    // ...the cache keeps the NXDOMAIN, counting down, until its lifetime is over.
    at(visibleAfter / 2);
    await runCase(cache, { qname: NEW, qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [soaAt(serial, visibleAfter - visibleAfter / 2)] });
    at(visibleAfter - 0.001);
    await runCase(cache, { qname: 'NEW.Example.COM.', qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [soaAt(serial, 1)] });
    at(visibleAfter);
    await runCase(cache, { qname: NEW, qtype: QType.A, answer: [`${NEW} ${answerTtl} IN A 192.0.2.99`], ns: [] });
  });

  it('serve_stale immediate serves the expired NXDOMAIN once while it refreshes; verify does not', async () => {
    for (const mode of ['immediate', 'verify']) {
      const { g, cache } = await chain(`cache {\n serve_stale 1h ${mode}\n}`);
      const serial = g.instance.table.currentSerial;
      await runCase(cache, { qname: NEW, qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [soaAt(serial, 60)] });
      upsertYaml(g, INGRESS);
      at(61);
      if (mode === 'immediate') {
        await runCase(cache, { qname: NEW, qtype: QType.A, rcode: Rcode.NXDOMAIN, ns: [soaAt(serial, 0)] });
        await new Promise((r) => setImmediate(r));
      }
      await runCase(cache, { qname: NEW, qtype: QType.A, answer: [`${NEW} 60 IN A 192.0.2.99`] });
      await g.stop();
      gateway = undefined;
    }
  });

  it('a changed or removed name follows within the record TTL (the ttl option)', async () => {
    const { g, cache } = await chain('cache', 'ttl 20');
    upsertYaml(g, INGRESS);
    await runCase(cache, { qname: NEW, qtype: QType.A, answer: [`${NEW} 20 IN A 192.0.2.99`] });
    upsertYaml(g, INGRESS.replace('192.0.2.99', '192.0.2.100'));
    at(19);
    await runCase(cache, { qname: NEW, qtype: QType.A, answer: [`${NEW} 1 IN A 192.0.2.99`] });
    at(20);
    await runCase(cache, { qname: NEW, qtype: QType.A, answer: [`${NEW} 20 IN A 192.0.2.100`] });
    g.instance.index.delete('Ingress', 'web/new');
    at(39);
    await runCase(cache, { qname: NEW, qtype: QType.A, answer: [`${NEW} 1 IN A 192.0.2.100`] });
    at(40);
    await runCase(cache, { qname: NEW, qtype: QType.A, rcode: Rcode.NXDOMAIN, answer: [] });
  });

  it('caches NODATA and apex answers and repeats each client question as sent', async () => {
    const { g, cache } = await chain('cache');
    const serial = g.instance.table.currentSerial;
    await runCase(cache, { qname: 'a-only.example.com.', qtype: QType.TXT, answer: [], ns: [soaAt(serial, 60)] });
    at(10);
    const nodata = await runCase(cache, { qname: 'A-Only.Example.COM.', qtype: QType.TXT, answer: [], ns: [soaAt(serial, 50)] });
    expect(nodata.msg().questions[0]?.name).toBe('A-Only.Example.COM');
    await runCase(cache, { qname: 'Example.COM.', qtype: QType.SOA, answer: [soaAt(serial, 60)] });
    at(20);
    const apex = await runCase(cache, { qname: 'eXample.com.', qtype: QType.SOA, answer: [soaAt(serial, 50)] });
    expect(apex.msg().questions[0]?.name).toBe('eXample.com');
    expect(apex.msg().header.aa).toBe(1);
  });
});
