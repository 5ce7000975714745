/**
 * One process at a time builds into a feeds folder, and with a state folder. Two (the server and
 * `npm run build:feeds` on its folders, or two CLI runs) would each take the other's files for its
 * own: the server went on serving a mix of both builds' links, and a CLI run failed on a cache
 * file the other had just replaced. Two with one STATE_DIR and different feeds folders each threw
 * the other's build cache away, and recorded the other's entries and page edges as their own. The
 * server holds the locks while it runs, the CLI while it builds.
 *
 * A lock is a file in the folder (`FEEDS_DIR/.feeds-lock`, `STATE_DIR/.state-lock`), naming the
 * process that holds it. A lock left by a process that is gone (SIGKILL, a crash, a CI runner that
 * was torn down) is taken over: it names a process of this machine that no longer runs, or a
 * process of another machine (a folder restored from a cache, which no process of this machine
 * holds). Two machines writing into one shared folder are not told apart.
 */
import { hostname } from 'node:os';
import path from 'node:path';
import { mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, closeSync, writeSync } from 'node:fs';
import { FeedServiceError } from '../errors.js';
import { assertFolderSetting, DiskWriteError, writingFile } from './disk-write-error.js';

/** The lock file of each folder a build writes, by its setting. */
export const LOCK_NAMES = { FEEDS_DIR: '.feeds-lock', STATE_DIR: '.state-lock' } as const;

export type LockedFolderSetting = keyof typeof LOCK_NAMES;

/** What each folder is for, in the message that refuses it. */
const FOLDER_ROLES: Record<LockedFolderSetting, string> = {
  FEEDS_DIR: 'one process at a time builds into a feeds folder',
  STATE_DIR: 'one process at a time builds with a state folder (its build cache, entry ids and page edges)',
};

/** What the lock file says of its holder. */
interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** `server` or `build:feeds`. */
  readonly role: string;
  readonly since: string;
}

export interface FolderLock {
  /** Gives the lock up, if this process still holds it; also done when the process exits. */
  release(): void;
}

/**
 * Takes the locks of the feeds folder and the state folder for this process (see lockFolder), or
 * none: a folder held by another process throws its `…_IN_USE` error after the lock already taken
 * is given up. A folder that cannot take a lock (a full or read-only disk: DiskWriteError) throws
 * too, unless `onUnwritable` is given: the server then goes on without that lock, as it still
 * serves the last build.
 */
export function lockBuildFolders({ feedsDir, stateDir }: { readonly feedsDir: string; readonly stateDir: string }, role: string, onUnwritable?: (error: DiskWriteError, setting: LockedFolderSetting) => void): FolderLock {
  const taken: FolderLock[] = [];
  const release = () => {
    for (const lock of taken.splice(0)) lock.release();
  };
  for (const [dir, setting] of [[feedsDir, 'FEEDS_DIR'], [stateDir, 'STATE_DIR']] as const) {
    try {
      taken.push(lockFolder(dir, setting, role));
    } catch (error) {
      if (error instanceof DiskWriteError && onUnwritable) {
        onUnwritable(error, setting);
        continue;
      }
      release();
      throw error;
    }
  }
  return { release };
}

/**
 * Takes the lock of `dir` (made if missing), the folder of `setting`, for this process, or throws
 * FEEDS_DIR_IN_USE / STATE_DIR_IN_USE naming the process that holds it. A process may take it
 * again (the lock is its own).
 */
export function lockFolder(dir: string, setting: LockedFolderSetting, role: string): FolderLock {
  const file = path.join(dir, LOCK_NAMES[setting]);
  // A folder that cannot take the lock (full, read-only) fails as a write of the build would.
  assertFolderSetting(dir, setting);
  writingFile(dir, () => mkdirSync(dir, { recursive: true }));
  const me: LockHolder = { pid: process.pid, host: hostname(), role, since: new Date().toISOString() };
  if (!writingFile(file, () => createLockFile(file, me))) {
    const holder = readHolder(file);
    if (holder !== undefined && isOtherLiveProcess(holder)) throw inUse(dir, setting, holder);
    // Left by a process that is gone: replaced whole (a rename), then read back, so that of two
    // processes taking over at once only the one the file names goes on.
    const temporary = `${file}.${process.pid}`;
    writingFile(file, () => {
      writeFileSync(temporary, JSON.stringify(me));
      renameSync(temporary, file);
    });
    const now = readHolder(file);
    if (now === undefined || now.pid !== me.pid || now.host !== me.host) throw inUse(dir, setting, now ?? holder ?? me);
  }
  const release = () => {
    const holder = readHolder(file);
    if (holder?.pid === me.pid && holder.host === me.host) {
      try {
        unlinkSync(file);
      } catch {
        // Gone already.
      }
    }
    process.off('exit', release);
  };
  process.on('exit', release);
  return { release };
}

/** Creates the lock file naming `holder`; false when there is one already. */
function createLockFile(file: string, holder: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, JSON.stringify(holder));
  } catch (error) {
    closeSync(fd);
    unlinkSync(file);
    throw error;
  }
  closeSync(fd);
  return true;
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    return typeof holder.pid === 'number' && typeof holder.host === 'string' ? { pid: holder.pid, host: holder.host, role: String(holder.role ?? 'a process'), since: String(holder.since ?? '') } : undefined;
  } catch {
    // Missing, or cut short by a process killed as it wrote it: nobody holds it.
    return undefined;
  }
}

/** Whether `holder` is another process of this machine that still runs. */
function isOtherLiveProcess(holder: LockHolder): boolean {
  if (holder.host !== hostname() || holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function inUse(dir: string, setting: LockedFolderSetting, holder: LockHolder): FeedServiceError {
  return new FeedServiceError(
    `${setting}_IN_USE` as const,
    `${setting} (${path.resolve(dir)}) is in use by ${holder.role} (process ${holder.pid}${holder.since ? `, since ${holder.since}` : ''}): ` +
      `${FOLDER_ROLES[setting]}. A running server builds on every change itself; stop it first, or give this one other folders.`,
    { details: { pid: holder.pid } },
  );
}
