import { statSync } from 'node:fs';
import { FeedServiceError } from '../errors.js';

/**
 * A write of the build (a feed file, the manifest, the build cache, the entry state) failed:
 * ENOSPC, EIO, EACCES, EROFS… It names the file and the error code; the build that meets it
 * puts back what it had changed, so the last good feeds stay on disk and served.
 */
export class DiskWriteError extends FeedServiceError {
  /** The file the build was writing (the real name, not its temporary file). */
  readonly file: string;
  /** The system error code (`ENOSPC`, `EIO`, `EACCES`…), or `EUNKNOWN`. */
  readonly errno: string;

  constructor(file: string, cause: unknown) {
    const errno = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'EUNKNOWN';
    const reason = cause instanceof Error ? cause.message.replace(/^[A-Z]+: /, '').replace(/, \w+( '.*')?$/, '') : String(cause);
    super('DISK_WRITE_FAILED', `cannot write ${file}: ${errno} (${reason})`, { cause, details: { file, errno } });
    this.name = 'DiskWriteError';
    this.file = file;
    this.errno = errno;
  }
}

/** Runs `write`, turning a failure into a DiskWriteError naming `file` (one already naming a file is kept). */
export function writingFile<T>(file: string, write: () => T): T {
  try {
    return write();
  } catch (error) {
    throw error instanceof DiskWriteError ? error : new DiskWriteError(file, error);
  }
}

/**
 * Throws a DiskWriteError naming `dir` and its setting (FEEDS_DIR, STATE_DIR) when `dir` is a file
 * or inside one: otherwise every build fails on a bare ENOTDIR or EEXIST from deep inside, naming a
 * file below it or no setting. A folder that is missing is fine (the build makes it); any other
 * fault is left to the write that meets it.
 */
export function assertFolderSetting(dir: string, setting: string): void {
  let folder = true;
  try {
    folder = statSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? true;
  } catch (error) {
    folder = (error as NodeJS.ErrnoException).code !== 'ENOTDIR';
  }
  if (!folder) throw new DiskWriteError(dir, Object.assign(new Error(`${setting} is a file or inside one, not a folder`), { code: 'ENOTDIR' }));
}
