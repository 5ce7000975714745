import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { BuiltFile } from '../build/build-feeds.js';

export type ContentCoding = 'br' | 'gzip' | 'identity';

/**
 * One servable file. Its compressed bodies are made at most once per file version: eagerly for
 * the feeds readers poll (when the snapshot is made, off the request path in the build worker),
 * or on first request and then kept, for archive pages that are rarely fetched. Never per request.
 */
export interface ServedFile {
  readonly name: string;
  readonly contentType: string;
  /** Content hash of the identity bytes; each coding's ETag is derived from it. */
  readonly hash: string;
  readonly lastModified: Date;
  readonly bodies: Readonly<Record<ContentCoding, Buffer>>;
  /** False for a page served from disk as it is (no compressed variants). */
  readonly compressible: boolean;
}

/** What one build publishes; replaced as a whole, so a request sees one build or the next. */
export interface FeedSnapshot {
  readonly builtAt: Date;
  readonly files: ReadonlyMap<string, ServedFile>;
}

/** sha256, base64url, 27 characters (160 bits): the ETag of a file's bytes. */
export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64url').slice(0, 27);
}

/** gzip 6 and brotli 5: most of the size gain at a small fraction of the maximum settings' time. */
export function compress(coding: Exclude<ContentCoding, 'identity'>, identity: Buffer): Buffer {
  return coding === 'gzip'
    ? gzipSync(identity, { level: 6 })
    : brotliCompressSync(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: identity.length } });
}

/** Archive pages are compressed on first request; everything else when the snapshot is made. */
export function isCompressedEagerly(name: string): boolean {
  return !name.startsWith('archive/');
}

export interface ServedFileInput {
  readonly name: string;
  readonly contentType: string;
  readonly lastModified: Date;
  /** The bytes, or a function that reads them (from the feeds folder) each time they are needed. */
  readonly identity: Buffer | (() => Buffer);
  readonly hash?: string;
  readonly gzip?: Buffer;
  readonly br?: Buffer;
}

/** A ServedFile whose compressed bodies are the ones given, or made once when first asked for. */
export function servedFile({ name, contentType, lastModified, identity, hash, gzip, br }: ServedFileInput): ServedFile {
  if (typeof identity === 'function') {
    // Read from disk on each request and served as it is: the page is not kept in memory.
    const bodies = {
      get identity(): Buffer {
        return identity();
      },
      get gzip(): Buffer {
        return identity();
      },
      get br(): Buffer {
        return identity();
      },
    };
    return { name, contentType, hash: hash ?? contentHash(identity()), lastModified, bodies, compressible: false };
  }
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
  return { name, contentType, hash: hash ?? contentHash(identity), lastModified, bodies, compressible: true };
}

/**
 * Makes the servable snapshot of an in-process build. Files whose bytes did not change since
 * `previous` reuse its entry (and compressed bodies), so a rebuild with no change compresses nothing.
 */
export function createSnapshot(files: readonly BuiltFile[], builtAt: Date, previous?: FeedSnapshot): FeedSnapshot {
  const served = new Map<string, ServedFile>();
  for (const file of files) {
    const identity = Buffer.from(file.body, 'utf8');
    const hash = contentHash(identity);
    const reused = previous?.files.get(file.name);
    if (reused && reused.hash === hash && reused.contentType === file.contentType) {
      served.set(file.name, reused);
      continue;
    }
    const entry = servedFile({ name: file.name, contentType: file.contentType, lastModified: file.modified, identity, hash });
    if (isCompressedEagerly(file.name)) void [entry.bodies.gzip, entry.bodies.br];
    served.set(file.name, entry);
  }
  return { builtAt, files: served };
}

/**
 * A strong ETag per coding: the bytes differ, so the validators must too (RFC 9110 §8.8.3). The
 * coding follows a `.`, which base64url (the hash's alphabet) never contains.
 */
export function etagFor(file: ServedFile, coding: ContentCoding): string {
  return coding === 'identity' ? `"${file.hash}"` : `"${file.hash}.${coding}"`;
}
