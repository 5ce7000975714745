import { lstatSync, realpathSync, watch, type FSWatcher } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logger.js';
import { contentPath } from './read-content.js';

/**
 * What a file watcher saw since it was last asked: nothing, changes to these files only (paths
 * relative to the content folder, `/` separators), or something it cannot name (scan everything).
 */
export type ContentChangeSet = { readonly kind: 'files'; readonly files: ReadonlySet<string> } | { readonly kind: 'unknown' };

export const UNKNOWN_CHANGES: ContentChangeSet = { kind: 'unknown' };

/**
 * A watcher's report. `takeChanges()` answers `unknown` on its first call and after the watcher
 * failed; each call starts a new period.
 */
export interface ContentWatcher {
  /** Resolves once every folder is watched (the walk of the folders is asynchronous). */
  takeChanges(): Promise<ContentChangeSet>;
  /**
   * Whether a change made now would be heard of: false while the content folder cannot be watched
   * (missing, unreadable, a watcher error, its symlink switched) until a build watches it again,
   * and once closed. For /healthz: when false, changes wait for the schedule's build.
   */
  watching(): boolean;
  close(): void;
}

export interface WatchOptions {
  /**
   * Called on every event that may change the feeds (not for hidden files), as it happens, with
   * the Markdown file it names, or undefined when it names something else (scan everything).
   */
  readonly onChange?: (file: string | undefined) => void;
}

/**
 * Watches the content folder, so that a change starts a build at once (build/schedule.ts) and a
 * rebuild does not stat every file: at 100k files those stats are most of a rebuild. One watcher
 * per folder (inotify reports changes to the files in a watched folder); Node 20's recursive mode
 * would instead put a watcher and a stat on every file. An event naming a Markdown file marks that
 * file; one naming another file (a temporary file a save renames over an article) is no change;
 * an event for anything else (a folder, a name gone that was a folder, no name), any watcher error or a
 * CONTENT_DIR symlink switched to another folder means "anything may have changed" and the next
 * build scans everything. Hidden files and folders are not content and are ignored. The build
 * also scans in full now and then, in case the platform missed an event.
 */
export function watchContent(dir: string, logger: Logger, { onChange }: WatchOptions = {}): ContentWatcher {
  let pending: Set<string> | 'unknown' = 'unknown';
  let watchers: FSWatcher[] = [];
  let watched: string | undefined;
  let closed = false;
  // A watcher reported an error: it may hear nothing more until the folders are watched again.
  let broken = false;
  // Whether the last walk failed (logged once, and once more when watching works again).
  let failed = false;
  // CONTENT_DIR may be a symlink switched to a new release (an atomic deploy): watchers on the
  // old folder would never hear of it, so its real path is checked every time changes are taken.
  const realPath = () => {
    try {
      return realpathSync(dir);
    } catch {
      return undefined;
    }
  };
  const stop = () => {
    for (const watcher of watchers) watcher.close();
    watchers = [];
  };
  // Whether the set of folders may have changed since they were walked (an event that names no
  // Markdown file, a watcher error): the next takeChanges walks them again. Not set at start, so
  // the first takeChanges (which says "unknown" all the same) does not walk a folder just walked:
  // at 100k files a walk holds the main thread for a fifth of a second.
  let rewatch = false;
  const unknownChange = () => {
    pending = 'unknown';
    rewatch = true;
    onChange?.(undefined);
  };
  const watcherError = () => {
    broken = true;
    unknownChange();
  };
  const noted = (folder: string, name: string | null) => {
    if (name === null) return unknownChange();
    const file = folder === '' ? name : `${folder}/${name}`;
    if (file.split(/[\\/]/).some((part) => part.startsWith('.'))) return;
    if (!file.toLowerCase().endsWith('.md')) return notContent(file) ? undefined : unknownChange();
    if (pending !== 'unknown') pending.add(file);
    onChange?.(file);
  };
  // The folders the last walk watches (relative, `/` separators): a name that is gone was one of
  // them, or was a file.
  let folders = new Set<string>();
  /**
   * Whether `file` (not Markdown) cannot have changed any article: a file, or a name gone that was
   * no watched folder. Tools that save by writing a temporary file and renaming it over an
   * article (`sed -i`, many editors) make such events on every save; taken as "anything may have
   * changed", each save scanned the whole folder (5-11 s at a million files) instead of building
   * one file. A folder that comes or goes, or a name that cannot be looked at, still means
   * anything may have changed.
   */
  const notContent = (file: string): boolean => {
    if (watched === undefined) return false;
    try {
      return !lstatSync(path.join(watched, file)).isDirectory();
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT' && !folders.has(file);
    }
  };
  let walk = 0;
  /**
   * Watches the top folder at once, then each sub-folder once an asynchronous walk has listed
   * them: the walk lists every file (100k entries take over 100 ms), and done synchronously it
   * held up the server's start (it listens after this returns) and every request meanwhile.
   */
  const start = async () => {
    stop();
    rewatch = false;
    broken = false;
    watched = realPath();
    const current = ++walk;
    const watchFolder = (root: string, folder: string) => {
      const watcher = watch(path.join(root, folder), { persistent: false }, (_event, name) => noted(folder, name));
      watcher.on('error', watcherError);
      watchers.push(watcher);
    };
    try {
      if (watched === undefined) throw new Error(`${dir} does not exist`);
      const root = watched;
      // Before the walk, so that a folder created during it is heard of (and walked again).
      watchFolder(root, '');
      const found = (await readdir(root, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
        .map((entry) => contentPath(path.relative(root, path.join(entry.parentPath, entry.name))))
        .filter((folder) => !folder.split('/').some((part) => part.startsWith('.')));
      // Closed, or started again, meanwhile: those watchers are not this walk's to add.
      if (closed || current !== walk) return;
      folders = new Set(found);
      for (const folder of found) watchFolder(root, folder);
      if (failed) logger.info('content folder watched again', { contentDir: dir });
      failed = false;
    } catch (error) {
      if (closed || current !== walk) return;
      if (!failed) logger.warn('content folder cannot be watched; changes wait for the scheduled build, which scans it all', { error });
      failed = true;
      stop();
    }
  };
  let ready = start();
  return {
    async takeChanges(): Promise<ContentChangeSet> {
      await ready;
      const lost = watchers.length === 0 || realPath() !== watched;
      const unknown = pending === 'unknown' || lost;
      const files = pending === 'unknown' ? undefined : pending;
      pending = new Set();
      // Folders may have come or gone: watch the current set before the scan that follows.
      if ((rewatch || lost) && !closed) await (ready = start());
      if (unknown) return UNKNOWN_CHANGES;
      return { kind: 'files', files: files! };
    },
    watching() {
      return !closed && !broken && watchers.length > 0 && realPath() === watched;
    },
    close() {
      closed = true;
      stop();
    },
  };
}
