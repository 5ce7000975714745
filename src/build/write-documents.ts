/**
 * Writes every planned document to the feeds folder, one at a time: its rendered entries are read
 * from the entry store and spliced between its frames (render/render-document.ts), so at most one
 * document is in memory at once, however large the archive (and up to two more with a document
 * write thread, write-threads.ts: the one it writes and the one queued). A document whose fingerprint (its
 * head and the content keys of its entries) is the one written last time, and whose files are on
 * disk as the manifest says, is kept without being rendered.
 *
 * Archive pages go first, subscription documents after them, indexes last, then the manifest: a
 * reader that follows a link from a new file always finds what it links to.
 */
import { createHash } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';
import type { ArticleRecord } from '../feeds/article-record.js';
import type { DocumentPlan, PlannedFeeds } from '../feeds/feed-documents.js';
import { DOCUMENT_FORMATS, documentFrames, fillFrameBytes, type DocumentFormat, type DocumentFrame } from '../render/render-document.js';
import type { BuildCache } from './build-cache.js';
import type { EntryBytes, EntryLocation } from './entry-store.js';
import type { FeedsWriter, WrittenFile } from './write-feeds.js';
import { DocumentWriteThread, type DocumentFileJob } from './write-threads.js';
import { throwIfStopped } from './build-stopped.js';

/** A file written (or kept) and, when asked for, its bytes. */
export interface DocumentFile extends WrittenFile {
  readonly body?: Buffer;
}

export interface DocumentsWritten {
  readonly files: readonly DocumentFile[];
  /** Documents rendered (the others were kept as they were). */
  readonly rendered: number;
  /** Of them, the ones the document write thread wrote. */
  readonly renderedByWriteThread: number;
}

/**
 * Everything a document's bytes depend on, hashed: what of its head varies between documents of
 * one configuration (the cache is stamped with the configuration) and which entries it holds, in
 * order.
 */
export function documentFingerprint(plan: DocumentPlan<ArticleRecord>): string {
  const { document } = plan;
  const head = [
    document.path,
    document.kind,
    document.name,
    document.title,
    document.description,
    document.updated.getTime(),
    document.archive?.page ?? '',
    document.prevArchive?.json ?? '',
    document.nextArchive?.json ?? '',
    document.hubUrl ?? '',
    document.deleted.map((tombstone) => `${tombstone.id} ${tombstone.deletedAt.getTime()}`).join('\n'),
  ].join('\0');
  // One update for the keys (the same bytes as one per key, a fraction of the calls: 87 000
  // documents at a million articles).
  const keys = plan.articles.length > 0 ? `\0${plan.articles.map((article) => article.key).join('\0')}` : '';
  return createHash('sha1').update(head).update(keys).digest('base64url');
}

/** The documents' file names, in the order they are written. */
export function documentFileNames(plans: readonly DocumentPlan<ArticleRecord>[]): string[] {
  const names: string[] = [];
  for (const plan of inWritingOrder(plans)) names.push(...fileNamesOf(plan));
  return names;
}

/** A document's four files: `<path>.xml`, `.atom`, `.json`, `.html`. */
function fileNamesOf(plan: DocumentPlan<ArticleRecord>): string[] {
  return DOCUMENT_FORMATS.map((format) => `${plan.document.path}.${extensionOf(format)}`);
}

function extensionOf(format: (typeof DOCUMENT_FORMATS)[number]): string {
  return format === 'rss' ? 'xml' : format;
}

/** Yields the archive pages first (oldest first within a feed), then the subscription documents; no copy of the list is made. */
function* inWritingOrder(plans: readonly DocumentPlan<ArticleRecord>[]): Generator<DocumentPlan<ArticleRecord>> {
  for (const plan of plans) if (plan.document.archive !== undefined) yield plan;
  for (const plan of plans) if (plan.document.archive === undefined) yield plan;
}

/**
 * Documents between two looks at a stop (build-stopped.ts): each look lets the thread's other
 * work have its turn first (a few microseconds; a document takes about half a millisecond).
 */
const STOP_CHECK_DOCUMENTS = 64;

/**
 * Documents a build renders on its own before a document write thread (write-threads.ts) joins
 * in: fewer than this are done before the thread would have started (40-70 ms).
 */
const WRITE_THREAD_AFTER = 200;

/**
 * Gives a document whose four files are all new to the write thread: each file's place in the
 * build is taken now (FeedsWriter.stageElsewhere), its outcome recorded when the thread answers,
 * at the same place in `files`.
 */
function giveToWriteThread(
  writeThread: DocumentWriteThread,
  writer: FeedsWriter,
  frames: Record<DocumentFormat, DocumentFrame>,
  locations: readonly EntryLocation[],
  cache: BuildCache,
  files: DocumentFile[],
): void {
  const at = files.length;
  const jobs: DocumentFileJob[] = DOCUMENT_FORMATS.map((format) => {
    const frame = frames[format];
    return { format, frame, ...writer.stageElsewhere(frame.name) };
  });
  files.length += jobs.length;
  writeThread.give({ files: jobs, entries: locations, checked: locations.map((location) => cache.reader.isChecked(location)) }, (staged) => {
    jobs.forEach(({ frame }, index) => {
      files[at + index] = writer.recordStaged(frame.name, frame.contentType, staged[index]!);
    });
    // Checked by the thread, if they were not already.
    for (const location of locations) cache.reader.trust(location);
  });
}

