/**
 * A helper thread for the write stage of a large build (write-thread-main.ts): it takes whole
 * documents, reads their entries from the entry store, fills the frames, hashes the files and
 * writes each to its temporary file, while the calling thread does the same for other documents.
 * At 100k articles a first build writes 35 000 files (3.3 GB): reading, copying, hashing and
 * writing them took the calling thread 10-13 s on its own, and the parse threads are done by then.
 *
 * Only new files go to it (no manifest row, no file on disk: nothing to compare with), and never a
 * file whose bytes the caller keeps. The calling thread keeps the build's order and bookkeeping:
 * it reserves each file's place before the thread writes it (FeedsWriter.stageElsewhere), so the
 * files still go in place in the order the build gave them, and a rollback removes the temporary
 * files whether the thread wrote them or not.
 *
 * The write stage is synchronous, so the calling thread never waits on its event loop: it takes
 * the thread's answers with receiveMessageOnPort, and a shared counter says how many documents
 * are with the thread (at most QUEUED: the calling thread does a document itself rather than wait).
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { fillFrameBytes, type DocumentFormat, type DocumentFrame } from '../render/render-document.js';
import { DiskWriteError, writingFile } from './disk-write-error.js';
import { EntryStoreCorrupt, type EntryLocation, type EntryReader } from './entry-store.js';
import { writeNewFile } from './reversible-writes.js';
import { startThread } from './start-thread.js';
import { writeAll } from './write-all.js';
import { contentHash } from './write-feeds.js';

/** Documents given to the thread and not yet answered, at most: one it works on, one waiting. */
const QUEUED = 2;

/** How long the calling thread waits for an answer before it takes the thread as stuck. */
const STALL_MS = 120_000;

/** One file of a document for the thread: its frame, and where to write it. */
export interface DocumentFileJob {
  readonly format: DocumentFormat;
  readonly frame: DocumentFrame;
  /** The file's path (for errors), and the temporary file its bytes go to. */
  readonly target: string;
  readonly temporaryPath: string;
}

/** A document for the thread: its files, and its entries in document order. */
export interface DocumentJob {
  readonly id: number;
  readonly files: readonly DocumentFileJob[];
  readonly entries: readonly EntryLocation[];
  /** Per entry: whether the calling thread knows it good (else the thread checks its digest). */
  readonly checked: readonly boolean[];
}

