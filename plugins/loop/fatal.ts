/** The loop plugin's fatal exit: the core's, under the plugin's name. */
import { fatal as coreFatal } from '../../src/fatal.js';

export function fatal(plugin: string, message: string): never {
  return coreFatal(`plugin/${plugin}`, message);
}
