import { afterEach, describe, expect, it } from 'vitest';
import { registry } from '../../src/metrics/registry.js';
import { type BlockInfo, type ConfigControl, type Handler, type PluginEnv, PluginError } from '../../src/plugin/plugin.js';
import { Request } from '../../src/plugin/request.js';
import { HttpEndpoints } from '../../src/server/http-endpoints.js';
import { QType, Rcode } from '../../src/wire/constants.js';
import { Recorder, makeRequest, nextHandler, type QueryOptions } from '../../test/kit.js';
import { newMessage, toDns2Name, type Question } from '../../src/wire/message.js';
import { Metrics, markPluginsEnabled } from './metrics.js';

function makeEnv(): PluginEnv {
  const logger = () => ({ debug() {}, info() {}, warning() {}, error() {} });
  const config: ConfigControl = { hash: '', currentHash: async () => '', reload: async () => true };
  return { http: new HttpEndpoints(), metrics: registry, logger, readiness: () => [], shuttingDown: false, config };
}

const envs: PluginEnv[] = [];
afterEach(async () => {
  await Promise.all(envs.splice(0).map((e) => e.http.closeAll()));
});

let serverSeq = 0;
/** A fresh server label per test, so counters start at zero. */
function block(zones: string[]): BlockInfo {
  return { zones, keys: zones, servers: [`dns://:${20000 + serverSeq++}`], index: 0 };
}

function metrics(zones = ['example.org.', 'sub.example.org.', 'example.net.']) {
  const b = block(zones);
  const env = makeEnv();
  envs.push(env);
  return { m: new Metrics({ addr: '127.0.0.1:0' }, b, env), server: b.servers[0]!, env };
}

function request(server: string, name: string, qtype: number, o: QueryOptions & { tcp?: boolean; ago?: number } = {}): Request {
  const r = makeRequest(name, qtype, { ...o, client: o.tcp ? { proto: 'tcp' } : {} });
  return new Request(r.query, r.client, server, performance.now() - (o.ago ?? 0));
}

