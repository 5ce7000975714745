import { buildFs } from './build-fs.js';

/** Writes all of `bytes` at the file's position: `writeSync` may write fewer bytes than asked. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += buildFs.writeSync(fd, bytes, written);
}
