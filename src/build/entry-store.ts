/**
 * Rendered entries on disk, by content key: each article's entry in the four formats (RSS item,
 * Atom entry, JSON Feed item, HTML page article), rendered once and then copied as bytes into
 * every document that holds it. They live in append-only segment files in STATE_DIR/cache/,
 * one per writer (each parse thread has its own, so no two threads ever write one file), and
 * are read back with one positioned read per entry and document. Memory holds only where each
 * entry is (EntryLocation), never the entries.
 *
 * Each entry another process wrote is checked against its digest the first time this process
 * reads it: a segment that was truncated or changed on disk is found out and never copied into a
 * feed (the build then discards the cache and starts over, build-cache.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import type { EntryFragments } from '../render/entry-fragments.js';
import { buildFs } from './build-fs.js';
import { DiskWriteError, writingFile } from './disk-write-error.js';
import { writeAll } from './write-all.js';

/** Where one rendered entry is: its segment, offset and the byte length of each format. */
export interface EntryLocation {
  readonly segment: string;
  readonly offset: number;
  /** Byte lengths of rss, atom, json and html, stored in that order. */
  readonly lengths: readonly [number, number, number, number];
  /** First 16 hex digits of the sha1 of the stored bytes. */
  readonly digest: string;
}

/** An entry as bytes, one Buffer per format (views of one read). */
export interface EntryBytes {
  readonly rss: Buffer;
  readonly atom: Buffer;
  readonly json: Buffer;
  readonly html: Buffer;
}

/** Thrown when a stored entry is missing, short or not what was written. */
export class EntryStoreCorrupt extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EntryStoreCorrupt';
  }
}

/** The first 16 hex digits of the sha1 of `bytes`: its first 8 bytes, written out (not a slice, which keeps all 40 alive). */
export function entryDigest(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest().toString('hex', 0, 8);
}

/** A new segment's file name: unique per writer. */
export function newSegmentName(): string {
  return `entries-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}.bin`;
}

/**
 * Appends entries to one segment file (in a parse thread, or the build thread), buffering
 * writes. `close()` must be called for the last entries to reach the file.
 */
export class SegmentWriter {
  readonly name: string;
  readonly #file: string;
  /** Opened with the first write, so a writer that renders nothing leaves no file. */
  #fd: number | undefined;
  #offset = 0;
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  constructor(dir: string, name = newSegmentName()) {
    this.name = name;
    this.#file = path.join(dir, name);
  }

  append(fragments: EntryFragments): EntryLocation {
    const parts = [Buffer.from(fragments.rss), Buffer.from(fragments.atom), Buffer.from(fragments.json), Buffer.from(fragments.html)];
    const bytes = Buffer.concat(parts);
    const location: EntryLocation = {
      segment: this.name,
      offset: this.#offset,
      lengths: [parts[0]!.length, parts[1]!.length, parts[2]!.length, parts[3]!.length],
      digest: entryDigest(bytes),
    };
    this.#offset += bytes.length;
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
    if (this.#pendingBytes >= 1 << 20) this.flush();
    return location;
  }

  flush(): void {
    if (this.#pending.length === 0) return;
    const bytes = Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    // A failed write leaves the segment shorter than the locations handed out: the build fails,
    // and the cache (with this writer) is discarded (build-feeds.ts).
    writingFile(this.#file, () => {
      this.#fd ??= buildFs.openSync(this.#file, 'a');
      writeAll(this.#fd, bytes);
    });
  }

  close(): void {
    this.flush();
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) writingFile(this.#file, () => buildFs.closeSync(fd));
  }
}

/**
 * Overwrites the stored bytes of `locations` with zeros: an entry no published article holds any
 * more (removed, made a draft, edited, or an article that lost its id to another) leaves nothing
 * of its text in the cache. Returns the number of bytes erased.
 */
export function eraseEntries(dir: string, locations: Iterable<EntryLocation>): number {
  const bySegment = new Map<string, EntryLocation[]>();
  for (const location of locations) {
    const list = bySegment.get(location.segment) ?? [];
    list.push(location);
    bySegment.set(location.segment, list);
  }
  let erased = 0;
  for (const [segment, list] of bySegment) {
    const file = path.join(dir, segment);
    let fd: number;
    try {
      fd = buildFs.openSync(file, 'r+');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new DiskWriteError(file, error);
    }
    writingFile(file, () => {
      try {
        for (const location of list) {
          const size = location.lengths[0] + location.lengths[1] + location.lengths[2] + location.lengths[3];
          const zeros = Buffer.alloc(size);
          let written = 0;
          while (written < size) written += buildFs.writeSync(fd, zeros, written, size - written, location.offset + written);
          erased += size;
        }
      } finally {
        buildFs.closeSync(fd);
      }
    });
  }
  return erased;
}

/**
 * Reads stored entries. Holds one open descriptor per segment it has read from, and the set of
 * entries it has checked; `close()` releases the descriptors.
 */
export class EntryReader {
  readonly #dir: string;
  readonly #fds = new Map<string, number>();
  /**
   * The segments this process wrote: each writer makes a segment of its own (newSegmentName) and
   * only appends to it, so every entry in one was written by this process. Kept by segment, not
   * by entry: a cold build writes every entry, and a set of them all (a WeakSet) was 4.2 MB of
   * the build thread's heap at 100 000 articles.
   */
  readonly #written = new Set<string>();
  /** The other entries known good: read and checked once, here or by the write thread. */
  readonly #checked = new WeakSet<EntryLocation>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** An entry this process wrote (a parse thread or this one): it, and its segment's every entry, need no check when read back. */
  wrote(location: EntryLocation): void {
    this.#written.add(location.segment);
  }

  /** An entry read and checked elsewhere (the write thread): it needs no check when read again. */
  trust(location: EntryLocation): void {
    if (!this.#written.has(location.segment)) this.#checked.add(location);
  }

  /** Whether `location` needs no check when read (written by this process, or checked already). */
  isChecked(location: EntryLocation): boolean {
    return this.#written.has(location.segment) || this.#checked.has(location);
  }

  read(location: EntryLocation): EntryBytes {
    const [rss, atom, json, html] = location.lengths;
    const size = rss + atom + json + html;
    const bytes = Buffer.allocUnsafe(size);
    const fd = this.#fd(location.segment);
    let read = 0;
    while (read < size) {
      const count = readSync(fd, bytes, read, size - read, location.offset + read);
      if (count === 0) throw new EntryStoreCorrupt(`${location.segment} ends before the entry at ${location.offset}`);
      read += count;
    }
    if (!this.isChecked(location)) {
      if (entryDigest(bytes) !== location.digest) throw new EntryStoreCorrupt(`${location.segment}: the entry at ${location.offset} is not the one written there`);
      this.#checked.add(location);
    }
    return {
      rss: bytes.subarray(0, rss),
      atom: bytes.subarray(rss, rss + atom),
      json: bytes.subarray(rss + atom, rss + atom + json),
      html: bytes.subarray(rss + atom + json, size),
    };
  }

  #fd(segment: string): number {
    let fd = this.#fds.get(segment);
    if (fd === undefined) {
      try {
        fd = openSync(path.join(this.#dir, segment), 'r');
      } catch (error) {
        throw new EntryStoreCorrupt(`${segment} cannot be opened (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      this.#fds.set(segment, fd);
    }
    return fd;
  }

  close(): void {
    for (const fd of this.#fds.values()) closeSync(fd);
    this.#fds.clear();
  }
}