/** Value of one sample of the exposition, undefined when absent. */
async function sample(metric: string, labels: Record<string, string>): Promise<number | undefined> {
  const text = await registry.metrics();
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  for (const line of text.split('\n')) {
    if (line.startsWith(`${metric}{${want}} `)) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/** A terminal handler named `name` that writes a reply with `rcode`. */
const writer = (rcode: number, name = 'file'): Handler => ({
  name,
  async serveDNS(req, w) {
    const m = newMessage();
    m.header.id = req.id;
    m.header.qr = 1;
    m.header.aa = 1;
    m.header.rcode = rcode;
    m.questions.push({ name: toDns2Name(req.qname), type: req.qtype, class: req.qclass } as Question);
    w.write(m);
    return rcode;
  },
});

describe('prometheus handler', () => {
  it('picks the longest zone of the block holding the name, else "."', () => {
    const { m } = metrics();
    const zone = (n: string) => m.zoneOf(n);
    expect(zone('a.sub.example.org.')).toBe('sub.example.org.');
    expect(zone('sub.example.org.')).toBe('sub.example.org.');
    expect(zone('www.example.org.')).toBe('example.org.');
    expect(zone('example.net.')).toBe('example.net.');
    expect(zone('notexample.net.')).toBe('.');
    expect(zone('example.com.')).toBe('.');
  });

  it('reports a written reply under its zone, rcode and writing plugin', async () => {
    const { m, server } = metrics();
    const h = m.handler(writer(Rcode.NOERROR, 'whoami'));
    const req = request(server, 'www.Example.ORG', QType.A, { ago: 5 });
    const rec = new Recorder(req);
    expect(await h.serveDNS(req, rec)).toBe(Rcode.NOERROR);
    const zone = { server, zone: 'example.org.', view: '' };
    expect(await sample('coredns_dns_requests_total', { ...zone, proto: 'udp', family: '1', type: 'A' })).toBe(1);
    expect(await sample('coredns_dns_responses_total', { ...zone, rcode: 'NOERROR', plugin: 'whoami' })).toBe(1);
    expect(await sample('coredns_dns_request_duration_seconds_count', zone)).toBe(1);
    expect(await sample('coredns_dns_request_duration_seconds_sum', zone)).toBeGreaterThanOrEqual(0.005);
    expect(await sample('coredns_dns_request_size_bytes_sum', { ...zone, proto: 'udp' })).toBe(req.len);
    expect(await sample('coredns_dns_response_size_bytes_sum', { ...zone, proto: 'udp' })).toBe(rec.wire!.length);
    expect(await sample('coredns_dns_do_requests_total', zone)).toBe(0);
  });

  it('reports the rcode actually written, TCP, DO and other types', async () => {
    const { m, server } = metrics();
    const h = m.handler(writer(Rcode.NXDOMAIN));
    const req = request(server, 'nope.example.net', QType.CAA, { tcp: true, do: true });
    await h.serveDNS(req, new Recorder(req));
    const zone = { server, zone: 'example.net.', view: '' };
    expect(await sample('coredns_dns_requests_total', { ...zone, proto: 'tcp', family: '1', type: 'other' })).toBe(1);
    expect(await sample('coredns_dns_responses_total', { ...zone, rcode: 'NXDOMAIN', plugin: 'file' })).toBe(1);
    expect(await sample('coredns_dns_do_requests_total', zone)).toBe(1);
    expect(await sample('coredns_dns_response_size_bytes_count', { ...zone, proto: 'tcp' })).toBe(1);
  });

  it('reports an unwritten error code with an empty plugin and size 0', async () => {
    const { m, server } = metrics();
    const h = m.handler(nextHandler(Rcode.REFUSED));
    const req = request(server, 'example.com', QType.AAAA);
    const rec = new Recorder(req);
    expect(await h.serveDNS(req, rec)).toBe(Rcode.REFUSED);
    expect(rec.written).toBe(false);
    const zone = { server, zone: '.', view: '' };
    expect(await sample('coredns_dns_responses_total', { ...zone, rcode: 'REFUSED', plugin: '' })).toBe(1);
    expect(await sample('coredns_dns_response_size_bytes_sum', { ...zone, proto: 'udp' })).toBe(0);
    expect(await sample('coredns_dns_response_size_bytes_count', { ...zone, proto: 'udp' })).toBe(1);
  });

  it('reports a plugin error with its rcode and re-throws it', async () => {
    const { m, server } = metrics();
    const h = m.handler(nextHandler(Rcode.SERVFAIL, 'plugin/forward: no healthy upstream'));
    const req = request(server, 'a.example.org', QType.A);
    await expect(h.serveDNS(req, new Recorder(req))).rejects.toThrow(new PluginError(Rcode.SERVFAIL, 'plugin/forward: no healthy upstream'));
    expect(await sample('coredns_dns_responses_total', { server, zone: 'example.org.', view: '', rcode: 'SERVFAIL', plugin: '' })).toBe(1);
  });

  it('reports the missing next plugin as SERVFAIL', async () => {
    const { m, server } = metrics();
    const h = m.handler(undefined);
    const req = request(server, 'example.org', QType.SOA);
    await expect(h.serveDNS(req, new Recorder(req))).rejects.toThrow('plugin/prometheus: no next plugin found');
    expect(await sample('coredns_dns_responses_total', { server, zone: 'example.org.', view: '', rcode: 'SERVFAIL', plugin: '' })).toBe(1);
  });

  it('leaves other exceptions (panics) to the server', async () => {
    const { m, server } = metrics();
    const h = m.handler({
      name: 'erratic',
      async serveDNS() {
        throw new TypeError('boom');
      },
    });
    const req = request(server, 'example.org', QType.A);
    await expect(h.serveDNS(req, new Recorder(req))).rejects.toThrow('boom');
    expect(await sample('coredns_dns_requests_total', { server, zone: 'example.org.', view: '', proto: 'udp', family: '1', type: 'A' })).toBeUndefined();
  });

  it('counts repeated queries on the same children', async () => {
    const { m, server } = metrics();
    const h = m.handler(writer(Rcode.NOERROR, 'whoami'));
    for (let i = 0; i < 3; i++) {
      const req = request(server, `host${i}.sub.example.org`, QType.A);
      await h.serveDNS(req, new Recorder(req));
    }
    expect(await sample('coredns_dns_responses_total', { server, zone: 'sub.example.org.', view: '', rcode: 'NOERROR', plugin: 'whoami' })).toBe(3);
  });
});

describe('prometheus endpoint', () => {
  it('serves the registry on /metrics and marks itself enabled', async () => {
    const { m, server, env } = metrics(['example.org.', 'example.net.']);
    await m.start();
    const res = await fetch(`http://127.0.0.1:${env.http.port('127.0.0.1:0')}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(registry.contentType);
    const body = await res.text();
    expect(body).toContain('# TYPE coredns_dns_requests_total counter');
    expect(body).toContain('process_cpu_user_seconds_total');
    expect(body).toContain(`coredns_plugin_enabled{server="${server}",zone="example.org.",view="",name="prometheus"} 1`);
    expect(body).toContain(`coredns_plugin_enabled{server="${server}",zone="example.net.",view="",name="prometheus"} 1`);
    await m.stop();
    expect(env.http.port('127.0.0.1:0')).toBeUndefined();
  });

  it('lets several blocks share one address, and a reload keep it', async () => {
    const env = makeEnv();
    envs.push(env);
    const addr = '127.0.0.1:0';
    const a = new Metrics({ addr }, block(['example.org.']), env);
    const b = new Metrics({ addr }, block(['example.net.']), env);
    await a.start();
    await b.start();
    const port = env.http.port(addr);
    const next = new Metrics({ addr }, block(['example.org.']), env);
    await next.start();
    await a.stop();
    await b.stop();
    expect(env.http.port(addr)).toBe(port);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    await next.stop();
    expect(env.http.port(addr)).toBeUndefined();
  });

  it('markPluginsEnabled sets the gauge for every server, zone and name', async () => {
    const b = { ...block(['example.org.']), servers: ['dns://:30001', 'dns://127.0.0.1:30001'] };
    markPluginsEnabled(b, ['whoami', 'cache']);
    for (const server of b.servers) {
      for (const name of ['whoami', 'cache']) {
        expect(await sample('coredns_plugin_enabled', { server, zone: 'example.org.', view: '', name })).toBe(1);
      }
    }
  });
});
