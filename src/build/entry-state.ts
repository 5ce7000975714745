import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEntryState, serializeEntryState, type EntryState } from '../feeds/deleted-entries.js';
import { removeAbandonedTemporaryFiles, writeAtomically } from './write-feeds.js';

const STATE_FILE = 'entries.json';

/** The entry ids earlier builds published; none (a first build) when the file is missing. */
export function readEntryState(stateDir: string): EntryState {
  let text: string | undefined;
  try {
    text = readFileSync(path.join(stateDir, STATE_FILE), 'utf8');
  } catch {
    text = undefined;
  }
  return parseEntryState(text);
}

export function writeEntryState(stateDir: string, state: EntryState): void {
  mkdirSync(stateDir, { recursive: true });
  removeAbandonedTemporaryFiles(stateDir);
  writeAtomically(path.join(stateDir, STATE_FILE), Buffer.from(serializeEntryState(state)));
}
