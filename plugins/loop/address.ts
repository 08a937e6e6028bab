/** Addresses as Go prints them in loop's message, and where a listener is reached from this host. */
import type { BoundListener } from '../../src/plugin/plugin.js';

/** Go's net.JoinHostPort after IP.String(): IPv4-mapped IPv6 shows as IPv4, IPv6 in brackets. */
export function hostPort(ip: string, port: number): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const host = mapped ? mapped[1]! : ip;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export interface ProbeTarget {
  /** Where the probe is sent. */
  readonly host: string;
  readonly port: number;
  /** The listen address as CoreDNS shows it: `:53` for every address. */
  readonly display: string;
}

/** A listener on every address is reached over loopback, as Go dials `:53`. */
export function probeTarget(l: BoundListener): ProbeTarget {
  const display = l.host === '' ? `:${l.udpPort}` : hostPort(l.host, l.udpPort);
  const host = l.host === '' || l.host === '0.0.0.0' ? '127.0.0.1' : l.host === '::' ? '::1' : l.host;
  return { host, port: l.udpPort, display };
}
