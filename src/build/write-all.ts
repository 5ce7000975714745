import { buildFs } from './build-fs.js';

/** Writes all of `bytes` at the file's position: `writeSync` may write fewer bytes than asked. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += buildFs.writeSync(fd, bytes, written);
}

/** About how many characters PendingText holds before it encodes and hands them on. */
const TEXT_CHUNK_CHARACTERS = 1 << 20;

/**
 * Text gathered a megabyte at a time: each megabyte of characters added is encoded as UTF-8 and
 * given to `write` in one Buffer, so a large file (a state file of a million articles is 200 MB)
 * is never one string, nor one buffer. Pieces are whole strings, so no character is ever split
 * between two writes.
 */
export class PendingText {
  readonly #write: (bytes: Buffer) => void;
  #pending: string[] = [];
  #characters = 0;

  constructor(write: (bytes: Buffer) => void) {
    this.#write = write;
  }

  /** Adds `text`; true when that handed the pending megabyte on. */
  add(text: string): boolean {
    this.#pending.push(text);
    this.#characters += text.length;
    if (this.#characters < TEXT_CHUNK_CHARACTERS) return false;
    this.flush();
    return true;
  }

  /** Hands on whatever is pending (nothing when nothing is). */
  flush(): void {
    if (this.#pending.length === 0) return;
    const bytes = Buffer.from(this.#pending.join(''), 'utf8');
    this.#pending = [];
    this.#characters = 0;
    this.#write(bytes);
  }
}

/** Writes the text made of `pieces` to `fd` as UTF-8, a megabyte at a time (PendingText). */
export function writeText(fd: number, pieces: Iterable<string>): void {
  const text = new PendingText((bytes) => writeAll(fd, bytes));
  for (const piece of pieces) text.add(piece);
  text.flush();
}
