import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FeedFile } from '../render/feed-formats.js';
import { mapConcurrently } from './map-concurrently.js';

/** Lists the files the last build wrote, so stale ones are removed and nothing else ever is. */
export const MANIFEST_NAME = '.feeds-manifest.json';

export interface WrittenFile {
  readonly name: string;
  /** When the bytes last changed: untouched files keep their modification time. */
  readonly modified: Date;
  readonly changed: boolean;
}

export interface WriteReport {
  readonly files: readonly WrittenFile[];
  readonly written: readonly string[];
  readonly unchanged: readonly string[];
  readonly removed: readonly string[];
}

/**
 * Writes each file atomically (a temporary file in the same folder, then rename), so a reader of
 * the folder, or a crash, sees either the old or the new complete file. Files whose bytes have not
 * changed are not touched, which keeps their mtime (and Last-Modified, and CI diffs) stable.
 * Files that an earlier build wrote and this one did not are removed.
 */
export interface WriteOptions {
  /**
   * Says a file is known to be on disk as it is (the same object the last build wrote); such a
   * file is neither compared with the disk nor written. Its `modified` is then not looked up either.
   */
  readonly isUnchanged?: (file: FeedFile) => boolean;
}

export async function writeFeedFiles(dir: string, files: readonly FeedFile[], { isUnchanged }: WriteOptions = {}): Promise<WriteReport> {
  await mkdir(dir, { recursive: true });
  await removeAbandonedTemporaryFiles(dir);
  const folders = new Set(files.map((file) => path.dirname(path.join(dir, file.name))));
  for (const folder of folders) await mkdir(folder, { recursive: true });
  const names = new Set(files.map((file) => file.name));
  const previous = await readManifest(dir);
  // Claim every name before writing any file: a build killed halfway then leaves no file that
  // no manifest lists, and the next build removes whatever it does not write again.
  await writeManifest(dir, new Set([...previous, ...names]));
  // Several files at a time: each write ends with an fsync, and the disk can take many at once.
  const outcomes = await mapConcurrently(files, WRITE_CONCURRENCY, async (file): Promise<WrittenFile | 'known'> => {
    if (isUnchanged?.(file)) return 'known';
    const target = path.join(dir, file.name);
    const bytes = Buffer.from(file.body, 'utf8');
    const existing = await readFile(target).catch(() => undefined);
    const changed = !existing?.equals(bytes);
    if (changed) await writeAtomically(target, bytes);
    return { name: file.name, modified: (await stat(target)).mtime, changed };
  });
  const written: string[] = [];
  const unchanged: string[] = [];
  const results: WrittenFile[] = [];
  outcomes.forEach((outcome, index) => {
    if (outcome === 'known' || !outcome.changed) unchanged.push(files[index]!.name);
    else written.push(outcome.name);
    if (outcome !== 'known') results.push(outcome);
  });

  const removed = previous.filter((name) => !names.has(name) && isInside(dir, name));
  for (const name of removed) await rm(path.join(dir, name), { force: true });
  await removeEmptyFolders(dir, removed);
  await writeManifest(dir, names);
  return { files: results, written, unchanged, removed };
}

/** Files written at the same time. */
const WRITE_CONCURRENCY = 16;

const TEMPORARY_FILE = /^\..+\.[0-9a-f]{12}\.tmp$/;

/** A temporary file older than this was left by a build that died (SIGKILL, power loss). */
const ABANDONED_AFTER_MS = 60_000;

export async function writeAtomically(target: string, bytes: Buffer): Promise<void> {
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, bytes, { flush: true });
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * A build killed between writing a temporary file and renaming it leaves the temporary file
 * behind; the next build removes it. Recent ones may belong to a build running right now.
 */
export async function removeAbandonedTemporaryFiles(dir: string): Promise<void> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const now = Date.now();
  for (const entry of entries) {
    if (!entry.isFile() || !TEMPORARY_FILE.test(entry.name)) continue;
    const file = path.join(entry.parentPath, entry.name);
    const info = await stat(file).catch(() => undefined);
    if (info && now - info.mtimeMs > ABANDONED_AFTER_MS) await rm(file, { force: true });
  }
}

/** A manifest name must stay inside the feeds folder, whatever the manifest file says. */
function isInside(dir: string, name: string): boolean {
  const resolved = path.resolve(dir, name);
  return resolved.startsWith(path.resolve(dir) + path.sep) && !name.split(/[\\/]/).includes('..');
}

/** Sub-folders (archive/ai/, providers/) left empty by removals go too. */
async function removeEmptyFolders(dir: string, removed: readonly string[]): Promise<void> {
  const folders = [...new Set(removed.map((name) => path.dirname(name)).filter((folder) => folder !== '.'))];
  folders.sort((a, b) => b.split('/').length - a.split('/').length);
  for (const folder of folders) {
    let current = folder;
    while (current !== '.' && current !== '') {
      try {
        await rmdir(path.join(dir, current));
      } catch {
        break;
      }
      current = path.dirname(current);
    }
  }
}

async function writeManifest(dir: string, names: ReadonlySet<string>): Promise<void> {
  await writeAtomically(path.join(dir, MANIFEST_NAME), Buffer.from(`${JSON.stringify([...names].sort(), null, 2)}\n`));
}

async function readManifest(dir: string): Promise<string[]> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path.join(dir, MANIFEST_NAME), 'utf8'));
    return Array.isArray(parsed) ? parsed.filter((name): name is string => typeof name === 'string') : [];
  } catch {
    return [];
  }
}
