/**
 * The `manifests PATH...` source: Kubernetes objects read from YAML/JSON files and folders, kept
 * live while the files change (hand edits, ConfigMap mounts swapping their `..data` symlink).
 *
 * A broken file is fatal at start, like a Corefile error, because serving a partial view of a
 * zone from the first second is worse than refusing the config. Once running, a broken edit only
 * logs and the file's last good objects keep being served: a half-saved file must not take names
 * out of DNS.
 */
import { createHash } from 'node:crypto';
import { watch, type FSWatcher, type Stats } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { CORE_SCHEMA, type LoadOptions, YAMLException, loadAll } from 'js-yaml';
import { objectKey, type KubeObject, type ObjectKind, type ObjectMeta, type Source, type SourceSink } from '../types.js';
import { classify, isNamespaced } from './classify.js';
import { documentTexts } from './documents.js';
import { countOf, NO_PACKS, packedObjects, packedRows, type Packs, PackWriter } from './packed.js';
import type { Logger } from '../../../src/log.js';

export interface ManifestsOptions {
  readonly logger: Logger;
  /**
   * Applied to every object of a wanted kind as it is read (the plugin keeps only the fields its
   * extractors use), so the source holds no more than the index needs.
   */
  readonly transform?: (kind: ObjectKind, obj: KubeObject) => KubeObject;
  /** Quiet period after a filesystem event before files are re-read (editors write in bursts). */
  readonly debounceMs?: number;
  /** Stat-poll period: fs.watch misses events on some filesystems and on symlink swaps. */
  readonly pollMs?: number;
  /** false: stat polling only (inotify watch limit exhausted, network filesystems). */
  readonly watch?: boolean;
}

const DEFAULT_DEBOUNCE_MS = 100;
const DEFAULT_POLL_MS = 500;
const MANIFEST_FILE = /\.(ya?ml|json)$/i;
/** Folder nesting bound: manifest trees are shallow, and symlinked folders can form cycles. */
const MAX_DEPTH = 16;
/** Aliases are shared references; many of them would blow up when objects are serialised. */
const MAX_ALIASES = 1000;

/** Where the copy of an object that wins was read, for messages and for fetching it. */
interface Winner {
  readonly file: string;
  /** 1-based document number in the file. */
  readonly doc: number;
  /** 1-based item number when the document is a List, else 0. */
  readonly item: number;
  /** Row number in the file's pack of its kind. */
  readonly row: number;
}

interface FileState {
  /** stat signature the content was read at; a different one means "read again". */
  sig: string;
  /** Digest of the last text read, good or bad, so an unchanged broken file is not reported again. */
  digest: string;
  /** Objects from the last text that parsed (see packed.ts). */
  packs: Packs;
}

function where(file: string, doc: number, item: number): string {
  return item === 0 ? `${file} (document ${doc})` : `${file} (document ${doc}, item ${item})`;
}

interface Listing {
  /** Manifest files in delivery order (later files win duplicates), with their stat signature. */
  readonly files: Map<string, { readonly sig: string; readonly dir: string }>;
  /** Folders to watch. */
  readonly dirs: Set<string>;
  /** Paths that could not be listed: fatal at start, warnings afterwards. */
  readonly problems: string[];
}

export class ManifestsSource implements Source {
  private readonly roots: readonly string[];
  private readonly kinds: readonly ObjectKind[];
  private readonly wanted: ReadonlySet<ObjectKind>;
  private readonly transform: ((kind: ObjectKind, obj: KubeObject) => KubeObject) | undefined;
  private readonly log: Logger;
  private readonly debounceMs: number;
  private readonly pollMs: number;
  private readonly useWatch: boolean;

  private sink: SourceSink | undefined;
  private stopped = false;
  private files = new Map<string, FileState>();
  private order: readonly string[] = [];
  private readonly delivered = new Map<ObjectKind, string>();
  private reportedProblems = '';
  private readonly reportedDuplicates = new Map<ObjectKind, Set<string>>();

  private readonly watchers = new Map<string, FSWatcher>();
  private pollTimer: NodeJS.Timeout | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private pendingDirs = new Set<string>();
  private busy = false;
  private again = false;
  private running: Promise<void> = Promise.resolve();

