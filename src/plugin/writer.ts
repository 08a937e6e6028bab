/**
 * Where plugins write replies (CoreDNS's dns.ResponseWriter). The server supplies the innermost
 * writer; plugins that watch or edit replies (log, cache, rewrite...) wrap it.
 */
import type { Reply } from '../wire/reply.js';

export interface ResponseWriter {
  /** Sends a reply for the request this writer belongs to. Only the first write counts. */
  write(reply: Reply): void;
  /** True once a reply was written through this writer or an inner one. */
  readonly written: boolean;
  /** Facts about the reply actually sent (set by the innermost writer). */
  readonly sent: SentReply | undefined;
}

export interface SentReply {
  /** Full rcode including EDNS extended bits. */
  readonly rcode: number;
  /** Header flags word of the bytes sent. */
  readonly flags: number;
  /** Bytes sent. */
  readonly size: number;
  /** Plugin that wrote it ('' when the server wrote it). */
  readonly plugin: string;
}

/** A writer that passes everything to an inner writer; subclass to observe or edit. */
export class WrappedWriter implements ResponseWriter {
  constructor(protected readonly inner: ResponseWriter) {}
  write(reply: Reply): void {
    this.inner.write(reply);
  }
  get written(): boolean {
    return this.inner.written;
  }
  get sent(): SentReply | undefined {
    return this.inner.sent;
  }
}
