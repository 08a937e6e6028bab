/**
 * The `nameserver` lines of a resolv.conf-style file (miekg/dns ClientConfigFromReader): one
 * server per line, the first field after the keyword; every other line is ignored, comments
 * included. Port 53 always: resolv.conf has no way to say otherwise.
 */
export function resolvConfServers(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'nameserver' && f.length > 1) out.push(f[1]!);
  }
  return out;
}
