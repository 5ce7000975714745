import { readdirSync, realpathSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { ContentChanges } from '../build.js';
import type { Logger } from './logger.js';

/**
 * Watches the content folder so that a scheduled rebuild with nothing changed does not stat every
 * file: at 100k files those stats are most of the rebuild. One watcher per folder (inotify
 * reports changes to the files in a watched folder); Node 20's recursive mode would instead put a
 * watcher and a stat on every file. Any event, or any trouble, counts as a change, and the set of
 * folders is read again after each change; the build also scans in full now and then.
 */
export function watchContent(dir: string, logger: Logger): ContentChanges {
  let changed = true;
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
  const start = () => {
    stop();
    watched = realPath();
    try {
      if (watched === undefined) throw new Error(`${dir} does not exist`);
      const root = watched;
      const folders = [root, ...readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
        .map((entry) => path.join(entry.parentPath, entry.name))];
      for (const folder of folders) {
        const watcher = watch(folder, { persistent: false }, () => {
          changed = true;
        });
        watcher.on('error', () => {
          changed = true;
        });
        watchers.push(watcher);
      }
    } catch (error) {
      logger.warn('content folder cannot be watched; every build scans it', { error });
      stop();
    }
  };
  return {
    mayHaveChanged() {
      const answer = changed || watchers.length === 0 || realPath() !== watched;
      changed = false;
      // Folders may have come or gone: watch the current set before the scan that follows.
      if (answer) start();
      return answer;
    },
  };
}
