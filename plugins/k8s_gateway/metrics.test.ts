import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../src/metrics/registry.js';
import { fixture, startGateway, type StartedGateway } from '../../test/k8s-gateway.js';

/** The value of one sample line of a metric, e.g. `exdns_index_objects{kind="Ingress"}`. */
async function sample(name: string, labels = ''): Promise<number | undefined> {
  const text = await registry.getSingleMetricAsString(name);
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

describe('k8s_gateway metrics', () => {
  let g: StartedGateway;
  let namesBefore: number;
  let ingressesBefore: number;
  beforeAll(async () => {
    namesBefore = (await sample('exdns_index_names')) ?? 0;
    ingressesBefore = (await sample('exdns_index_objects', '{kind="Ingress"}')) ?? 0;
    g = await startGateway(`k8s_gateway example.com {
      manifests ${fixture('f1.yaml')}
      resources Ingress Service DNSEndpoint
    }`);
  });
  afterAll(() => g.stop());

  it('counts names and objects, and reports sync per kind', async () => {
    expect(await sample('exdns_index_names')).toBe(namesBefore + g.instance.index.nameCount);
    expect(await sample('exdns_index_objects', '{kind="Ingress"}')).toBe(ingressesBefore + 7);
    for (const kind of ['Ingress', 'Service', 'EndpointSlice', 'DNSEndpoint']) {
      expect(await sample('exdns_source_synced', `{kind="${kind}"}`)).toBe(1);
    }
    expect(await sample('exdns_index_updates_total', '{kind="Ingress"}')).toBeGreaterThanOrEqual(7);
  });

  it('takes its objects out of the totals when stopped', async () => {
    const other = await startGateway(`k8s_gateway example.com {
      manifests ${fixture('f1.yaml')}
      resources Ingress
    }`);
    expect(await sample('exdns_index_objects', '{kind="Ingress"}')).toBe(ingressesBefore + 14);
    await other.stop();
    expect(await sample('exdns_index_objects', '{kind="Ingress"}')).toBe(ingressesBefore + 7);
  });
});
