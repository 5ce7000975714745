/**
 * The content watcher: which files it names, when it cannot name them, and that it calls back as
 * things happen. Every wait is for an event the watcher reports (bounded), never a fixed sleep.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsPromises, { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { after, describe, it, mock } from 'node:test';
import { watchContent, type ContentChangeSet, type ContentWatcher } from '../../src/content/watch-content.js';
import { silentLogger } from '../../src/logger.js';
import { collectingLogger } from '../helpers/logger.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const files = (set: ContentChangeSet) => (set.kind === 'files' ? [...set.files].sort() : set.kind);

const watchers: ContentWatcher[] = [];
after(() => {
  for (const watcher of watchers) watcher.close();
});

/** A watcher on `dir` and a way to wait until it has called back about what a test expects. */
function watched(dir: string) {
  const seen: (string | undefined)[] = [];
  let wake: (() => void) | undefined;
  const watcher = watchContent(dir, silentLogger, {
    onChange: (file) => {
      seen.push(file);
      wake?.();
    },
  });
  watchers.push(watcher);
  /** Resolves once `done(seen)` holds (checked at every callback), or fails after 5 s. */
  const until = async (what: string, done: (seen: readonly (string | undefined)[]) => boolean) => {
    const deadline = Date.now() + 5000;
    while (!done(seen)) {
      const left = deadline - Date.now();
      assert.ok(left > 0, `the watcher never reported ${what}; it reported ${JSON.stringify(seen)}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, left).unref();
      });
    }
  };
  return { watcher, seen, until };
}

describe('watchContent: names the files that changed', () => {
  it('says "unknown" first, then names each Markdown file written, in the folder or a sub-folder', async () => {
    const dir = await makeTempDir('watch-');
    await mkdir(path.join(dir, 'sub'));
    const { watcher, until } = watched(dir);
    assert.equal(files(await watcher.takeChanges()), 'unknown', 'first call');
    assert.deepEqual(files(await watcher.takeChanges()), [], 'nothing happened');
    await writeFile(path.join(dir, '.hidden.md.swp'), 'z');
    await writeFile(path.join(dir, 'sub', 'new.md'), 'x');
    await writeFile(path.join(dir, 'top.md'), 'y');
    await until('both files', (seen) => seen.includes('sub/new.md') && seen.includes('top.md'));
    assert.deepEqual(files(await watcher.takeChanges()), ['sub/new.md', 'top.md']);
    assert.deepEqual(files(await watcher.takeChanges()), [], 'each call starts a new period');
  });

  it('never calls back for hidden files', async () => {
    const dir = await makeTempDir('watch-');
    const { watcher, seen, until } = watched(dir);
    await watcher.takeChanges();
    await writeFile(path.join(dir, '.editor-swap.md'), 'z');
    await writeFile(path.join(dir, 'marker.md'), 'x');
    await until('the marker file', (calls) => calls.includes('marker.md'));
    assert.ok(!seen.some((file) => file?.startsWith('.')), JSON.stringify(seen));
    assert.deepEqual(files(await watcher.takeChanges()), ['marker.md']);
  });

  it('says "unknown" after a folder appears, and then watches the new folder', async () => {
    const dir = await makeTempDir('watch-');
    const { watcher, until } = watched(dir);
    await watcher.takeChanges();
    await mkdir(path.join(dir, 'folder'));
    await until('the new folder', (calls) => calls.includes(undefined));
    assert.equal(files(await watcher.takeChanges()), 'unknown', 'a new folder');
    await writeFile(path.join(dir, 'folder', 'in-new-folder.md'), 'x');
    await until('the file in the new folder', (calls) => calls.includes('folder/in-new-folder.md'));
    assert.deepEqual(files(await watcher.takeChanges()), ['folder/in-new-folder.md'], 'the new folder is watched');
  });

  it('takes a file that is not Markdown, there or gone, for no change', async () => {
    const dir = await makeTempDir('watch-');
    await mkdir(path.join(dir, 'sub'));
    const { watcher, seen, until } = watched(dir);
    await watcher.takeChanges();
    await writeFile(path.join(dir, 'notes.txt'), 'x');
    await writeFile(path.join(dir, 'sub', 'README'), 'x');
    await rm(path.join(dir, 'notes.txt'));
    // A folder's events come in order: once its marker is seen, the events before it were handled.
    await writeFile(path.join(dir, 'marker.md'), 'x');
    await writeFile(path.join(dir, 'sub', 'marker.md'), 'x');
    await until('the marker files', (calls) => calls.includes('marker.md') && calls.includes('sub/marker.md'));
    assert.deepEqual([...new Set(seen)].sort(), ['marker.md', 'sub/marker.md']);
    assert.deepEqual(files(await watcher.takeChanges()), ['marker.md', 'sub/marker.md']);
  });

  it('names the article that a save through a temporary file replaced (sed -i, editors), and nothing else', async () => {
    const dir = await makeTempDir('watch-');
    await mkdir(path.join(dir, 'sub'));
    await writeFile(path.join(dir, 'sub', 'article.md'), 'old');
    const { watcher, seen, until } = watched(dir);
    await watcher.takeChanges();
    // What `sed -i` does: a new file beside the article, then renamed over it.
    await writeFile(path.join(dir, 'sub', 'sedX1b2c3'), 'new');
    await rename(path.join(dir, 'sub', 'sedX1b2c3'), path.join(dir, 'sub', 'article.md'));
    await until('the article', (calls) => calls.includes('sub/article.md'));
    assert.ok(!seen.includes(undefined), JSON.stringify(seen));
    assert.deepEqual(files(await watcher.takeChanges()), ['sub/article.md']);
  });

  it('says "unknown" when a watched folder is removed or renamed, though its name is gone', async () => {
    const dir = await makeTempDir('watch-');
    await mkdir(path.join(dir, 'gone'));
    await mkdir(path.join(dir, 'moved'));
    await writeFile(path.join(dir, 'moved', 'a.md'), 'x');
    const { watcher, seen, until } = watched(dir);
    await watcher.takeChanges();
    await rm(path.join(dir, 'gone'), { recursive: true });
    await until('the removed folder', (calls) => calls.includes(undefined));
    assert.equal(files(await watcher.takeChanges()), 'unknown', 'a folder removed');
    seen.length = 0;
    await rename(path.join(dir, 'moved'), path.join(dir, 'elsewhere'));
    await until('the renamed folder', (calls) => calls.includes(undefined));
    assert.equal(files(await watcher.takeChanges()), 'unknown', 'a folder renamed');
  });
});

describe('watchContent: which folders it watches', () => {
  it('watches folders at any depth, and none inside a hidden folder', async () => {
    const dir = await makeTempDir('watch-');
    await mkdir(path.join(dir, '2026', '12', 'drafts'), { recursive: true });
    await mkdir(path.join(dir, 'topics'));
    await mkdir(path.join(dir, '.git', 'objects'), { recursive: true });
    const watchCalls = mock.method(fs, 'watch');
    syncBuiltinESMExports();
    try {
      const { watcher, until } = watched(dir);
      await watcher.takeChanges();
      const real = fs.realpathSync(dir);
      const folders = watchCalls.mock.calls.map((call) => path.relative(real, String(call.arguments[0])).split(path.sep).join('/')).sort();
      assert.deepEqual(folders, ['', '2026', '2026/12', '2026/12/drafts', 'topics']);
      await writeFile(path.join(dir, '2026', '12', 'drafts', 'deep.md'), 'x');
      await writeFile(path.join(dir, 'topics', 'side.md'), 'x');
      await until('both files', (seen) => seen.includes('2026/12/drafts/deep.md') && seen.includes('topics/side.md'));
      assert.deepEqual(files(await watcher.takeChanges()), ['2026/12/drafts/deep.md', 'topics/side.md']);
    } finally {
      watchCalls.mock.restore();
      syncBuiltinESMExports();
    }
  });
});

describe('watchContent: what it costs', () => {
  it('walks the folder tree without blocking (asynchronously), once at start and not again on the first takeChanges', async () => {
    const dir = await makeTempDir('watch-');
    await mkdir(path.join(dir, 'sub'));
    const real = fs.realpathSync(dir);
    // Counts the listings of `dir`: synchronous ones held up the server's start at 100k files.
    const readdirSync = mock.method(fs, 'readdirSync');
    const readdir = mock.method(fsPromises, 'readdir');
    syncBuiltinESMExports();
    const walks = () => readdir.mock.calls.filter((call) => call.arguments[0] === real).length;
    try {
      const { watcher, until } = watched(dir);
      assert.equal(readdirSync.mock.calls.filter((call) => call.arguments[0] === real).length, 0, 'no synchronous listing');
      assert.equal(files(await watcher.takeChanges()), 'unknown', 'first call');
      assert.equal(walks(), 1, 'the walk at start, and none for the first takeChanges');
      await writeFile(path.join(dir, 'sub', 'after-walk.md'), 'x');
      await until('the file in the sub-folder', (calls) => calls.includes('sub/after-walk.md'));
      await mkdir(path.join(dir, 'new-folder'));
      await until('the new folder', (calls) => calls.includes(undefined));
      assert.equal(files(await watcher.takeChanges()), 'unknown', 'a new folder');
      assert.equal(walks(), 2, 'a folder appeared: walked again');
    } finally {
      readdirSync.mock.restore();
      readdir.mock.restore();
      syncBuiltinESMExports();
    }
  });
});

describe('watchContent: a content folder that is a symlink', () => {
  it('notices when the symlink is switched to another folder (an atomic deploy)', async () => {
    const base = await makeTempDir('watch-link-');
    await mkdir(path.join(base, 'release-1'));
    await mkdir(path.join(base, 'release-2'));
    await symlink(path.join(base, 'release-1'), path.join(base, 'content'));
    const { watcher } = watched(path.join(base, 'content'));
    await watcher.takeChanges();
    assert.deepEqual(await watcher.takeChanges(), { kind: 'files', files: new Set() });
    await symlink(path.join(base, 'release-2'), path.join(base, 'next'));
    await rename(path.join(base, 'next'), path.join(base, 'content'));
    assert.equal((await watcher.takeChanges()).kind, 'unknown');
  });
});

describe('watchContent: whether it is watching (for /healthz)', () => {
  it('is not watching a missing folder, says so once, and watches it once a build finds it there', async () => {
    const base = await makeTempDir('watch-missing-');
    const dir = path.join(base, 'content');
    const { logger, entries } = collectingLogger();
    const watcher = watchContent(dir, logger);
    watchers.push(watcher);
    assert.equal((await watcher.takeChanges()).kind, 'unknown');
    assert.equal(watcher.watching(), false, 'no folder to watch');
    await watcher.takeChanges();
    const warnings = entries.filter((entry) => entry.level === 'warn');
    assert.equal(warnings.length, 1, `one warning for the same fault, not one a build: ${JSON.stringify(warnings)}`);
    assert.match(String(warnings[0]!.msg), /cannot be watched; changes wait for the scheduled build/);
    await mkdir(dir);
    await watcher.takeChanges();
    assert.equal(watcher.watching(), true, 'watched once a build found the folder');
    assert.ok(entries.some((entry) => entry.level === 'info' && entry.msg === 'content folder watched again'));
    watcher.close();
    assert.equal(watcher.watching(), false, 'closed');
  });

  it('is not watching once its symlink points elsewhere, until a build watches the new folder', async () => {
    const base = await makeTempDir('watch-switch-');
    await mkdir(path.join(base, 'release-1'));
    await mkdir(path.join(base, 'release-2'));
    await symlink(path.join(base, 'release-1'), path.join(base, 'content'));
    const { watcher } = watched(path.join(base, 'content'));
    await watcher.takeChanges();
    assert.equal(watcher.watching(), true);
    await symlink(path.join(base, 'release-2'), path.join(base, 'next'));
    await rename(path.join(base, 'next'), path.join(base, 'content'));
    assert.equal(watcher.watching(), false, 'the watched folder is no longer the content folder');
    await watcher.takeChanges();
    assert.equal(watcher.watching(), true);
  });
});
