/**
 * What the disk-fault tests share: a content folder in three versions, a folder read with
 * node:fs, and a small tmpfs (real ENOSPC) where this process may mount one.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { articleText, frontMatter } from './articles.js';

const TOPICS = ['AI', 'Space', 'Climate'];

/** Version 1: 18 articles; 2 edits one title and adds an article; 3 edits two more titles and adds two articles. */
export async function writeContent(dir: string, version: 1 | 2 | 3): Promise<void> {
  const count = 17 + version + (version === 3 ? 1 : 0);
  for (let index = 0; index < count; index++) {
    const edited = (version >= 2 && index === 4) || (version === 3 && (index === 9 || index === 11));
    const fields = frontMatter({
      title: `Article ${index}${edited ? ' (corrected)' : ''}`,
      sourceUrl: `https://news.example.com/${index}/`,
      publishedDateTime: new Date(Date.UTC(2025, 0, 1 + index)).toISOString(),
      topics: [TOPICS[index % TOPICS.length]],
    });
    await writeFile(path.join(dir, `article-${String(index).padStart(2, '0')}.md`), articleText(fields, `Body of article ${index}.`));
  }
}

/** Every file below `dir`, hidden ones too, as relative name → bytes. */
export function everyFile(dir: string): Map<string, Buffer> {
  if (!existsSync(dir)) return new Map();
  const names = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
  return new Map(names.map((name) => [name, readFileSync(path.join(dir, name))]));
}

/** The folder holds exactly the files of `before`, byte for byte (hidden ones too). */
export function assertUnchanged(dir: string, before: ReadonlyMap<string, Buffer>): void {
  const now = everyFile(dir);
  assert.deepEqual([...now.keys()], [...before.keys()], `${dir} holds other files than before the failed build`);
  for (const [name, bytes] of before) assert.ok(now.get(name)!.equals(bytes), `${name} changed although the build failed`);
}

/** The ETag of these bytes, as the manifest and the server give it. */
export const etag = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64url').slice(0, 27);

let mountCount = 0;

function unmount(mount: string): void {
  try {
    execFileSync('umount', ['-l', mount], { stdio: 'ignore' });
  } catch {
    // Already gone.
  }
}

/**
 * Mounts a tmpfs of `size` at a new folder and returns it, or undefined when this process may not
 * mount (not root, or a container without CAP_SYS_ADMIN): the test is then skipped with a
 * message, also in CI. That is not a missing tool .ci/run could install but a right the machine
 * gives or not; the same faults at every stage of a build are injected through the file-system
 * seam (test/build/disk-faults.test.ts), which needs no right.
 */
export function mountTmpfs(t: TestContext, base: string, size: string): string | undefined {
  const mount = path.join(base, `tmpfs-${mountCount++}`);
  try {
    mkdirSync(mount, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mount], { stdio: 'pipe' });
  } catch (error) {
    const message = `cannot mount a tmpfs here (${(error as Error).message.split('\n')[0]}): the real ENOSPC case needs root with CAP_SYS_ADMIN`;
    t.skip(message);
    console.log(`# skipped: ${message}`);
    return undefined;
  }
  // Unmounted when the test ends (and, should it never end, when the process exits): the
  // temporary folder it is in is removed at exit, which a mount point would refuse.
  t.after(() => unmount(mount));
  process.once('exit', () => unmount(mount));
  return mount;
}

/** Fills the file system under `dir` with one file until it is full; returns that file. */
export function fill(dir: string): string {
  const file = path.join(dir, 'filler');
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  // tmpfs takes whole pages: a last write of less than a block may still fit.
  const small = openSync(file, 'a');
  try {
    for (;;) writeSync(small, Buffer.alloc(512, 1));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(small);
  }
  return file;
}