  constructor(paths: readonly string[], kinds: readonly ObjectKind[], opts: ManifestsOptions) {
    this.roots = [...new Set(paths.map((p) => path.resolve(p)))];
    this.kinds = [...new Set(kinds)];
    this.wanted = new Set(this.kinds);
    this.log = opts.logger;
    this.debounceMs = opts.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
    this.useWatch = opts.watch ?? true;
    this.transform = opts.transform;
  }

  async start(sink: SourceSink): Promise<void> {
    if (this.sink || this.stopped) throw new Error('manifests: source already started');
    if (this.roots.length === 0) throw new Error('manifests: no paths given');
    const listing = await this.list();
    if (listing.problems.length > 0) throw new Error(`manifests: ${listing.problems.join('; ')}`);
    const files = new Map<string, FileState>();
    for (const [file, { sig }] of listing.files) {
      const bytes = await readBytes(file);
      if (bytes === undefined) throw new Error(`manifests: ${file} disappeared while loading`);
      files.set(file, { sig, digest: digest(bytes), packs: this.parse(file, bytes) });
    }
    if (this.stopped) return; // stopped while loading: stay silent, as stop() promises
    this.files = files;
    this.order = [...listing.files.keys()];
    this.sink = sink;
    this.deliver(true);
    const count = [...this.files.values()].reduce((n, f) => n + countOf(f.packs), 0);
    this.log.info(`manifests: ${count} objects from ${this.files.size} files`);
    this.syncWatchers(listing.dirs);
    this.pollTimer = setInterval(() => this.schedule(0), this.pollMs);
    this.pollTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.debounceTimer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    await this.running;
  }

  // --- change detection -------------------------------------------------------------------

