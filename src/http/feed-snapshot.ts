import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { BuiltFile } from '../build.js';

export type ContentCoding = 'br' | 'gzip' | 'identity';

/** One servable file: its bytes in every coding, computed once per build, never per request. */
export interface ServedFile {
  readonly name: string;
  readonly contentType: string;
  /** Content hash of the identity bytes; each coding's ETag is derived from it. */
  readonly hash: string;
  readonly lastModified: Date;
  readonly bodies: Readonly<Record<ContentCoding, Buffer>>;
}

/** What one build publishes; replaced as a whole, so a request sees one build or the next. */
export interface FeedSnapshot {
  readonly builtAt: Date;
  readonly files: ReadonlyMap<string, ServedFile>;
}

/**
 * Makes the servable snapshot of a build. Files whose bytes did not change since `previous` reuse
 * its compressed bodies, so a scheduled rebuild with no change compresses nothing.
 */
export function createSnapshot(files: readonly BuiltFile[], builtAt: Date, previous?: FeedSnapshot): FeedSnapshot {
  const served = new Map<string, ServedFile>();
  for (const file of files) {
    const identity = Buffer.from(file.body, 'utf8');
    const hash = createHash('sha256').update(identity).digest('base64url').slice(0, 27);
    const reused = previous?.files.get(file.name);
    if (reused && reused.hash === hash && reused.contentType === file.contentType) {
      served.set(file.name, reused);
      continue;
    }
    served.set(file.name, {
      name: file.name,
      contentType: file.contentType,
      hash,
      lastModified: file.modified,
      bodies: {
        identity,
        gzip: gzipSync(identity, { level: 9 }),
        br: brotliCompressSync(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: identity.length } }),
      },
    });
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