/** Which written files' bytes the caller wants back, and which bytes it has already. */
export interface BodyWishes {
  /**
   * The server keeps subscription feeds in memory: it wants their bytes whenever they change. An
   * archive page's bytes are given only when it is written: a partial write does not look at the
   * pages it keeps (at a million articles there are a hundred thousand).
   */
  readonly keepBody?: (name: string) => boolean;
  /** Whether the caller already holds these bytes (by hash), so an unchanged document need not be rendered for them. */
  readonly hasBody?: (name: string, hash: string) => boolean;
}

/**
 * Writes (or keeps) the four files of every document. Partial (`partial: true`, a rebuild in a
 * process whose last build finished): only the plans made now are looked at, and the subscription
 * documents whose bytes the caller wants and lacks; every other plan is the very object the last
 * build wrote (planFeeds gives back the memo's plans), its files as that build left them. The
 * documents no plan has any more are given to the writer to remove. From the `writeThreadAfter`th
 * document rendered on, a document write thread writes new documents beside this thread.
 */
export async function writeDocuments(
  writer: FeedsWriter,
  planned: PlannedFeeds<ArticleRecord>,
  cache: BuildCache,
  {
    keepBody = () => false,
    hasBody = () => false,
    partial = false,
    writeThreadAfter = WRITE_THREAD_AFTER,
    stop,
  }: BodyWishes & { readonly partial?: boolean; readonly writeThreadAfter?: number; readonly stop?: AbortSignal } = {},
): Promise<DocumentsWritten> {
  const files: DocumentFile[] = [];
  let writeThread: DocumentWriteThread | undefined;
  const writtenPlans = partial ? cache.writtenPlans : new WeakSet<DocumentPlan<ArticleRecord>>();
  const fingerprints = partial ? cache.documents : new Map<string, string>();
  let rendered = 0;
  let renderedByWriteThread = 0;
  let changed = false;
  // The caller wants no bytes of this file, or holds the ones the last build left.
  const bodyHeld = (name: string) => !keepBody(name) || hasBody(name, writer.previous.get(name)!.hash);
  const { plans } = planned;
  // Plans made now are new objects, never among those written.
  const visited = partial ? [...planned.made, ...planned.subscriptions.filter((plan) => writtenPlans.has(plan))] : plans;
  /** Writes the four files of `plan`'s document, or keeps them as they are. */
  function writeDocument(plan: DocumentPlan<ArticleRecord>): void {
    const names = fileNamesOf(plan);
    // The very plan this process wrote last time: its files are as it left them.
    if (partial && writtenPlans.has(plan) && names.every(bodyHeld)) return;
    const fingerprint = documentFingerprint(plan);
    const known = cache.documents.get(plan.document.path);
    fingerprints.set(plan.document.path, fingerprint);
    writtenPlans.add(plan);
    const unchanged = (name: string) => writer.isIntact(name) && bodyHeld(name);
    if (known === fingerprint && names.every(unchanged)) {
      for (const name of names) files.push(writer.keep(name));
      return;
    }
    rendered++;
    changed = true;
    const locations = plan.articles.map((article) => {
      const location = cache.entries.get(article.key);
      if (!location) throw new Error(`no rendered entry for ${article.file}`);
      return location;
    });
    const frames = documentFrames(plan.document);
    if (rendered > writeThreadAfter) {
      writeThread?.take();
      // Started for the first document it can take: a rebuild that rewrites existing files starts none.
      if ((writeThread?.hasRoom ?? true) && DOCUMENT_FORMATS.every((format) => !keepBody(frames[format].name) && writer.isNew(frames[format].name))) {
        writeThread ??= new DocumentWriteThread(cache.entriesDir);
        giveToWriteThread(writeThread, writer, frames, locations, cache, files);
        renderedByWriteThread++;
        return;
      }
    }
    const entries: EntryBytes[] = locations.map((location) => cache.reader.read(location));
    for (const format of DOCUMENT_FORMATS) {
      const frame = frames[format];
      const bytes = fillFrameBytes(
        frame,
        entries.map((entry) => entry[format]),
      );
      const file = writer.write(frame.name, frame.contentType, bytes);
      files.push(keepBody(frame.name) ? { ...file, body: bytes } : file);
    }
  }
  let looked = 0;
  try {
    for (const plan of inWritingOrder(visited)) {
      // Stopped, the build throws here: its files are staged, none is in place yet (the caller takes them back).
      if (stop && ++looked % STOP_CHECK_DOCUMENTS === 0) {
        await setImmediate();
        throwIfStopped(stop);
      }
      writeDocument(plan);
    }
    writeThread?.finish();
  } finally {
    // After a failure too: its files must all be written (or gone) before they are taken back.
    writeThread?.close();
  }
  if (partial) {
    // Documents no plan holds any more (a feed that went, a page that went): their files go.
    // Every plan's path has its fingerprint (set now, or when its plan was written): more are paths no plan has.
    if (fingerprints.size > plans.length) {
      const current = new Set(plans.map((plan) => plan.document.path));
      for (const path of [...fingerprints.keys()]) {
        if (current.has(path)) continue;
        fingerprints.delete(path);
        for (const format of DOCUMENT_FORMATS) writer.remove(`${path}.${extensionOf(format)}`);
        changed = true;
      }
    }
  } else {
    changed ||= fingerprints.size !== cache.documents.size;
    cache.documents.clear();
    for (const [path, fingerprint] of fingerprints) cache.documents.set(path, fingerprint);
    cache.writtenPlans = writtenPlans;
  }
  if (changed) cache.dirty = true;
  return { files, rendered, renderedByWriteThread };
}
