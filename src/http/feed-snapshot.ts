import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { ReadonlyServedFiles } from './served-files.js';

export type ContentCoding = 'br' | 'gzip' | 'identity';

/**
 * A file served from memory: the feeds readers poll (subscription documents), the indexes and the
 * browser view. Its compressed bodies are made at most once per file version: by the build thread
 * when it sends a changed file, or on first request for a file loaded from the feeds folder at
 * start-up. Never per request.
 */
export interface MemoryFile {
  readonly kind: 'memory';
  readonly name: string;
  readonly contentType: string;
  /** Content hash of the identity bytes; each coding's ETag is derived from it. */
  readonly hash: string;
  readonly lastModified: Date;
  readonly bodies: Readonly<Record<ContentCoding, Buffer>>;
  /** Each coding's ETag (etagFor), made with the file rather than on each request. */
  readonly etags: Readonly<Record<ContentCoding, string>>;
}

/**
 * A file served from the feeds folder, read (asynchronously) when it is asked for: RFC 5005
 * archive pages, most of the output with archives on, fetched rarely and never all held. Its
 * path is the snapshot's folder and its name.
 */
export interface DiskFile {
  readonly kind: 'disk';
  readonly name: string;
  readonly contentType: string;
  readonly lastModified: Date;
  /**
   * A feed served from memory once read: at start-up every file is read from disk on its first
   * request (the server listens before it reads any), then kept like a build's.
   */
  readonly keepInMemory: boolean;
  /**
   * The hash the build that listed the file recorded for it (and so what the build thread
   * believes the server holds), for a file kept in memory once read. Bytes read that hash
   * otherwise are served, but not kept: a build killed between its rename and its manifest left
   * them, and the build thread, which sends only files whose hash differs from what it believes,
   * would never replace them.
   */
  readonly hash?: string;
}

/**
 * A DiskFile made from what the snapshot keeps of it (served-files.ts): a Date is made when
 * asked for, which only a disk read follows.
 */
class StoredDiskFile implements DiskFile {
  readonly kind = 'disk';
  readonly name: string;
  readonly contentType: string;
  readonly hash: string | undefined;
  readonly #mtimeMs: number;

  constructor(name: string, contentType: string, mtimeMs: number, hash: string | undefined) {
    this.name = name;
    this.contentType = contentType;
    this.#mtimeMs = mtimeMs;
    this.hash = hash;
  }

  get lastModified(): Date {
    return new Date(this.#mtimeMs);
  }

  get keepInMemory(): boolean {
    return isServedFromMemory(this.name);
  }
}

/** A file of the feeds folder served from disk; `hash`: its build's, for a feed kept in memory once read. */
export function diskFile(name: string, contentType: string, mtimeMs: number, hash?: string): DiskFile {
  return new StoredDiskFile(name, contentType, mtimeMs, hash);
}

export type ServedFile = MemoryFile | DiskFile;

/** What one build publishes; replaced as a whole, so a request sees one build or the next. */
export interface FeedSnapshot {
  readonly builtAt: Date;
  /** The feeds folder's absolute path and a separator: a DiskFile's path is this and its name. */
  readonly folder: string;
  readonly files: ReadonlyServedFiles;
}

/**
 * The feeds readers poll are served from memory; archive pages (fetched once, most of the output)
 * and the HTML pages (opened now and then in a browser) stay on disk.
 */
export function isServedFromMemory(name: string): boolean {
  return !name.startsWith('archive/') && !name.endsWith('.html');
}

/** gzip 6 and brotli 5: most of the size gain at a small fraction of the maximum settings' time. */
export function compress(coding: Exclude<ContentCoding, 'identity'>, identity: Buffer): Buffer {
  return coding === 'gzip'
    ? gzipSync(identity, { level: 6 })
    : brotliCompressSync(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: identity.length } });
}

export interface MemoryFileInput {
  readonly name: string;
  readonly contentType: string;
  readonly lastModified: Date;
  readonly hash: string;
  readonly identity: Buffer;
  readonly gzip?: Buffer;
  readonly br?: Buffer;
}

/** A MemoryFile whose compressed bodies are the ones given, or made once when first asked for. */
export function memoryFile({ name, contentType, lastModified, hash, identity, gzip, br }: MemoryFileInput): MemoryFile {
  const encoded: { gzip?: Buffer; br?: Buffer } = { gzip, br };
  const bodies = {
    identity,
    get gzip(): Buffer {
      return (encoded.gzip ??= compress('gzip', identity));
    },
    get br(): Buffer {
      return (encoded.br ??= compress('br', identity));
    },
  };
  const etags = { identity: etagFor(hash, 'identity'), gzip: etagFor(hash, 'gzip'), br: etagFor(hash, 'br') };
  return { kind: 'memory', name, contentType, hash, lastModified, bodies, etags };
}

/**
 * The opaque tag of an RSS or Atom file's browser view: the same bytes sent as application/xml
 * with another Content-Security-Policy (http/app.ts), so a representation of its own with an ETag
 * of its own (`"<hash>.view"`, `"<hash>.view.gzip"`). A cache holding both (Vary: Accept) can then
 * tell which one a 304 is about, and update only that one's stored headers (RFC 9111 §4.3.4).
 */
export function browserViewTag(hash: string): string {
  return `${hash}.view`;
}

/**
 * A strong ETag per coding: the bytes differ, so the validators must too (RFC 9110 §8.8.3). The
 * coding follows a `.`, which base64url (the hash's alphabet) never contains. `tag`: the hash, or
 * browserViewTag's.
 */
export function etagFor(tag: string, coding: ContentCoding): string {
  return coding === 'identity' ? `"${tag}"` : `"${tag}.${coding}"`;
}
