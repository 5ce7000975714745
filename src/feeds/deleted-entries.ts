import type { Tombstone } from './feed-model.js';

/** What one build does to the entries the build before it published. */
export interface RemovalCount {
  readonly before: number;
  readonly removed: number;
}

/**
 * What the build remembers between builds: for each entry id it published, the feeds it was in,
 * and since when it is gone. Ids only: no title or other text of an article is kept.
 */
export interface EntryRecord {
  readonly feeds: readonly string[];
  /** ISO date-time of the first build that missed the entry. */
  readonly deletedAt?: string;
  /**
   * Feeds the entry left while it stayed published in others (its topics, provider or category
   * changed), each with the ISO date-time of the first build that had it no longer there: it is
   * announced as deleted in each, as a removed entry is in all of its feeds.
   */
  readonly left?: Readonly<Record<string, string>>;
}

export interface EntryState {
  readonly version: 1;
  /** By entry id, in a deterministic order (published newest first, then deleted ones). */
  readonly entries: ReadonlyMap<string, EntryRecord>;
}

export const EMPTY_ENTRY_STATE: EntryState = { version: 1, entries: new Map() };

/**
 * The feeds an entry now published in `feeds` is announced as deleted in: each it was in before
 * and is not now (since `now`, or, if it comes back from a deletion, since that deletion), and
 * each it had left before and has not come back to, while within the retention. Undefined when
 * none (or with no retention).
 */
export function feedsLeft(before: EntryRecord | undefined, feeds: readonly string[], now: Date, retentionMs: number): Record<string, string> | undefined {
  if (before === undefined || retentionMs <= 0) return undefined;
  let left: Record<string, string> | undefined;
  const add = (feed: string, at: string) => {
    if (!feeds.includes(feed) && now.getTime() - Date.parse(at) < retentionMs) (left ??= {})[feed] = at;
  };
  for (const feed in before.left) add(feed, before.left[feed]!);
  if (!sameFeeds(before.feeds, feeds)) {
    const at = before.deletedAt ?? now.toISOString();
    for (const feed of before.feeds) if (left?.[feed] === undefined) add(feed, at);
  }
  return left;
}

/** The left feeds of `record` still within the retention (undefined when none). */
function leftWithin(record: EntryRecord, now: Date, retentionMs: number): Readonly<Record<string, string>> | undefined {
  return record.left && feedsLeft({ feeds: [], left: record.left }, [], now, retentionMs);
}

function sameLeft(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((feed) => a[feed] === b[feed]);
}

/** The record of an entry published in `feeds`, having left the feeds of `left`. */
export function publishedRecord(feeds: readonly string[], left: Readonly<Record<string, string>> | undefined): EntryRecord {
  return left ? { feeds, left } : { feeds };
}

/** The record of an entry that was in `feeds` until `deletedAt` (ISO), having left the feeds of `left` before. */
export function deletedRecord(feeds: readonly string[], deletedAt: string, left: Readonly<Record<string, string>> | undefined): EntryRecord {
  return left ? { feeds, deletedAt, left } : { feeds, deletedAt };
}

/** Adds a notice of `id` to the lists of the feeds it left (of those in `only`, when given). */
export function addLeftNotices(tombstones: Map<string, Tombstone[]>, id: string, left: Readonly<Record<string, string>> | undefined, only?: ReadonlySet<string>): void {
  for (const feed in left) {
    if (only && !only.has(feed)) continue;
    const list = tombstones.get(feed) ?? [];
    list.push({ id, deletedAt: new Date(left[feed]!) });
    tombstones.set(feed, list);
  }
}

/** When the first of the notices of feeds left runs out (ms since the epoch), or Infinity. */
export function leftNoticesExpiry(left: Readonly<Record<string, string>> | undefined, retentionMs: number): number {
  let expiry = Number.POSITIVE_INFINITY;
  for (const feed in left) expiry = Math.min(expiry, Date.parse(left[feed]!) + retentionMs);
  return expiry;
}

/** A feed's notices, newest deletion first (then by id). */
export function sortTombstones(list: Tombstone[]): void {
  list.sort((a, b) => b.deletedAt.getTime() - a.deletedAt.getTime() || (a.id < b.id ? -1 : 1));
}

/**
 * Compares the entries published now with those of earlier builds. An id that was published and
 * is no longer (its file removed, or made a draft) is announced as deleted in the feeds it was in,
 * from the first build that misses it, for `retentionDays`; then it is forgotten. An id still
 * published that left some of its feeds (another topic, provider or category) is announced as
 * deleted in those (feedsLeft). A Map, and records reused when nothing about them changed: a
 * rebuild at 100k entries takes milliseconds.
 */
