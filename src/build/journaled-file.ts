/**
 * A file of JSON lines that changes a little at a time (the feeds folder's manifest, the entry
 * state): a snapshot (`<file>`: a header line, then one row per line) and, beside it, a journal
 * (`<file>.journal`) of the rows changed since, appended. A build then writes what changed, not
 * the whole file: at a million articles the whole file is tens of megabytes.
 *
 * The snapshot is replaced atomically (temporary file and rename) and names a random generation;
 * the journal names the generation it continues, so a journal left beside a newer snapshot (a
 * process killed between the two steps) is ignored. A journal's last line cut short by a killed
 * process (or by a full disk) is skipped too: what it said is then found out again by the next
 * build (which checks files on disk, and tracks entries, from what it reads), and an append after
 * it starts on a new line. A row is a JSON array, so no part of one cut short parses as a row.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import type { ReversibleWrites } from './reversible-writes.js';

export interface JournaledRead {
  /** The snapshot's first line, parsed. */
  readonly header: Readonly<Record<string, unknown>>;
  /** Every row, the snapshot's then the journal's, in order: later rows overrule earlier ones. */
  readonly rows: unknown[];
  /** How many rows came from the journal. */
  readonly journalRows: number;
}

/** The journal beside a journaled file. */
export const journalOf = (file: string) => `${file}.journal`;

/** Reads a snapshot and its journal; undefined when there is no snapshot or its header is unreadable. */
export function readJournaled(file: string): JournaledRead | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) return undefined;
  const rows: unknown[] = [];
  for (let index = 1; index < lines.length; index++) {
    const line = lines[index]!;
    if (line === '') continue;
    try {
      rows.push(JSON.parse(line));
    } catch {
      // A snapshot is written whole: an unreadable line is a damaged file, read as far as it goes.
      break;
    }
  }
  let journalRows = 0;
  let journal: string | undefined;
  try {
    journal = readFileSync(journalOf(file), 'utf8');
  } catch {
    journal = undefined;
  }
  if (journal !== undefined) {
    const journalLines = journal.split('\n');
    let journalHeader: { generation?: unknown } | undefined;
    try {
      journalHeader = JSON.parse(journalLines[0] ?? '') as { generation?: unknown };
    } catch {
      journalHeader = undefined;
    }
    if (journalHeader?.generation !== undefined && journalHeader.generation === header.generation) {
      for (let index = 1; index < journalLines.length; index++) {
        const line = journalLines[index]!;
        if (line === '') continue;
        try {
          rows.push(JSON.parse(line));
          journalRows++;
        } catch {
          // A line cut short (a killed process, a full disk): the next append starts a new line after it.
          continue;
        }
      }
    }
  }
  return { header, rows, journalRows };
}

/**
 * Stages a new snapshot of `name` (a file in `writes.dir`, a new generation) with `header` and
 * `rows` (each one JSON text), and the journal's removal: both happen when `writes` is applied.
 */
export function stageSnapshot(writes: ReversibleWrites, name: string, header: Readonly<Record<string, unknown>>, rows: Iterable<string>): string {
  const generation = randomBytes(8).toString('hex');
  writes.stageText(name, snapshotText(`${JSON.stringify({ ...header, generation })}\n`, rows));
  writes.remove(journalOf(name));
  return generation;
}

/** A snapshot's text in pieces, a line at a time (rows may be made as they are written). */
function* snapshotText(headerLine: string, rows: Iterable<string>): Generator<string> {
  yield headerLine;
  for (const row of rows) yield `${row}\n`;
}

/** Stages rows (each one JSON text) for the journal of the snapshot of `generation`: appended when `writes` is applied. */
export function stageJournal(writes: ReversibleWrites, name: string, generation: string, rows: readonly string[]): void {
  if (rows.length === 0) return;
  const header = `${JSON.stringify({ generation })}\n`;
  if (journalGeneration(path.join(writes.dir, name)) !== generation) {
    // None yet, or one left beside an older snapshot: start it afresh.
    writes.stage(journalOf(name), Buffer.from(`${header}${rows.join('\n')}\n`, 'utf8'));
    return;
  }
  writes.append(journalOf(name), `${rows.join('\n')}\n`);
}

/** The generation the journal beside `file` continues, if it has one. */
function journalGeneration(file: string): unknown {
  let fd: number | undefined;
  try {
    fd = openSync(journalOf(file), 'r');
    const buffer = Buffer.alloc(256);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    const line = buffer.subarray(0, length).toString('utf8').split('\n')[0] ?? '';
    return (JSON.parse(line) as { generation?: unknown }).generation;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