  private schedule(delayMs: number): void {
    if (this.stopped || this.debounceTimer) return;
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      this.run();
    }, delayMs);
  }

  /** One refresh at a time; events arriving meanwhile fold into a single follow-up. */
  private run(): void {
    if (this.stopped) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    const force = this.pendingDirs;
    this.pendingDirs = new Set();
    this.running = this.refresh(force)
      .catch((err: unknown) => this.log.error(`manifests: reload failed: ${message(err)}`))
      .finally(() => {
        this.busy = false;
        if (this.again) {
          this.again = false;
          this.run();
        }
      });
  }

  private onDirEvent(dir: string): void {
    this.pendingDirs.add(dir);
    this.schedule(this.debounceMs);
  }

  private syncWatchers(dirs: ReadonlySet<string>): void {
    if (this.stopped || !this.useWatch) return;
    for (const [dir, w] of this.watchers) {
      if (dirs.has(dir)) continue;
      w.close();
      this.watchers.delete(dir);
    }
    for (const dir of dirs) if (!this.watchers.has(dir)) this.watchDir(dir);
  }

  private watchDir(dir: string): void {
    let w: FSWatcher;
    try {
      w = watch(dir, { persistent: false }, () => this.onDirEvent(dir));
    } catch {
      return; // the stat poll still covers this folder
    }
    w.on('error', () => {
      w.close();
      if (this.watchers.get(dir) === w) this.watchers.delete(dir);
      this.onDirEvent(dir);
    });
    this.watchers.set(dir, w);
  }

  /**
   * Re-lists every path and re-reads files whose stat signature moved, plus every file in a
   * folder fs.watch reported (`force`), since a same-size edit within the mtime granularity
   * keeps the signature.
   */
  private async refresh(force: ReadonlySet<string>): Promise<void> {
    const listing = await this.list();
    if (this.stopped) return;
    this.reportProblems(listing.problems);
    let changed = false;
    for (const file of [...this.files.keys()]) {
      if (listing.files.has(file)) continue;
      this.files.delete(file);
      this.log.info(`manifests: ${file} removed`);
      changed = true;
    }
    for (const [file, { sig, dir }] of listing.files) {
      const prev = this.files.get(file);
      if (prev && prev.sig === sig && !force.has(dir)) continue;
      if (await this.reload(file, sig, prev)) changed = true;
      if (this.stopped) return;
    }
    if (this.order.join('\0') !== [...listing.files.keys()].join('\0')) changed = true;
    this.order = [...listing.files.keys()];
    if (changed) this.deliver(false);
    this.syncWatchers(listing.dirs);
  }

  /** Re-reads one file; true when its objects changed. */
  private async reload(file: string, sig: string, prev: FileState | undefined): Promise<boolean> {
    let text: Buffer | undefined;
    try {
      text = await readBytes(file);
    } catch (err) {
      this.log.error(`${message(err)}; keeping its last good content`);
      return false;
    }
    if (text === undefined) {
      // Removed between listing and reading; the next listing agrees.
      this.files.delete(file);
      return prev !== undefined;
    }
    // Caught mid-write (or removed): leave it for the next round, which sees the signature moved.
    if ((await signature(file)) !== sig) return false;
    const textDigest = digest(text);
    if (prev && prev.digest === textDigest) {
      prev.sig = sig;
      return false;
    }
    let packs: Packs;
    try {
      packs = this.parse(file, text);
    } catch (err) {
      this.log.error(`${message(err)}; keeping its last good content`);
      this.files.set(file, { sig, digest: textDigest, packs: prev?.packs ?? NO_PACKS });
      return false;
    }
    this.files.set(file, { sig, digest: textDigest, packs });
    this.log.info(`manifests: ${prev ? 'reloaded' : 'loaded'} ${file} (${countOf(packs)} objects)`);
    return true;
  }

  private reportProblems(problems: readonly string[]): void {
    const text = problems.join('; ');
    if (text !== this.reportedProblems && text !== '') this.log.warning(`manifests: ${text}`);
    this.reportedProblems = text;
  }

  // --- listing ----------------------------------------------------------------------------

  private async list(): Promise<Listing> {
    const listing: Listing = { files: new Map(), dirs: new Set(), problems: [] };
    const visited = new Set<string>();
    for (const root of this.roots) {
      let st: Stats;
      try {
        st = await stat(root);
      } catch (err) {
        listing.problems.push(isMissing(err) ? `${root} does not exist` : `cannot read ${root}: ${message(err)}`);
        continue;
      }
      if (st.isDirectory()) {
        listing.dirs.add(root);
        visited.add(inode(st));
        await walk(root, 0, visited, listing);
      } else if (st.isFile()) {
        if (!listing.files.has(root)) listing.files.set(root, { sig: sigOf(st), dir: path.dirname(root) });
        listing.dirs.add(path.dirname(root));
      } else {
        listing.problems.push(`${root} is neither a file nor a folder`);
      }
    }
    return listing;
  }

  // --- parsing ----------------------------------------------------------------------------

  /** The wanted objects in `text`; throws an Error naming the file (and position) on bad syntax. */
  private parse(file: string, bytes: Buffer): Packs {
    const json = /\.json$/i.test(file);
    const chunks = json ? undefined : documentTexts(bytes);
    if (chunks !== undefined) {
      // Any trouble, and the whole file is parsed again the usual way: it reports the error
      // exactly as a whole-file parse does (line numbers of the file, not of a document).
      const out = new Collected(file);
      try {
        for (const chunk of chunks) for (const doc of loadAll(chunk, this.yamlOptions(file, false))) this.collectDocument(doc, out);
        return out.finish(this.log);
      } catch {
        // fall through
      }
    }
    let docs: unknown[];
    try {
      docs = loadAll(bytes.toString('utf8'), this.yamlOptions(file, json));
    } catch (err) {
      throw new Error(`manifests: cannot parse ${file}${position(err)}: ${reason(err)}`);
    }
    const out = new Collected(file);
    for (const doc of docs) this.collectDocument(doc, out);
    return out.finish(this.log);
  }

  private yamlOptions(file: string, json: boolean): LoadOptions {
    return {
      schema: CORE_SCHEMA,
      filename: file,
      // JSON allows repeated keys (last wins); YAML forbids them.
      json,
      maxAliases: MAX_ALIASES,
    };
  }

  private collectDocument(doc: unknown, out: Collected): void {
    out.doc++;
    if (doc === null || doc === undefined) return; // empty document between `---` separators
    if (isRecord(doc) && typeof doc.kind === 'string' && doc.kind.endsWith('List') && 'items' in doc) {
      this.collectList(doc, out);
      return;
    }
    this.collectObject(doc, out, 0);
  }

  /** `v1 List` and typed lists (`ServiceList`, as `kubectl get -o yaml` prints them). */
  private collectList(list: Record<string, unknown>, out: Collected): void {
    const items = list.items ?? [];
    if (!Array.isArray(items)) {
      out.warn(`manifests: ${out.where(0)}: ${String(list.kind)} items is not a list, skipped`);
      return;
    }
    const itemKind = list.kind === 'List' ? undefined : String(list.kind).slice(0, -'List'.length);
    items.forEach((item: unknown, j) => {
      const filled =
        itemKind && isRecord(item) && item.kind === undefined
          ? { ...item, apiVersion: item.apiVersion ?? list.apiVersion, kind: itemKind }
          : item;
      this.collectObject(filled, out, j + 1);
    });
  }

  private collectObject(value: unknown, out: Collected, item: number): void {
    if (!isRecord(value)) {
      out.warn(`manifests: ${out.where(item)}: not an object, skipped`);
      return;
    }
    if (typeof value.apiVersion !== 'string' || typeof value.kind !== 'string') {
      out.warn(`manifests: ${out.where(item)}: no apiVersion/kind, skipped`);
      return;
    }
    const obj: KubeObject = value;
    const kind = classify(obj);
    if (kind === undefined || !this.wanted.has(kind)) return;
    const meta = normalizeMeta(obj.metadata, kind);
    if (typeof meta === 'string') {
      out.warn(`manifests: ${out.where(item)}: ${obj.kind} ${meta}, skipped`);
      return;
    }
    let normalized: KubeObject = { ...obj, metadata: meta };
    if (this.transform !== undefined) normalized = this.transform(kind, normalized);
    out.objects.add(kind, out.doc, item, objectKey(normalized), normalized);
  }

  // --- delivery ---------------------------------------------------------------------------

  /**
   * Which copy of each object of a kind is delivered: a later file (or document) replaces an
   * earlier one with the same key. Decided from the keys alone; no object is deserialised.
   */
  private merge(kind: ObjectKind): Map<string, Winner> {
    const byKey = new Map<string, Winner>();
    const duplicates = new Set<string>();
    for (const file of this.order) {
      const pack = this.files.get(file)?.packs.get(kind);
      if (pack === undefined) continue;
      const rows = packedRows(pack);
      for (let row = 0; row < rows.length; row++) {
        const { doc, item, key } = rows[row]!;
        const prev = byKey.get(key);
        if (prev) duplicates.add(`manifests: ${kind} ${key} from ${where(file, doc, item)} overrides ${where(prev.file, prev.doc, prev.item)}`);
        byKey.set(key, { file, doc, item, row });
      }
    }
    // Every reload recomputes everything; only tell about a duplicate when it first appears.
    const reported = this.reportedDuplicates.get(kind);
    for (const d of duplicates) if (!reported?.has(d)) this.log.warning(d);
    this.reportedDuplicates.set(kind, duplicates);
    return byKey;
  }

  /** The winning objects of a kind, deserialised one by one as the index takes them. */
  private *winners(kind: ObjectKind, winners: Map<string, Winner>): Generator<KubeObject> {
    const wanted = new Map<string, Set<number>>();
    for (const w of winners.values()) {
      let rows = wanted.get(w.file);
      if (rows === undefined) wanted.set(w.file, (rows = new Set()));
      rows.add(w.row);
    }
    for (const file of this.order) {
      const pack = this.files.get(file)?.packs.get(kind);
      const rows = wanted.get(file);
      if (pack === undefined || rows === undefined) continue;
      yield* packedObjects(pack, (row) => rows.has(row));
    }
  }

  /**
   * What a kind's delivery is made of: every file's pack of that kind, in order, with the file's
   * name (duplicate warnings name files). Equal fingerprints mean an equal merge.
   */
  private fingerprint(kind: ObjectKind): string {
    const hash = createHash('sha256');
    for (const file of this.order) {
      const pack = this.files.get(file)?.packs.get(kind);
      if (pack === undefined) continue;
      hash.update(`${file}\0${pack.count}\0`);
      hash.update(pack.bytes);
    }
    return hash.digest('base64');
  }

  private deliver(initial: boolean): void {
    const sink = this.sink;
    if (!sink || this.stopped) return;
    // Kind by kind, so only one kind's objects are unpacked at a time.
    for (const kind of this.kinds) {
      const fingerprint = this.fingerprint(kind);
      if (!initial && this.delivered.get(kind) === fingerprint) continue;
      this.delivered.set(kind, fingerprint);
      sink.replace(kind, this.winners(kind, this.merge(kind)));
      if (initial) sink.synced(kind);
    }
  }
}

