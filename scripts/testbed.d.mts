// Types for scripts/testbed.mjs (plain Node ESM, so TypeScript tests can import it strictly).

export declare const KUBE_VERSION: string;
export declare const ETCD_VERSION: string;
export declare const CACHE_DIR: string;
export declare const CRD_DIR: string;
export declare const RBAC_FILE: string;
export declare const EXDNS_SERVICE_ACCOUNT: { readonly namespace: string; readonly name: string };

export declare const paths: {
  readonly dir: string;
  readonly pki: string;
  readonly etcdData: string;
  readonly logs: string;
  readonly etcdLog: string;
  readonly apiserverLog: string;
  readonly etcdPid: string;
  readonly apiserverPid: string;
  readonly state: string;
  readonly kubeconfig: string;
  readonly exdnsKubeconfig: string;
  readonly lock: string;
};

export type BinaryName = 'kube-apiserver' | 'etcd';

export interface TestbedState {
  etcdPort: number;
  etcdPeerPort: number;
  apiPort: number;
  binaries: Record<BinaryName, string>;
  createdAt: string;
}

export interface TestbedInfo {
  dir: string;
  kubeconfig: string;
  exdnsKubeconfig: string;
  /** https://127.0.0.1:PORT */
  server: string;
  /** http://127.0.0.1:PORT */
  etcdUrl: string;
  apiPort: number;
  etcdPort: number;
}

export interface TestbedStatus {
  running: boolean;
  etcd: { pid: number | null; healthy: boolean };
  apiserver: { pid: number | null; ready: boolean; version: string | null };
  dir: string;
  kubeconfig?: string;
  exdnsKubeconfig?: string;
  server?: string;
  etcdUrl?: string;
  apiPort?: number;
  etcdPort?: number;
  binaries: Record<BinaryName, { path: string; cached: boolean }>;
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

/** 'all' (default), 'none', or CRD names / file names of test/testbed/crds. */
export type CrdSelection = 'all' | 'none' | readonly string[];

export declare function up(opts?: { crds?: CrdSelection }): Promise<TestbedInfo>;
export declare function down(opts?: { purge?: boolean }): Promise<void>;
export declare function status(): Promise<TestbedStatus>;
export declare function stopApiserver(): Promise<void>;
export declare function startApiserver(): Promise<TestbedInfo>;
export declare function installCrd(file: string, opts?: { timeoutMs?: number }): Promise<string>;
export declare function deleteCrd(name: string, opts?: { timeoutMs?: number }): Promise<void>;
export declare function crdFiles(): string[];
export declare function readState(): TestbedState | null;
export declare function binaryPath(name: BinaryName): string;
export declare function ensureBinaries(names?: readonly BinaryName[]): Promise<Partial<Record<BinaryName, string>>>;
export declare function apiRequest(
  method: string,
  apiPath: string,
  opts?: { body?: unknown; contentType?: string; token?: string; timeoutMs?: number; state?: TestbedState },
): Promise<ApiResponse>;
