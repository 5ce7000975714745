/**
 * Faults injected into the build's file-system seam (src/build/build-fs.ts): the nth call of one
 * kind whose file matches fails with a system error as node:fs makes them (code, errno, syscall,
 * path). Writes by descriptor are matched by the file the descriptor was opened on.
 */
import { constants } from 'node:os';
import path from 'node:path';
import { buildFs, type BuildFs } from '../../src/build/build-fs.js';
import { temporaryDigest } from '../../src/build/reversible-writes.js';

export type FaultCode = 'ENOSPC' | 'EIO' | 'EACCES';
export type FaultCall = 'openSync' | 'writeSync' | 'renameSync' | 'appendFileSync' | 'linkSync' | 'mkdirSync';

export interface Fault {
  /** Which call fails. */
  readonly call: FaultCall;
  /** Which files: the call's file (for a rename, its new name) must match. */
  readonly file: (file: string) => boolean;
  readonly code: FaultCode;
  /** The nth matching call fails, and every later one too when `persistent` (a disk that stays full). */
  readonly nth?: number;
  readonly persistent?: boolean;
}

/** Whether `file` is a temporary (or backup) file of a file named `name` (no folder): a fault's `file` test. */
export const temporaryFileOf = (name: string) => (file: string) => path.basename(file).startsWith(`.${temporaryDigest(name)}.`) && file.endsWith('.tmp');

const MESSAGES: Record<FaultCode, string> = { ENOSPC: 'no space left on device', EIO: 'i/o error', EACCES: 'permission denied' };

/** A system error as node:fs throws it. */
export function systemError(code: FaultCode, syscall: string, file: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: ${MESSAGES[code]}, ${syscall} '${file}'`);
  error.code = code;
  error.errno = -constants.errno[code];
  error.syscall = syscall;
  error.path = file;
  return error;
}

/**
 * Wraps the seam's calls until the returned function is called. `hits` counts the faults thrown
 * (a test checks that its fault was met at all).
 */
export function injectFault(fault: Fault): { restore: () => void; readonly hits: number } {
  const original: BuildFs = { ...buildFs };
  const files = new Map<number, string>();
  let seen = 0;
  let hits = 0;
  const trip = (call: FaultCall, file: string | undefined, syscall: string) => {
    if (call !== fault.call || file === undefined || !fault.file(file)) return;
    seen++;
    if (seen === (fault.nth ?? 1) || (fault.persistent && seen > (fault.nth ?? 1))) {
      hits++;
      throw systemError(fault.code, syscall, file);
    }
  };
  const seam = buildFs as { -readonly [K in keyof BuildFs]: BuildFs[K] };
  seam.openSync = ((file: string, ...rest: unknown[]) => {
    trip('openSync', String(file), 'open');
    const fd = (original.openSync as (...args: unknown[]) => number)(file, ...rest);
    files.set(fd, String(file));
    return fd;
  }) as BuildFs['openSync'];
  seam.closeSync = ((fd: number) => {
    files.delete(fd);
    original.closeSync(fd);
  }) as BuildFs['closeSync'];
  seam.writeSync = ((fd: number, ...rest: unknown[]) => {
    trip('writeSync', files.get(fd), 'write');
    return (original.writeSync as (...args: unknown[]) => number)(fd, ...rest);
  }) as BuildFs['writeSync'];
  seam.renameSync = ((from: string, to: string) => {
    trip('renameSync', String(to), 'rename');
    original.renameSync(from, to);
  }) as BuildFs['renameSync'];
  seam.linkSync = ((existing: string, link: string) => {
    trip('linkSync', String(existing), 'link');
    original.linkSync(existing, link);
  }) as BuildFs['linkSync'];
  seam.appendFileSync = ((file: string, data: string) => {
    try {
      trip('appendFileSync', String(file), 'write');
    } catch (error) {
      // As a full disk does: the first part of the text reaches the file, then the write fails.
      original.appendFileSync(file, data.slice(0, Math.floor(data.length / 2)));
      throw error;
    }
    original.appendFileSync(file, data);
  }) as BuildFs['appendFileSync'];
  seam.mkdirSync = ((folder: string, ...rest: unknown[]) => {
    trip('mkdirSync', String(folder), 'mkdir');
    return (original.mkdirSync as (...args: unknown[]) => string | undefined)(folder, ...rest);
  }) as BuildFs['mkdirSync'];
  return {
    restore: () => Object.assign(seam, original),
    get hits() {
      return hits;
    },
  };
}
