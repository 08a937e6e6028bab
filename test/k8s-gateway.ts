/** Builds a started k8s_gateway from a directive text, for table tests through the real handler. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Dispenser } from '../src/corefile/dispenser.js';
import { lex } from '../src/corefile/lexer.js';
import { newLogger } from '../src/log.js';
import type { Handler } from '../src/plugin/plugin.js';
import { GatewayInstance, type SourceFactory } from '../plugins/k8s_gateway/instance.js';
import { parse } from '../plugins/k8s_gateway/setup.js';
import { invalidObjects } from '../plugins/k8s_gateway/metrics.js';
import { classify } from '../plugins/k8s_gateway/sources/classify.js';
import type { JoinContext, KubeObject, ObjectKind } from '../plugins/k8s_gateway/types.js';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { expect, it } from 'vitest';
import { Flag, QType, typeToString } from '../src/wire/constants.js';
import { type Case, type Recorder, runCase } from './kit.js';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'k8s_gateway');

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

export interface StartedGateway {
  readonly instance: GatewayInstance;
  readonly handler: Handler;
  stop(): Promise<void>;
}

/**
 * `directive` is the whole `k8s_gateway ... { ... }` text; `next` is the handler after it.
 * The instance is started (sources loaded and synced) unless `start` is false.
 */
export async function startGateway(
  directive: string,
  opts: { blockZones?: string[]; next?: Handler; start?: boolean; source?: SourceFactory } = {},
): Promise<StartedGateway> {
  const cfg = parse(new Dispenser(lex(directive, 'Corefile')), opts.blockZones ?? ['.'], () => undefined);
  const instance = new GatewayInstance(cfg, newLogger('k8s_gateway'), opts.source);
  if (opts.start !== false) await instance.start();
  return { instance, handler: instance.handler(opts.next), stop: () => instance.stop() };
}

// ---- Table helpers for the behaviour tests ------------------------------------------------------

/**
 * SOA(Z) as emitted; SERIAL stands for the instance's current serial (see `check`). The MNAME is
 * `<apex>.<nsZone>` (a reverse zone's nameserver lives in the forward zone).
 */
export function soa(zone: string, apex = 'dns1.kube-system', nsZone = zone): string {
  const ns = `${apex}.${nsZone}`;
  return `${zone} 60 IN SOA ${ns} hostmaster.${ns} SERIAL 7200 1800 86400 60`;
}

export type Row = Case & { id: string };

/**
 * One query through the handler. SERIAL in SOA strings becomes the current serial; every reply
 * written (an in-zone answer) must have AA set and any SOA it carries must have minimum 60.
 */
export async function check(g: StartedGateway, row: Case): Promise<Recorder> {
  const serial = String(g.instance.table.currentSerial);
  const fix = (l?: string[]): string[] | undefined => l?.map((s) => s.replace('SERIAL', serial));
  const rec = await runCase(g.handler, { ...row, answer: fix(row.answer), ns: fix(row.ns), extra: fix(row.extra) });
  if (row.returns === undefined) {
    expect((rec.sent?.flags ?? 0) & Flag.AA, `AA on ${row.qname} ${typeToString(row.qtype)}`).toBe(Flag.AA);
    const m = rec.msg();
    for (const r of [...m.answers, ...m.authorities]) if (r.type === QType.SOA) expect(r.minimum).toBe(60);
  }
  return rec;
}

/** One `it` per row, against the gateway `get` returns when the row runs. */
export function table(get: () => StartedGateway, rows: readonly Row[]): void {
  for (const row of rows) {
    it(`${row.id}: ${row.qname} ${typeToString(row.qtype)}`, async () => {
      await check(get(), row);
    });
  }
}

/** The objects of a YAML text (one or more documents), as a manifests file would give them. */
export function objects(yaml: string): { kind: ObjectKind; obj: KubeObject }[] {
  const out: { kind: ObjectKind; obj: KubeObject }[] = [];
  for (const doc of loadAll(yaml, { schema: CORE_SCHEMA })) {
    const obj = doc as KubeObject;
    const kind = classify(obj);
    if (kind === undefined) throw new Error(`not a k8s_gateway object: ${obj.apiVersion ?? '?'} ${obj.kind ?? '?'}`);
    out.push({ kind, obj });
  }
  return out;
}

/** Adds or replaces objects in the running index, as a source would on a watch event. */
export function upsertYaml(g: StartedGateway, yaml: string): void {
  for (const { kind, obj } of objects(yaml)) g.instance.index.upsert(kind, obj);
}

/** Sum of `exdns_invalid_objects_total`, optionally for one kind and/or reason. */
export async function invalidCount(kind?: string, reason?: string): Promise<number> {
  const { values } = await invalidObjects.get();
  let n = 0;
  for (const v of values) {
    if (kind !== undefined && v.labels.kind !== kind) continue;
    if (reason !== undefined && v.labels.reason !== reason) continue;
    n += v.value;
  }
  return n;
}

/**
 * A JoinContext over a fixed list of objects, for extractor tests: the reads are recorded the
 * way the index records them as dependencies.
 */
export function joinContextOf(objects: readonly [ObjectKind, KubeObject][]): JoinContext & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    get(kind, namespace, name) {
      reads.push(`${kind} ${namespace}/${name}`);
      return objects.find(([k, o]) => k === kind && (o.metadata?.namespace ?? '') === namespace && o.metadata?.name === name)?.[1];
    },
    endpointSlices(namespace, service) {
      return objects
        .filter(([k, o]) => k === 'EndpointSlice' && o.metadata?.namespace === namespace && o.metadata?.labels?.['kubernetes.io/service-name'] === service)
        .map(([, o]) => o);
    },
    all(kind) {
      reads.push(`${kind} *`);
      return objects.filter(([k]) => k === kind).map(([, o]) => o);
    },
  };
}
