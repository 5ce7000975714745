import { BROWSER_FILES, FEED_FORMATS, IMAGE_FILES, INDEX_FILES } from '../render/feed-formats.js';
import { diskFile, isServedFromMemory, type ServedFile } from './feed-snapshot.js';

/** What a request sees of a snapshot's files: each by its name under /feeds/. */
export interface ReadonlyServedFiles {
  readonly size: number;
  get(name: string): ServedFile | undefined;
  has(name: string): boolean;
  keys(): IterableIterator<string>;
}

/** The content types a build writes; a file always read from disk keeps its type as an index into this list. */
const BUILT_CONTENT_TYPES: readonly string[] = [
  ...new Set([...Object.values(FEED_FORMATS), ...Object.values(INDEX_FILES), ...Object.values(BROWSER_FILES), ...Object.values(IMAGE_FILES)].map(({ contentType }) => contentType)),
];
const CONTENT_TYPE_INDEX = new Map(BUILT_CONTENT_TYPES.map((contentType, index) => [contentType, index]));

/** Slots of the first arrays; they double as the files always read from disk outgrow them. */
const FIRST_SLOTS = 64;

/**
 * A snapshot's files by name, on the thread that answers requests. The files always read from
 * disk (archive pages and HTML pages: at 100 000 articles 35 000 of the 36 000) are held as their
 * name, a slot number, and their type and time in two typed arrays, with no object of their own:
 * an object per page, with its time (a heap number), made that thread's heap grow with the
 * archive rather than with the feeds served (most of its objects at 100 000 articles; 350 000
 * pages at a million). `get` makes the DiskFile when a request asks for one, as a disk read
 * follows. Everything else (the feeds served from memory, and at start-up the feeds read from
 * disk on their first request) is held as its ServedFile.
 */
export class ServedFiles implements ReadonlyServedFiles {
  readonly #files = new Map<string, ServedFile>();
  /** Files always read from disk: name → slot of #mtimeMs and #types. */
  readonly #onDisk = new Map<string, number>();
  #mtimeMs = new Float64Array(FIRST_SLOTS);
  #types = new Uint8Array(FIRST_SLOTS);
  /** Slots of removed files, taken again before new ones. */
  readonly #freeSlots: number[] = [];
  #slotsUsed = 0;

  get size(): number {
    return this.#files.size + this.#onDisk.size;
  }

  get(name: string): ServedFile | undefined {
    const file = this.#files.get(name);
    if (file !== undefined) return file;
    const slot = this.#onDisk.get(name);
    return slot === undefined ? undefined : diskFile(name, BUILT_CONTENT_TYPES[this.#types[slot]!]!, this.#mtimeMs[slot]!);
  }

  has(name: string): boolean {
    return this.#files.has(name) || this.#onDisk.has(name);
  }

  *keys(): IterableIterator<string> {
    yield* this.#files.keys();
    yield* this.#onDisk.keys();
  }

  /** Serves `file` (from memory, or from disk until its first request) under its name. */
  set(file: ServedFile): void {
    this.#deleteOnDisk(file.name);
    this.#files.set(file.name, file);
  }

  /**
   * Serves a file of the feeds folder from disk under `name`: an archive or HTML page always, a
   * feed until its first request (then kept in memory, if its bytes hash to `hash`, its build's).
   */
  setOnDisk(name: string, contentType: string, mtimeMs: number, hash?: string): void {
    const type = CONTENT_TYPE_INDEX.get(contentType);
    if (isServedFromMemory(name) || type === undefined) {
      this.set(diskFile(name, contentType, mtimeMs, hash));
      return;
    }
    this.#files.delete(name);
    let slot = this.#onDisk.get(name);
    if (slot === undefined) {
      slot = this.#newSlot();
      this.#onDisk.set(name, slot);
    }
    this.#mtimeMs[slot] = mtimeMs;
    this.#types[slot] = type;
  }

  delete(name: string): boolean {
    return this.#files.delete(name) || this.#deleteOnDisk(name);
  }

  #deleteOnDisk(name: string): boolean {
    const slot = this.#onDisk.get(name);
    if (slot === undefined) return false;
    this.#onDisk.delete(name);
    this.#freeSlots.push(slot);
    return true;
  }

  #newSlot(): number {
    const free = this.#freeSlots.pop();
    if (free !== undefined) return free;
    if (this.#slotsUsed === this.#mtimeMs.length) {
      const mtimeMs = new Float64Array(this.#slotsUsed * 2);
      mtimeMs.set(this.#mtimeMs);
      this.#mtimeMs = mtimeMs;
      const types = new Uint8Array(this.#slotsUsed * 2);
      types.set(this.#types);
      this.#types = types;
    }
    return this.#slotsUsed++;
  }
}
