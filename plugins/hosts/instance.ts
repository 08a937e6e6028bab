/**
 * One configured hosts plugin: the inline entries parsed at setup, the file's entries read at
 * start and kept current, and the handler answering from both.
 */
import type { Logger } from '../../src/log.js';
import type { Handler, PluginInstance } from '../../src/plugin/plugin.js';
import { HostsFile } from './file.js';
import { Hosts } from './hosts.js';
import { EMPTY_HOSTS, parseHosts, parseHostsInSlices, type ParseOptions } from './hostsfile.js';
import { recordReload } from './metrics.js';
import type { Config } from './setup.js';
import { HostsTable } from './table.js';

export class HostsInstance implements PluginInstance {
  private table: HostsTable;
  private readonly file: HostsFile;

  constructor(
    private readonly config: Config,
    log: Logger,
  ) {
    const opts: ParseOptions = { zones: config.zones, autoReverse: config.autoReverse };
    this.table = new HostsTable(EMPTY_HOSTS, parseHosts(config.inline.join('\n'), opts));
    this.file = new HostsFile({
      path: config.path,
      reloadMs: config.reloadMs,
      log,
      onRead: async (text, mtimeMs) => {
        const file = await parseHostsInSlices(text, opts);
        this.table = new HostsTable(file, this.table.inline);
        log.debug(`Parsed hosts file into ${this.table.file.size} entries`);
        recordReload(this.table.size, mtimeMs);
      },
    });
  }

  handler(next: Handler | undefined): Handler {
    return new Hosts(() => this.table, this.config, next);
  }

  start(): Promise<void> {
    return this.file.start();
  }

  stop(): Promise<void> {
    return this.file.stop();
  }
}
