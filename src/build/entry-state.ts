/**
 * The entry state on disk (STATE_DIR/entries.json): every entry id earlier builds published and
 * the feeds it was in, and since when it is gone. A build that changed a few ids appends them to
 * a journal beside it (entries.json.journal, see journaled-file.ts for how the two agree) instead
 * of writing every id again: at a million articles the whole file is tens of megabytes.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EMPTY_ENTRY_STATE, entryStateText, parseEntryRecords, parseEntryState, type EntryRecord, type EntryState } from '../feeds/deleted-entries.js';
import { stageJournal } from './journaled-file.js';
import { ReversibleWrites } from './reversible-writes.js';

const STATE_FILE = 'entries.json';
/** Past this share of the ids, a journal is folded into a new snapshot. */
const JOURNAL_SHARE = 0.25;
const JOURNAL_MIN_ROWS = 1000;

/** Which snapshot a state's map was last read from or written to, by the map (updated in place by rebuilds). */
const stored = new WeakMap<ReadonlyMap<string, EntryRecord>, { readonly file: string; readonly generation: string; journalRows: number }>();

/** What readEntryState found: the state, and whether its file was there and whether it could be read. */
export interface EntryStateRead {
  readonly state: EntryState;
  /** `missing`: no entries.json (a first build, or STATE_DIR not kept); `damaged`: one that is not what a build writes. */
  readonly fault?: 'missing' | 'damaged';
  readonly file: string;
}

/** The entry ids earlier builds published; none when the file is missing or damaged (`fault` says which). */
export function readEntryState(stateDir: string): EntryStateRead {
  const file = path.join(stateDir, STATE_FILE);
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { state: EMPTY_ENTRY_STATE, fault: 'missing', file };
  }
  // A map of its own, changed here by the journal's rows (not a copy: at a million ids, 0.8 s).
  const entries = parseEntryRecords(text);
  if (entries === undefined) return { state: EMPTY_ENTRY_STATE, fault: 'damaged', file };
  const generation = generationOf(text);
  if (generation === undefined) return { state: { version: 1, entries }, file };
  let journalRows = 0;
  let journal: string | undefined;
  try {
    journal = readFileSync(`${file}.journal`, 'utf8');
  } catch {
    journal = undefined;
  }
  const lines = journal?.split('\n') ?? [];
  if (lines.length > 0 && generationOf(lines[0]!) === generation) {
    for (const line of lines.slice(1)) {
      if (line === '') continue;
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch {
        // Cut short (a killed process, a full disk): the next append starts after it (journaled-file.ts).
        continue;
      }
      if (!Array.isArray(row) || typeof row[0] !== 'string') continue;
      journalRows++;
      const record = parseEntryState(`{"version":1,"entries":{${JSON.stringify(row[0])}:${JSON.stringify(row[1] ?? null)}}}`).entries.get(row[0]);
      if (record) entries.set(row[0], record);
      else entries.delete(row[0]);
    }
  }
  stored.set(entries, { file, generation, journalRows });
  return { state: { version: 1, entries }, file };
}

/**
 * The generation named at the start of `text`, searched in a copy of its first characters. A
 * slice keeps the whole text it was cut from alive, and so does a regular expression's match (a
 * slice of what it searched), and the last subject any expression searched: the state's
 * `generation`, kept for as long as the process runs, held every byte of entries.json (18 MB of a
 * restarted server's build thread at 100 000 ids).
 */
function generationOf(text: string): string | undefined {
  const head = Buffer.from(text.slice(0, 200), 'utf8').toString('utf8');
  return /"generation":"([0-9a-f]+)"/.exec(head)?.[1];
}

/**
 * Stores `state`. With `changedIds` (the ids a rebuild changed) and a snapshot this state was
 * read from or written to, only those ids are appended to the journal.
 */
export function writeEntryState(stateDir: string, state: EntryState, changedIds?: readonly string[]): void {
  const file = path.join(stateDir, STATE_FILE);
  const known = stored.get(state.entries);
  const journal = changedIds !== undefined && known !== undefined && known.file === file && known.journalRows + changedIds.length <= Math.max(JOURNAL_MIN_ROWS, state.entries.size * JOURNAL_SHARE);
  // Written whole or not at all: a failure (ENOSPC, EIO…) leaves the old file and journal as they were.
  let generation: string | undefined;
  ReversibleWrites.writeTogether(stateDir, (writes) => {
    if (journal) {
      stageJournal(
        writes,
        STATE_FILE,
        known.generation,
        changedIds.map((id) => JSON.stringify([id, state.entries.get(id) ?? null])),
      );
    } else {
      writes.makeFolder(stateDir);
      generation = randomBytes(8).toString('hex');
      writes.stageText(STATE_FILE, entryStateText(state, generation));
      writes.remove(`${STATE_FILE}.journal`);
    }
  });
  if (journal) known.journalRows += changedIds.length;
  else stored.set(state.entries, { file, generation: generation!, journalRows: 0 });
}