// --- helpers --------------------------------------------------------------------------------

/**
 * What one parse of a file collected. Warnings wait until the parse has succeeded: a file parsed
 * document by document may be parsed again whole, and must not warn twice.
 */
class Collected {
  readonly objects = new PackWriter();
  private readonly warnings: string[] = [];
  /** 1-based number of the document being collected. */
  doc = 0;

  constructor(private readonly file: string) {}

  where(item: number): string {
    return where(this.file, this.doc, item);
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  finish(log: Logger): Packs {
    for (const w of this.warnings) log.warning(w);
    return this.objects.finish();
  }
}

/** What a file's content is compared by: the text itself is not kept. */
function digest(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('base64');
}

async function walk(dir: string, depth: number, visited: Set<string>, listing: Listing): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (!isMissing(err)) listing.problems.push(`cannot list ${dir}: ${message(err)}`);
    return;
  }
  for (const name of names.sort()) {
    // Hidden entries include a ConfigMap mount's `..data` and `..2024_…` folders; the visible
    // symlinks at the top of the mount already lead into them.
    if (name.startsWith('.')) continue;
    const full = path.join(dir, name);
    let st: Stats;
    try {
      st = await stat(full);
    } catch {
      continue; // dangling symlink, or removed while listing
    }
    if (st.isDirectory()) {
      if (depth + 1 > MAX_DEPTH || visited.has(inode(st))) continue;
      visited.add(inode(st));
      listing.dirs.add(full);
      await walk(full, depth + 1, visited, listing);
    } else if (st.isFile() && MANIFEST_FILE.test(name) && !listing.files.has(full)) {
      listing.files.set(full, { sig: sigOf(st), dir });
    }
  }
}

