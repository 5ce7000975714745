import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Every file a build left in a feeds folder, as name (relative, `/` separators) → bytes, sorted by
 * name. Hidden files (the manifest, temporary files) are left out: they are bookkeeping, not feeds.
 * Read with node:fs, not with the code under test.
 */
export async function readFeedsFolder(dir: string): Promise<Map<string, Buffer>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .filter((name) => !name.split('/').some((part) => part.startsWith('.')))
    .sort();
  return new Map(await Promise.all(names.map(async (name) => [name, await readFile(path.join(dir, name))] as const)));
}

/** One file a build wrote to the feeds folder, as text. */
export function readWrittenFeed(dir: string, name: string): Promise<string> {
  return readFile(path.join(dir, ...name.split('/')), 'utf8');
}