export function trackDeletedEntries(
  previous: EntryState,
  current: ReadonlyMap<string, readonly string[]>,
  now: Date,
  retentionDays: number,
): {
  state: EntryState;
  tombstones: ReadonlyMap<string, readonly Tombstone[]>;
  changed: boolean;
  nextExpiry: number;
  deleted: number;
  /** Entries published after this build. */
  published: number;
  /** Entries the build before published, and how many of them this one removed (for the removal guard). */
  removal: RemovalCount;
} {
  const entries = new Map<string, EntryRecord>();
  const tombstones = new Map<string, Tombstone[]>();
  const retentionMs = retentionDays * 86_400_000;
  let changed = false;
  let nextExpiry = Number.POSITIVE_INFINITY;
  for (const [id, feeds] of current) {
    const before = previous.entries.get(id);
    const left = feedsLeft(before, feeds, now, retentionMs);
    if (before !== undefined && before.deletedAt === undefined && sameFeeds(before.feeds, feeds) && sameLeft(before.left, left)) {
      entries.set(id, before);
    } else {
      changed = true;
      entries.set(id, publishedRecord(feeds, left));
    }
    addLeftNotices(tombstones, id, left);
    nextExpiry = Math.min(nextExpiry, leftNoticesExpiry(left, retentionMs));
  }
  let deleted = 0;
  const removal = { before: 0, removed: 0 };
  for (const [id, record] of previous.entries) {
    if (record.deletedAt === undefined) removal.before++;
    if (current.has(id)) continue;
    if (record.deletedAt === undefined) removal.removed++;
    const deletedAt = record.deletedAt === undefined ? now : new Date(record.deletedAt);
    if (Number.isNaN(deletedAt.getTime()) || now.getTime() - deletedAt.getTime() >= retentionMs) {
      changed = true;
      continue;
    }
    deleted++;
    nextExpiry = Math.min(nextExpiry, deletedAt.getTime() + retentionMs);
    const left = leftWithin(record, now, retentionMs);
    if (record.deletedAt === undefined || !sameLeft(record.left, left)) {
      changed = true;
      entries.set(id, deletedRecord(record.feeds, deletedAt.toISOString(), left));
    } else {
      entries.set(id, record);
    }
    for (const feed of record.feeds) {
      const list = tombstones.get(feed) ?? [];
      list.push({ id, deletedAt });
      tombstones.set(feed, list);
    }
    addLeftNotices(tombstones, id, left);
    nextExpiry = Math.min(nextExpiry, leftNoticesExpiry(left, retentionMs));
  }
  for (const list of tombstones.values()) sortTombstones(list);
  // Unchanged, the previous state is the state (the same records; only their order could differ),
  // and stays the object its file was read as (entry-state.ts appends to that file's journal).
  return { state: changed ? { version: 1, entries } : previous, tombstones, changed, nextExpiry, deleted, published: current.size, removal };
}

function sameFeeds(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

/**
 * Each set of feed paths as one array, and each path as one string: the entries of one set of
 * feeds share the array, in the model and in the state read from disk (with the page URLs shared
 * too, 15 MB of the heap at 100k articles). The paths in a new set are this table's copies: the
 * model makes each article's paths anew, and JSON.parse each stored record's, and at 100k
 * articles those were 105 000 strings (4.5 MB) for a few hundred feeds.
 */
export class FeedLists {
  readonly #lists = new Map<string, readonly string[]>();
  readonly #paths = new Map<string, string>();

  /** `feeds` as the array this table holds for that set of paths (added if new). */
  shared(feeds: readonly string[]): readonly string[] {
    const key = feeds.join('\n');
    const known = this.#lists.get(key);
    if (known) return known;
    const list = feeds.map((feed) => {
      const path = this.#paths.get(feed);
      if (path !== undefined) return path;
      this.#paths.set(feed, feed);
      return feed;
    });
    this.#lists.set(key, list);
    return list;
  }
}

/** Parses a stored state; anything unreadable counts as no state (nothing is announced). */
export function parseEntryState(text: string | undefined): EntryState {
  const entries = parseEntryRecords(text);
  return entries ? { version: 1, entries } : EMPTY_ENTRY_STATE;
}

/** The records of a stored state, in a map of its own (the caller may change it); undefined when the text is unreadable. */
export function parseEntryRecords(text: string | undefined): Map<string, EntryRecord> | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as { version?: unknown; entries?: unknown };
    if (parsed.version !== 1 || typeof parsed.entries !== 'object' || parsed.entries === null) return undefined;
    const stored = parsed.entries as Record<string, Partial<EntryRecord> | null>;
    const entries = new Map<string, EntryRecord>();
    const feedLists = new FeedLists();
    // for...in, not Object.entries: at a million ids the array of pairs alone took 1.8 s.
    for (const id in stored) {
      const record = stored[id];
      if (!record || !Array.isArray(record.feeds)) continue;
      const feeds = feedLists.shared(record.feeds.filter((feed): feed is string => typeof feed === 'string'));
      const left = storedLeft(record.left);
      entries.set(id, typeof record.deletedAt === 'string' ? deletedRecord(feeds, record.deletedAt, left) : publishedRecord(feeds, left));
    }
    return entries;
  } catch {
    return undefined;
  }
}

/** A stored record's left feeds: the pairs of a feed and a date-time string (undefined when none). */
function storedLeft(value: unknown): Record<string, string> | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  let left: Record<string, string> | undefined;
  for (const [feed, at] of Object.entries(value)) if (typeof at === 'string') (left ??= {})[feed] = at;
  return left;
}

/**
 * The state as stored: JSON, one entry per line (compact: at 100k entries it is written in ms);
 * `generation` names this snapshot for the journal that may follow it (build/entry-state.ts).
 * The lines are made afresh for each snapshot, not kept per record: snapshots are rare (a journal
 * takes the changed records), and the kept lines, with the manifest's rows kept the same way,
 * held 52 MB of the heap at 100k articles for as long as the process ran. Given in pieces, a line
 * at a time: at a million articles the whole text is 200 MB, which a writer need never hold.
 */
export function* entryStateText(state: EntryState, generation?: string): Generator<string> {
  const header = generation === undefined ? `"version":${state.version}` : `"version":${state.version},"generation":"${generation}"`;
  yield `{${header},"entries":{\n`;
  let first = true;
  for (const [id, record] of state.entries) {
    yield `${first ? '' : ',\n'}${JSON.stringify(id)}:${JSON.stringify(record)}`;
    first = false;
  }
  yield '\n}}\n';
}

/** The stored state as one string (entryStateText's pieces joined). */
export function serializeEntryState(state: EntryState, generation?: string): string {
  return [...entryStateText(state, generation)].join('');
}