/**
 * The file's bytes, or undefined when it is gone. Bytes, not text: a file's text would be one
 * large string in the V8 heap, and only its documents, decoded one at a time, are needed.
 */
async function readBytes(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw new Error(`manifests: cannot read ${file}: ${message(err)}`, { cause: err });
  }
}

async function signature(file: string): Promise<string | undefined> {
  try {
    return sigOf(await stat(file));
  } catch {
    return undefined;
  }
}

/** Follows symlinks, so a ConfigMap `..data` swap changes the inode seen through `file`. */
function sigOf(st: Stats): string {
  return `${inode(st)}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

function inode(st: Stats): string {
  return `${st.dev}:${st.ino}`;
}

/**
 * Metadata with its typed fields checked (extractors trust ObjectMeta's types) and the namespace
 * defaulted like kubectl does; a string says what is wrong.
 */
function normalizeMeta(raw: unknown, kind: ObjectKind): ObjectMeta | string {
  if (!isRecord(raw)) return 'has no metadata';
  const meta: Record<string, unknown> = { ...raw };
  if (typeof meta.name !== 'string' || meta.name === '') return 'has no metadata.name';
  const ns = meta.namespace ?? '';
  if (typeof ns !== 'string') return `${meta.name}: metadata.namespace is not a string`;
  if (isNamespaced(kind)) meta.namespace = ns === '' ? 'default' : ns;
  else delete meta.namespace;
  for (const field of ['labels', 'annotations'] as const) {
    const map = meta[field];
    if (map === undefined || map === null) delete meta[field];
    else if (!isStringMap(map)) return `${meta.name}: metadata.${field} values must all be strings`;
  }
  dropUnless(meta, 'creationTimestamp', 'string');
  dropUnless(meta, 'resourceVersion', 'string');
  dropUnless(meta, 'generation', 'number');
  return meta as ObjectMeta;
}

function dropUnless(meta: Record<string, unknown>, field: string, type: 'string' | 'number'): void {
  if (field in meta && typeof meta[field] !== type) delete meta[field];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringMap(v: unknown): v is Record<string, string> {
  return isRecord(v) && Object.values(v).every((x) => typeof x === 'string');
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `:line:column` (1-based) when the YAML parser knows where it failed. */
function position(err: unknown): string {
  const mark = err instanceof YAMLException ? err.mark : undefined;
  return mark ? `:${mark.line + 1}:${mark.column + 1}` : '';
}

function reason(err: unknown): string {
  return err instanceof YAMLException ? err.reason : message(err);
}
