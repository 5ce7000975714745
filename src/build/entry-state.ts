import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseEntryState, serializeEntryState, type EntryState } from '../feeds/deleted-entries.js';
import { removeAbandonedTemporaryFiles, writeAtomically } from './write-feeds.js';

const STATE_FILE = 'entries.json';

/** The entry ids earlier builds published; none (a first build) when the file is missing. */
export async function readEntryState(stateDir: string): Promise<EntryState> {
  const text = await readFile(path.join(stateDir, STATE_FILE), 'utf8').catch(() => undefined);
  return parseEntryState(text);
}

export async function writeEntryState(stateDir: string, state: EntryState): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  await removeAbandonedTemporaryFiles(stateDir);
  await writeAtomically(path.join(stateDir, STATE_FILE), Buffer.from(serializeEntryState(state)));
}
