import { readdirSync, realpathSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { UNKNOWN_CHANGES, type ContentChanges, type ContentChangeSet } from '../build/build-feeds.js';
import type { Logger } from '../logger.js';

/**
 * Watches the content folder so that a scheduled rebuild does not stat every file: at 100k files
 * those stats are most of a rebuild. One watcher per folder (inotify reports changes to the files
 * in a watched folder); Node 20's recursive mode would instead put a watcher and a stat on every
 * file. An event naming a Markdown file marks that file; an event for anything else (a folder,
 * another file, no name), any watcher error or a CONTENT_DIR symlink switched to another folder
 * means "anything may have changed" and the next build scans everything. Hidden files and folders
 * are not content and are ignored. The build also scans in full now and then.
 */
export function watchContent(dir: string, logger: Logger): ContentChanges {
  let pending: Set<string> | 'unknown' = 'unknown';
  let watchers: FSWatcher[] = [];
  let watched: string | undefined;
  // CONTENT_DIR may be a symlink switched to a new release (an atomic deploy): watchers on the
  // old folder would never hear of it, so its real path is checked on every build.
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
  const noted = (folder: string, name: string | null) => {
    if (pending === 'unknown') return;
    if (name === null) {
      pending = 'unknown';
      return;
    }
    const file = folder === '' ? name : `${folder}/${name}`;
    if (file.split(/[\\/]/).some((part) => part.startsWith('.'))) return;
    if (file.toLowerCase().endsWith('.md')) pending.add(file);
    else pending = 'unknown';
  };
  const start = () => {
    stop();
    watched = realPath();
    try {
      if (watched === undefined) throw new Error(`${dir} does not exist`);
      const root = watched;
      const folders = readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
        .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
      for (const folder of ['', ...folders]) {
        const watcher = watch(path.join(root, folder), { persistent: false }, (_event, name) => noted(folder, name));
        watcher.on('error', () => {
          pending = 'unknown';
        });
        watchers.push(watcher);
      }
    } catch (error) {
      logger.warn('content folder cannot be watched; every build scans it', { error });
      stop();
    }
  };
  return {
    takeChanges(): ContentChangeSet {
      const unknown = pending === 'unknown' || watchers.length === 0 || realPath() !== watched;
      const files = pending === 'unknown' ? undefined : pending;
      pending = new Set();
      // Folders may have come or gone: watch the current set before the scan that follows.
      if (unknown) {
        start();
        return UNKNOWN_CHANGES;
      }
      return { kind: 'files', files: files! };
    },
  };
}
