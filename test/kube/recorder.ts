/** Recording sinks, feed events and loggers for the Kubernetes source tests. */
import { vi } from 'vitest';
import type { Logger } from '../../src/log.js';
import type { FeedEvents, FeedSink } from '../../plugins/k8s_gateway/sources/reflector.js';
import { objectKey, type KubeObject, type ObjectKind, type SourceSink } from '../../plugins/k8s_gateway/types.js';

export interface SinkCall {
  readonly op: 'replace' | 'upsert' | 'delete' | 'synced';
  readonly kind: ObjectKind;
  /** replace: the keys delivered; upsert/delete: the one key. */
  readonly keys: readonly string[];
  readonly at: number;
}

/** A SourceSink keeping the current objects per kind and every call in order. */
export class RecordingSink implements SourceSink {
  readonly calls: SinkCall[] = [];
  private readonly objects = new Map<ObjectKind, Map<string, KubeObject>>();

  replace(kind: ObjectKind, objects: Iterable<KubeObject>): void {
    const m = new Map<string, KubeObject>();
    const keys: string[] = [];
    for (const o of objects) {
      keys.push(objectKey(o));
      m.set(objectKey(o), o);
    }
    this.objects.set(kind, m);
    this.calls.push({ op: 'replace', kind, keys, at: Date.now() });
  }

  upsert(kind: ObjectKind, obj: KubeObject): void {
    this.map(kind).set(objectKey(obj), obj);
    this.calls.push({ op: 'upsert', kind, keys: [objectKey(obj)], at: Date.now() });
  }

  delete(kind: ObjectKind, key: string): void {
    this.map(kind).delete(key);
    this.calls.push({ op: 'delete', kind, keys: [key], at: Date.now() });
  }

  synced(kind: ObjectKind): void {
    this.calls.push({ op: 'synced', kind, keys: [], at: Date.now() });
  }

  /** A FeedSink (one reflector's view) writing into this sink as `kind`. */
  feed(kind: ObjectKind): FeedSink {
    return {
      replace: (objects) => this.replace(kind, objects),
      upsert: (obj) => this.upsert(kind, obj),
      delete: (key) => this.delete(kind, key),
      synced: () => this.synced(kind),
    };
  }

  keys(kind: ObjectKind): string[] {
    return [...this.map(kind).keys()].sort();
  }

  get(kind: ObjectKind, key: string): KubeObject | undefined {
    return this.map(kind).get(key);
  }

  syncCount(kind: ObjectKind): number {
    return this.calls.filter((c) => c.op === 'synced' && c.kind === kind).length;
  }

  callsOf(kind: ObjectKind, op?: SinkCall['op']): SinkCall[] {
    return this.calls.filter((c) => c.kind === kind && (op === undefined || c.op === op));
  }

  /** `op key` lines of one kind's calls (replace: `replace a,b`), for compact assertions. */
  trace(kind: ObjectKind, from = 0): string[] {
    return this.calls
      .slice(from)
      .filter((c) => c.kind === kind)
      .map((c) => (c.op === 'synced' ? 'synced' : `${c.op} ${[...c.keys].sort().join(',')}`));
  }

  private map(kind: ObjectKind): Map<string, KubeObject> {
    let m = this.objects.get(kind);
    if (m === undefined) {
      m = new Map();
      this.objects.set(kind, m);
    }
    return m;
  }
}

/** Counts of a feed's restart / relist / activity events. */
export class EventCounter implements FeedEvents {
  restarts = 0;
  relists = 0;
  activities = 0;
  restart = (): void => void this.restarts++;
  relist = (): void => void this.relists++;
  activity = (): void => void this.activities++;
}

export class RecordingLogger implements Logger {
  readonly lines: { level: string; msg: string; at: number }[] = [];
  debug = (m: string): void => void this.lines.push({ level: 'debug', msg: m, at: Date.now() });
  info = (m: string): void => void this.lines.push({ level: 'info', msg: m, at: Date.now() });
  warning = (m: string): void => void this.lines.push({ level: 'warning', msg: m, at: Date.now() });
  error = (m: string): void => void this.lines.push({ level: 'error', msg: m, at: Date.now() });

  of(level: string): string[] {
    return this.lines.filter((l) => l.level === level).map((l) => l.msg);
  }
}

/** Polls `check` until it stops throwing; generous, for a loaded machine. */
export function eventually<T>(check: () => T | Promise<T>, timeout = 10_000): Promise<T> {
  return vi.waitFor(check, { timeout, interval: 15 });
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
