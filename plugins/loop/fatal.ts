/** Go's log.Fatal for plugins: the `[FATAL]` line, then the process ends with status 1 at once. */
import { logLine } from '../../src/log.js';

export function fatal(plugin: string, message: string): never {
  logLine('FATAL', `plugin/${plugin}: ${message}`);
  // No graceful shutdown, as in CoreDNS: a looping server must stop answering now.
  process.exit(1);
}
