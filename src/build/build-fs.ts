/**
 * The file-system calls a build writes with, in one object: every write, rename, link, append,
 * truncation and change of times in the feeds folder, the build cache and the entry state goes
 * through it. Tests replace its members to fail a chosen call with ENOSPC, EIO or EACCES
 * (test/helpers/fault-fs.ts) where a real fault cannot be made (a full tmpfs gives a real ENOSPC;
 * root ignores file modes). Reads do not go through it.
 */
import { appendFileSync, closeSync, copyFileSync, fstatSync, linkSync, mkdirSync, openSync, renameSync, rmdirSync, rmSync, truncateSync, utimesSync, writeSync } from 'node:fs';

export const buildFs = {
  openSync,
  writeSync,
  closeSync,
  fstatSync,
  renameSync,
  linkSync,
  copyFileSync,
  appendFileSync,
  truncateSync,
  mkdirSync,
  rmSync,
  rmdirSync,
  utimesSync,
};

export type BuildFs = typeof buildFs;
