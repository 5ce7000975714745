import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BuildReport, BuildResult, BuiltFile } from '../../src/build/build-feeds.js';
import { contentHash } from '../../src/build/write-feeds.js';

/** A built file for tests, with its bytes; `modified` defaults to a fixed date. */
export function builtFile(name: string, body: string, contentType = 'application/rss+xml; charset=utf-8', modified = new Date('2024-05-01T10:00:00Z')): BuiltFile {
  const bytes = Buffer.from(body, 'utf8');
  return { name, contentType, hash: contentHash(bytes), size: bytes.length, modified, body: bytes };
}

/** The text of a file a build wrote, read from the feeds folder. */
export function builtText(feedsDir: string, name: string): string {
  return readFileSync(path.join(feedsDir, name), 'utf8');
}

/** The bytes of a file a build wrote. */
export function builtBytes(feedsDir: string, name: string): Buffer {
  return readFileSync(path.join(feedsDir, name));
}

/** A BuildResult without touching disk: the files given, and a report that counts them. */
export function fakeBuildResult(files: readonly BuiltFile[], report: Partial<BuildReport> = {}): BuildResult {
  return {
    files,
    report: {
      startedAt: new Date('2024-05-01T10:00:00Z'),
      durationMs: 12,
      filesRead: 3,
      filesParsed: 3,
      rendered: 2,
      renderedByWriteThread: 0,
      published: 2,
      drafts: 1,
      scheduled: 0,
      topics: 1,
      feeds: 2,
      archivePages: 0,
      deleted: 0,
      skipped: 0,
      problems: [],
      written: files.map((file) => file.name),
      unchanged: 0,
      removed: [],
      ...report,
    },
  };
}
