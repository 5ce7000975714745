import { buildFs } from './build-fs.js';

/** Writes all of `bytes` at the file's position: `writeSync` may write fewer bytes than asked. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += buildFs.writeSync(fd, bytes, written);
}

/** About how many characters writeText encodes at a time. */
const TEXT_CHUNK_CHARACTERS = 1 << 20;

/**
 * Writes the text made of `pieces` as UTF-8, a megabyte at a time: a state file of a million
 * articles (200 MB) is never one string, nor one buffer. Pieces are whole strings, so no
 * character is ever split between two writes.
 */
export function writeText(fd: number, pieces: Iterable<string>): void {
  let pending: string[] = [];
  let characters = 0;
  const flush = () => {
    writeAll(fd, Buffer.from(pending.join(''), 'utf8'));
    pending = [];
    characters = 0;
  };
  for (const piece of pieces) {
    pending.push(piece);
    characters += piece.length;
    if (characters >= TEXT_CHUNK_CHARACTERS) flush();
  }
  if (pending.length > 0) flush();
}
