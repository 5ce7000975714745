import type { Tombstone } from './feed-model.js';

/**
 * What the build remembers between builds: for each entry id it published, the feeds it was in,
 * and since when it is gone. Ids only: no title or other text of an article is kept.
 */
export interface EntryState {
  readonly version: 1;
  readonly entries: Readonly<Record<string, { readonly feeds: readonly string[]; readonly deletedAt?: string }>>;
}

export const EMPTY_ENTRY_STATE: EntryState = { version: 1, entries: {} };

/**
 * Compares the entries published now with those of earlier builds. An id that was published and
 * is no longer (its file removed, or made a draft) is announced as deleted in the feeds it was in,
 * from the first build that misses it, for `retentionDays`; then it is forgotten.
 */
export function trackDeletedEntries(
  previous: EntryState,
  current: ReadonlyMap<string, readonly string[]>,
  now: Date,
  retentionDays: number,
): { state: EntryState; tombstones: ReadonlyMap<string, readonly Tombstone[]>; changed: boolean; nextExpiry: number } {
  const entries: Record<string, { feeds: readonly string[]; deletedAt?: string }> = {};
  const tombstones = new Map<string, Tombstone[]>();
  const retentionMs = retentionDays * 86_400_000;
  let changed = false;
  let nextExpiry = Number.POSITIVE_INFINITY;
  // Insertion order is deterministic (collections, then newest first), so no sorting is needed.
  for (const [id, feeds] of current) {
    const before = previous.entries[id];
    if (!changed && (before === undefined || before.deletedAt !== undefined || !sameFeeds(before.feeds, feeds))) changed = true;
    entries[id] = { feeds };
  }
  for (const [id, record] of Object.entries(previous.entries)) {
    if (current.has(id)) continue;
    const deletedAt = record.deletedAt === undefined ? now : new Date(record.deletedAt);
    if (Number.isNaN(deletedAt.getTime()) || now.getTime() - deletedAt.getTime() >= retentionMs) {
      changed = true;
      continue;
    }
    if (record.deletedAt === undefined) changed = true;
    nextExpiry = Math.min(nextExpiry, deletedAt.getTime() + retentionMs);
    entries[id] = { feeds: record.feeds, deletedAt: deletedAt.toISOString() };
    for (const feed of record.feeds) {
      const list = tombstones.get(feed) ?? [];
      list.push({ id, deletedAt });
      tombstones.set(feed, list);
    }
  }
  for (const list of tombstones.values()) list.sort((a, b) => b.deletedAt.getTime() - a.deletedAt.getTime() || (a.id < b.id ? -1 : 1));
  return { state: { version: 1, entries }, tombstones, changed, nextExpiry };
}

function sameFeeds(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

/** Parses a stored state; anything unreadable counts as no state (nothing is announced). */
export function parseEntryState(text: string | undefined): EntryState {
  if (text === undefined) return EMPTY_ENTRY_STATE;
  try {
    const parsed = JSON.parse(text) as Partial<EntryState>;
    if (parsed.version !== 1 || typeof parsed.entries !== 'object' || parsed.entries === null) return EMPTY_ENTRY_STATE;
    const entries: Record<string, { feeds: string[]; deletedAt?: string }> = {};
    for (const [id, record] of Object.entries(parsed.entries)) {
      if (!record || !Array.isArray(record.feeds)) continue;
      entries[id] = {
        feeds: record.feeds.filter((feed): feed is string => typeof feed === 'string'),
        ...(typeof record.deletedAt === 'string' ? { deletedAt: record.deletedAt } : {}),
      };
    }
    return { version: 1, entries };
  } catch {
    return EMPTY_ENTRY_STATE;
  }
}
