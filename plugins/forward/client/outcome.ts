/** What one exchange with an upstream ends in; exchanges never reject. */

/** Why an exchange produced no reply. */
export type FailureKind =
  /** No reply within the timeout. */
  | 'timeout'
  /** The upstream refused: ICMP port unreachable on UDP, RST on TCP connect. */
  | 'refused'
  /** The TCP connection closed before the reply came. */
  | 'closed'
  /** Any other socket error. */
  | 'network'
  /** A reply whose records do not parse. */
  | 'malformed'
  /** The transport was stopped (configuration replaced or shutdown). */
  | 'stopped';

export class UpstreamError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    /** For 'closed': the query went out on a connection reused from an earlier exchange. */
    readonly cached = false,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

export type Outcome =
  /** A response carrying the query's ID and question. */
  | { readonly kind: 'reply'; readonly msg: Buffer }
  /** A message with the query's ID that is not a response to its question. */
  | { readonly kind: 'mismatch'; readonly msg: Buffer }
  | { readonly kind: 'error'; readonly error: UpstreamError };
