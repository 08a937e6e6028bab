/** Builds a started k8s_gateway from a directive text, for table tests through the real handler. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Dispenser } from '../src/corefile/dispenser.js';
import { lex } from '../src/corefile/lexer.js';
import { newLogger } from '../src/log.js';
import type { Handler } from '../src/plugin/plugin.js';
import { GatewayInstance, type SourceFactory } from '../plugins/k8s_gateway/instance.js';
import { parse } from '../plugins/k8s_gateway/setup.js';

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
