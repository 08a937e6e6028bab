/**
 * CoreDNS-style log lines: "[INFO] plugin/NAME: message". Output goes to stdout like CoreDNS's
 * clog; a sink can be swapped for tests.
 */
export type Level = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'FATAL';

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warning(msg: string): void;
  error(msg: string): void;
}

type Sink = (line: string) => void;
let sink: Sink = (line) => process.stdout.write(line + '\n');
let debugEnabled = false;

export function setLogSink(s: Sink): Sink {
  const prev = sink;
  sink = s;
  return prev;
}

export function setDebug(on: boolean): void {
  debugEnabled = on;
}

export function logLine(level: Level, msg: string): void {
  if (level === 'DEBUG' && !debugEnabled) return;
  sink(`[${level}] ${msg}`);
}

export function newLogger(plugin?: string): Logger {
  const prefix = plugin ? `plugin/${plugin}: ` : '';
  return {
    debug: (m) => logLine('DEBUG', prefix + m),
    info: (m) => logLine('INFO', prefix + m),
    warning: (m) => logLine('WARNING', prefix + m),
    error: (m) => logLine('ERROR', prefix + m),
  };
}

export const log = newLogger();
