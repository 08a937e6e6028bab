// Types for scripts/helm.mjs (plain Node ESM, so TypeScript tests can import it strictly).

export declare const HELM_VERSION: string;
/** The cached helm binary: ${XDG_CACHE_HOME:-~/.cache}/exdns/testbed/helm-<version>/helm (or $HELM_BIN). */
export declare function helmPath(): string;
/** The cached helm binary, built with `go install` from the Go module proxy when missing. */
export declare function ensureHelm(): Promise<string>;
/** Runs helm (already built) synchronously; returns stdout, throws an Error carrying stdout/stderr on failure. */
export declare function helm(args: readonly string[], opts?: { cwd?: string; input?: string }): string;
