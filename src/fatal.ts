/**
 * Go's log.Fatal for plugins: the `[FATAL]` line, then the process ends with status 1 at once,
 * with no graceful shutdown (a looping server must stop answering now, as CoreDNS does).
 *
 * A `-workers` child exits with WORKER_FATAL_EXIT instead, which tells the primary not to start
 * a replacement (it would only hit the same condition) but to stop everything with status 1.
 */
import cluster from 'node:cluster';
import { logLine } from './log.js';

export const WORKER_FATAL_EXIT = 3;

export function fatal(source: string, message: string): never {
  logLine('FATAL', `${source}: ${message}`);
  process.exit(cluster.isWorker ? WORKER_FATAL_EXIT : 1);
}