/** What was written to one file's temporary path. */
export interface StagedFile {
  readonly hash: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** Why a document failed, as it crosses the thread boundary. */
export type DocumentFailure =
  | { readonly kind: 'disk'; readonly file: string; readonly code?: string; readonly message: string }
  | { readonly kind: 'corrupt'; readonly message: string }
  | { readonly kind: 'error'; readonly message: string };

export type DocumentAnswer = { readonly id: number; readonly staged: readonly StagedFile[] } | { readonly id: number; readonly failure: DocumentFailure };

/** What the thread is started with. */
export interface WriteThreadData {
  readonly entriesDir: string;
  readonly port: MessagePort;
  /** [0]: documents given and not yet answered. */
  readonly queued: Int32Array;
}

/**
 * Writes one document's files to their temporary paths: the thread's work for one document (the
 * calling thread does the same for its own documents through FeedsWriter.write). Throws
 * DiskWriteError (naming the file) or EntryStoreCorrupt; a temporary file whose write failed is
 * removed (writeNewFile).
 */
export function writeDocumentFiles(job: Omit<DocumentJob, 'id'>, reader: EntryReader): StagedFile[] {
  job.entries.forEach((location, index) => {
    if (job.checked[index]) reader.trust(location);
  });
  const entries = job.entries.map((location) => reader.read(location));
  return job.files.map(({ format, frame, target, temporaryPath }) => {
    const bytes = fillFrameBytes(
      frame,
      entries.map((entry) => entry[format]),
    );
    const hash = contentHash(bytes);
    const mtimeMs = writingFile(target, () => writeNewFile(temporaryPath, (fd) => writeAll(fd, bytes)));
    return { hash, size: bytes.length, mtimeMs };
  });
}

/** An error as it crosses the thread boundary. */
export function describeFailure(error: unknown): DocumentFailure {
  if (error instanceof DiskWriteError) {
    const cause = error.cause as NodeJS.ErrnoException | undefined;
    return { kind: 'disk', file: error.file, code: cause?.code, message: cause?.message ?? error.message };
  }
  if (error instanceof EntryStoreCorrupt) return { kind: 'corrupt', message: error.message };
  return { kind: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
}

/** The error a failure stands for, on the calling thread: the same class and message as if it had happened there. */
export function failureError(failure: DocumentFailure): Error {
  if (failure.kind === 'corrupt') return new EntryStoreCorrupt(failure.message);
  if (failure.kind === 'error') return new Error(`the document write thread failed: ${failure.message}`);
  const cause: NodeJS.ErrnoException = new Error(failure.message);
  if (failure.code !== undefined) cause.code = failure.code;
  return new DiskWriteError(failure.file, cause);
}

/** The calling thread's side: give documents, take answers, wait for all, stop. */
export class DocumentWriteThread {
  readonly #thread: Worker;
  readonly #port: MessagePort;
  readonly #queued = new Int32Array(new SharedArrayBuffer(4));
  readonly #waiting = new Map<number, (staged: readonly StagedFile[]) => void>();
  #nextId = 0;
  #failure: Error | undefined;
  #closed = false;

  constructor(entriesDir: string) {
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#thread = startThread(import.meta.url, 'write-thread-main', {
      workerData: { entriesDir, port: port2, queued: this.#queued } satisfies WriteThreadData,
      transferList: [port2],
    });
    // The write stage never yields to the event loop, so the thread's events arrive too late to
    // matter: a thread that died is seen as one that stopped answering (#waitForAll). Nothing
    // here keeps a process alive.
    this.#thread.on('error', () => {});
    this.#thread.unref();
  }

  /** Whether it would take another document now (else the calling thread does it). */
  get hasRoom(): boolean {
    return this.#failure === undefined && Atomics.load(this.#queued, 0) < QUEUED;
  }

  /** Gives it a document; `done` is called with what it wrote, from a later take() or finish(). */
  give(job: Omit<DocumentJob, 'id'>, done: (staged: readonly StagedFile[]) => void): void {
    const id = this.#nextId++;
    this.#waiting.set(id, done);
    Atomics.add(this.#queued, 0, 1);
    this.#port.postMessage({ ...job, id } satisfies DocumentJob);
  }

  /** Takes the answers that are in (without waiting); throws the first failure. */
  take(): void {
    this.#collect();
    if (this.#failure) throw this.#failure;
  }

  #collect(): void {
    for (let message = receiveMessageOnPort(this.#port); message !== undefined; message = receiveMessageOnPort(this.#port)) {
      const answer = message.message as DocumentAnswer;
      const done = this.#waiting.get(answer.id);
      this.#waiting.delete(answer.id);
      if ('failure' in answer) this.#failure ??= failureError(answer.failure);
      else done?.(answer.staged);
    }
  }

  /** Waits for every document given, takes their answers and stops the thread; throws the first failure. */
  finish(): void {
    this.close();
    if (this.#failure) throw this.#failure;
  }

  /**
   * Stops the thread once it has answered every document given: the files it writes must all be
   * there (or all gone) before the build puts its files in place or takes them back. A failure
   * is kept for finish(); close() alone is for a build that is failing anyway.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#waitForAll();
    } catch (error) {
      this.#failure ??= error as Error;
    }
    this.#collect();
    this.#port.close();
    void this.#thread.terminate();
  }

  #waitForAll(): void {
    let deadline = Date.now() + STALL_MS;
    for (let queued = Atomics.load(this.#queued, 0); queued > 0; queued = Atomics.load(this.#queued, 0)) {
      if (Atomics.wait(this.#queued, 0, queued, 1000) !== 'timed-out') deadline = Date.now() + STALL_MS;
      else if (Date.now() > deadline) throw new Error(`the document write thread answered nothing for ${STALL_MS / 1000} s`);
    }
  }
}
