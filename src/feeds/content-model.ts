/**
 * What selection, grouping and deletion tracking make of a build's files: everything before the
 * documents are planned. Pure: no clock (a build passes `now`), no file system.
 *
 * The model keeps an index (ModelIndex) so that a build after a few changed files updates it
 * instead of making it again: the articles to publish in order, who claims each entry id, and
 * every feed's articles, each kept sorted. An update touches only the feeds the changed articles
 * are or were in, and every other feed keeps its very objects (collection, articles list), which
 * later stages use to skip unchanged documents without looking at them. A changed feed's list is
 * changed in place and given a new collection object: copying it would leave a list as long as
 * the feed behind every one-file build (see FeedList). At 100k articles a model
 * made afresh takes about a second; an update after one changed file takes a few milliseconds.
 * The result is the same as selectPublishable (select-articles.ts) and collectFeeds
 * (feed-collections.ts) give for the same files, which the tests check.
 */
import type { Problem } from '../content/problems.js';
import type { Filing } from './article-record.js';
import { addLeftNotices, deletedRecord, FeedLists, feedsLeft, leftNoticesExpiry, publishedRecord, sortTombstones, trackDeletedEntries, type EntryRecord, type EntryState } from './deleted-entries.js';
import { ALL_TOPICS_PATH, providerSlug, type FeedCollection } from './feed-collections.js';
import type { FeedKind, Tombstone } from './feed-model.js';
import { claimsBefore, entryId, type Selection } from './select-articles.js';
import { compareCodePoints } from './code-point-order.js';
import { RESERVED_SLUGS, reservedSlugProblem, slugCollisionProblem, topicSlug } from './topics.js';

/** What one content file gave: an article (or its record), or the problem that kept it out. */
export type FileOutcome<T extends Filing = Filing> = { readonly ok: true; readonly article: T } | { readonly ok: false; readonly problem: Problem };

/** A content file as the model reads it: what its bytes gave (a build's ScannedFile is one). */
export interface FileResult<T extends Filing = Filing> {
  readonly outcome: FileOutcome<T>;
}

/** One changed file: what it gave before and after (absent: the file was not there). */
export interface FileChange<T extends Filing = Filing> {
  readonly before?: FileOutcome<T>;
  readonly after?: FileOutcome<T>;
}

/**
 * The changes a caller already knows (a rescan of the files a watcher named), in file order, from
 * the list `base` to the list it gives now: an update from a model of `base` takes them as they
 * are instead of comparing every file. The list given now may be `base` itself, changed in place
 * since the model was made of it (the build's rescan does that); nothing else can tell its
 * changes then.
 */
export interface KnownChanges<T extends Filing = Filing> {
  readonly base: readonly FileResult<T>[];
  readonly changes: readonly FileChange<T>[];
}

export interface ContentModel<T extends Filing = Filing> {
  /** The files it was made from, in file order (the very list given). */
  readonly files: readonly FileResult<T>[];
  readonly nowMs: number;
  /** The first instant at which the model may be wrong without any file changing. */
  readonly validUntil: number;
  readonly deletedEntryDays: number;
  /** Parse problems, then duplicate ids, then topic slug collisions. */
  readonly problems: readonly Problem[];
  /** The files' read and parse problems, in file order (the first of `problems`). */
  readonly parseProblems: readonly Problem[];
  readonly selection: Selection<T>;
  /** Every feed with articles, then every feed left with nothing but deletion notices. */
  readonly collections: readonly FeedCollection<T>[];
  /** Deletion tracking; `changedIds` lists the ids whose record changed when the model was updated (not made afresh). */
  readonly tracked: ReturnType<typeof trackDeletedEntries> & { readonly changedIds?: readonly string[] };
  readonly nextScheduled: Date | undefined;
  /** The index the model was read from; an update changes it in place (the model it came from is then stale). */
  readonly index: ModelIndex<T>;
  /** The files that changed since the model it was updated from; undefined for a model made afresh. */
  readonly changes?: readonly FileChange<T>[];
  /**
   * Every article that may have entered or left a feed since the model it was updated from: the
   * changed files' articles, before and after, and every claimant of their entry ids (a second
   * claimant wins an id its first one gave up). Undefined for a model made afresh.
   */
  readonly moved?: readonly T[];
}

/** One feed's articles (a topic, a provider or a category), kept sorted newest first. */
interface Group<T extends Filing> {
  readonly kind: FeedKind;
  readonly slug: string;
  readonly path: string;
  /** How many articles name the feed with each spelling (its title is the most used). */
  readonly names: Map<string, number>;
  articles: T[];
  /** The collection last made of it; undefined once it changed. */
  collection?: FeedCollection<T>;
}

/**
 * Everything the model is read from, for the articles due at the index's `now`: who claims each
 * entry id (non-draft articles that are due, in file order: the first one wins), the winners in
 * publishing order, and every feed's articles.
 */
export interface ModelIndex<T extends Filing> {
  readonly claimants: Map<string, T[]>;
  /** The ids more than one article claims (for the duplicate-id problems without a pass over every id). */
  readonly contested: Set<string>;
  publishable: T[];
  /** The all-topics collection last made of `publishable`; undefined once it changed. */
  all?: FeedCollection<T>;
  readonly groups: Map<string, Group<T>>;
  /** For each winner's entry id, the paths of the feeds it is in (`all` first). */
  readonly feedsByEntry: Map<string, readonly string[]>;
  /** Each set of feed paths as the one array every winner in those feeds shares (deleted-entries.ts). */
  readonly feedLists: FeedLists;
  /** Topic names whose slug is reserved, with how many winners use them. */
  readonly renamed: Map<string, number>;
}

// ---------------------------------------------------------------- order

/** Publishing order: newest first, ties broken by entry id. */
function compareForFeeds<T extends Filing>(a: T, b: T): number {
  return b.publishedDateTime.getTime() - a.publishedDateTime.getTime() || compareCodePoints(entryId(a), entryId(b));
}

/** Where `item` is in `list` (sorted by `compare`), or where it would go (as -(index + 1)). */
function search<T>(list: readonly T[], item: T, compare: (a: T, b: T) => number): number {
  let low = 0;
  let high = list.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const order = compare(list[middle]!, item);
    if (order === 0) return list[middle] === item ? middle : findSame(list, item, middle);
    if (order < 0) low = middle + 1;
    else high = middle - 1;
  }
  return -(low + 1);
}

/** The index of `item` among the run of equal-ordered items around `at` (ids are unique: rare). */
function findSame<T>(list: readonly T[], item: T, at: number): number {
  for (let index = at; index >= 0 && index > at - 64; index--) if (list[index] === item) return index;
  for (let index = at; index < list.length && index < at + 64; index++) if (list[index] === item) return index;
  const found = list.indexOf(item);
  return found >= 0 ? found : -(at + 1);
}

/** A copy of `list` (an id's claimants, a list of the tally: short ones) with `item` in its place. */
function inserted<T>(list: readonly T[], item: T, compare: (a: T, b: T) => number): T[] {
  const at = search(list, item, compare);
  return list.toSpliced(at >= 0 ? at : -at - 1, 0, item);
}

/** A copy of `list` without `item` (the list itself when it is not there). */
function removed<T>(list: readonly T[], item: T, compare: (a: T, b: T) => number): T[] {
  const at = search(list, item, compare);
  if (at < 0) return list as T[];
  return list.toSpliced(at, 1);
}

const byFile = <T extends Filing>(a: T, b: T) => compareCodePoints(a.file, b.file);

/** An id's claimants in the order they hold it: the earliest published first, then by file (claimsBefore). */
const byClaim = <T extends Filing>(a: T, b: T) => (claimsBefore(a, b) ? -1 : claimsBefore(b, a) ? 1 : 0);

/**
 * The feed lists (each group's articles and the articles to publish) are changed in place, where
 * the claimants and the tally are copied (short lists). A one-file build that copied them left a
 * copy as long as the feed alive until the next build: 0.8 MB at 100k articles for the
 * all-topics feed alone, 7.6 MB at a million, which a server's build thread carried out of its
 * young generation build after build (its RSS grew with it over a burst of edits). Whoever needs
 * last time's articles keeps a copy of its own (a plan holds a slice); a feed that changed gets a
 * new collection object, so identity still tells an unchanged feed. Splicing a list of a million
 * moves its tail (a memmove) and allocates nothing.
 */
const FeedList = {
  insert<T>(list: T[], item: T, compare: (a: T, b: T) => number): void {
    const at = search(list, item, compare);
    list.splice(at >= 0 ? at : -at - 1, 0, item);
  },
  remove<T>(list: T[], item: T, compare: (a: T, b: T) => number): void {
    const at = search(list, item, compare);
    if (at >= 0) list.splice(at, 1);
  },
  /** `after` in the place of `before`, which `compare` cannot tell apart from it. */
  replace<T>(list: T[], before: T, after: T, compare: (a: T, b: T) => number): void {
    const at = search(list, before, compare);
    if (at >= 0) list[at] = after;
    else FeedList.insert(list, after, compare);
  },
};

// ---------------------------------------------------------------- feeds of an article

interface Placement {
  readonly kind: FeedKind;
  readonly slug: string;
  readonly path: string;
  readonly name: string;
  /** A topic name whose slug is reserved (its feed is slug + `-topic`). */
  readonly renamedFrom?: string;
}

/** The feeds an article is in besides `all`, as collectFeeds files it: each topic, its provider, its category. */
function placements(article: Filing): Placement[] {
  const list: Placement[] = [];
  const seen = new Set<string>();
  const place = (kind: FeedKind, prefix: string, name: string, baseSlug: string, reserved: boolean) => {
    if (baseSlug === '') return;
    const slug = reserved && RESERVED_SLUGS.has(baseSlug) ? `${baseSlug}-topic` : baseSlug;
    const path = prefix + slug;
    // Two of its names with one slug: the article is in that feed once (both names still count).
    list.push({ kind, slug, path, name, ...(slug !== baseSlug ? { renamedFrom: name } : {}) });
    seen.add(path);
  };
  for (const name of article.topics) place('topic', '', name, topicSlug(name), true);
  if (article.provider) place('provider', 'providers/', article.provider.name, providerSlug(article.provider), false);
  if (article.category) place('category', 'categories/', article.category, topicSlug(article.category), false);
  return list;
}

/** The feed paths of an article, `all` first, each once (collectFeeds' feedsByEntry), as the array its set of feeds shares. */
function feedPaths(feedLists: FeedLists, list: readonly Placement[]): readonly string[] {
  const paths = [ALL_TOPICS_PATH];
  for (const placement of list) if (!paths.includes(placement.path)) paths.push(placement.path);
  return feedLists.shared(paths);
}

// ---------------------------------------------------------------- the index

function emptyIndex<T extends Filing>(): ModelIndex<T> {
  return { claimants: new Map(), contested: new Set(), publishable: [], groups: new Map(), feedsByEntry: new Map(), feedLists: new FeedLists(), renamed: new Map() };
}

/** Files `article` (a new winner) in its feeds; `bulk` appends (the caller sorts once at the end). */
function fileWinner<T extends Filing>(index: ModelIndex<T>, article: T, bulk: boolean): void {
  const list = placements(article);
  const added = new Set<string>();
  for (const placement of list) {
    let group = index.groups.get(placement.path);
    if (!group) index.groups.set(placement.path, (group = { kind: placement.kind, slug: placement.slug, path: placement.path, names: new Map(), articles: [] }));
    group.names.set(placement.name, (group.names.get(placement.name) ?? 0) + 1);
    if (placement.renamedFrom !== undefined) index.renamed.set(placement.renamedFrom, (index.renamed.get(placement.renamedFrom) ?? 0) + 1);
    if (added.has(placement.path)) continue;
    added.add(placement.path);
    if (bulk) group.articles.push(article);
    else FeedList.insert(group.articles, article, compareForFeeds);
    group.collection = undefined;
  }
  index.feedsByEntry.set(entryId(article), feedPaths(index.feedLists, list));
  if (bulk) index.publishable.push(article);
  else FeedList.insert(index.publishable, article, compareForFeeds);
  index.all = undefined;
}

/** Takes `article` (a winner no longer) out of its feeds. */
function unfileWinner<T extends Filing>(index: ModelIndex<T>, article: T): void {
  const removedFrom = new Set<string>();
  for (const placement of placements(article)) {
    const group = index.groups.get(placement.path);
    if (!group) continue;
    const count = (group.names.get(placement.name) ?? 0) - 1;
    if (count > 0) group.names.set(placement.name, count);
    else group.names.delete(placement.name);
    if (placement.renamedFrom !== undefined) {
      const renamed = (index.renamed.get(placement.renamedFrom) ?? 0) - 1;
      if (renamed > 0) index.renamed.set(placement.renamedFrom, renamed);
      else index.renamed.delete(placement.renamedFrom);
    }
    if (removedFrom.has(placement.path)) continue;
    removedFrom.add(placement.path);
    FeedList.remove(group.articles, article, compareForFeeds);
    group.collection = undefined;
    if (group.articles.length === 0) index.groups.delete(placement.path);
  }
  index.feedsByEntry.delete(entryId(article));
  FeedList.remove(index.publishable, article, compareForFeeds);
  index.all = undefined;
}

/** Puts a due, non-draft article among its id's claimants (in byClaim order); returns the id's holder before it, if any. */
function addClaimant<T extends Filing>(index: ModelIndex<T>, article: T): T | undefined {
  const id = entryId(article);
  const list = index.claimants.get(id);
  if (!list) {
    index.claimants.set(id, [article]);
    return undefined;
  }
  index.claimants.set(id, inserted(list, article, byClaim));
  index.contested.add(id);
  return list[0];
}

/** Whether `article` holds its id: it was published first among the claimants (claimsBefore). */
function holdsId<T extends Filing>(index: ModelIndex<T>, article: T): boolean {
  return index.claimants.get(entryId(article))?.[0] === article;
}

/** Adds a due, non-draft article to a model in use: it is filed in its feeds if it takes its id. */
function claim<T extends Filing>(index: ModelIndex<T>, article: T): void {
  const holder = addClaimant(index, article);
  if (holder === undefined) {
    fileWinner(index, article, false);
  } else if (holdsId(index, article)) {
    unfileWinner(index, holder);
    fileWinner(index, article, false);
  }
}

/** Removes a due, non-draft article; the next claimant of its id, if any, wins it. */
function release<T extends Filing>(index: ModelIndex<T>, article: T): void {
  const id = entryId(article);
  const list = index.claimants.get(id);
  if (!list) return;
  const next = removed(list, article, byClaim);
  if (next.length === 0) index.claimants.delete(id);
  else index.claimants.set(id, next);
  if (next.length < 2) index.contested.delete(id);
  if (list[0] === article) {
    unfileWinner(index, article);
    if (next[0]) fileWinner(index, next[0], false);
  }
}

function samePlacements(a: readonly Placement[], b: readonly Placement[]): boolean {
  return (
    a.length === b.length &&
    a.every((placement, index) => {
      const other = b[index]!;
      return placement.kind === other.kind && placement.path === other.path && placement.name === other.name && placement.renamedFrom === other.renamedFrom;
    })
  );
}

/**
 * The edit of an article that changes nothing the index orders or files it by (the same file,
 * id, date and feeds, each under the same name): `after` takes `before`'s place among its id's
 * claimants and, if it won the id, in each of its feeds' lists, where a release and a claim
 * would move each list's tail twice. Most edits are of this kind. False (nothing done) for any
 * other change, which is a release and a claim.
 */
function replaceInPlace<T extends Filing>(index: ModelIndex<T>, before: T, after: T): boolean {
  const id = entryId(before);
  if (before.file !== after.file || compareForFeeds(before, after) !== 0 || id !== entryId(after)) return false;
  const list = index.claimants.get(id);
  const place = list?.indexOf(before) ?? -1;
  if (!list || place < 0) return false;
  const feeds = placements(after);
  if (!samePlacements(placements(before), feeds)) return false;
  index.claimants.set(id, list.toSpliced(place, 1, after));
  if (place > 0) return true;
  const done = new Set<string>();
  for (const { path } of feeds) {
    const group = index.groups.get(path);
    if (!group || done.has(path)) continue;
    done.add(path);
    FeedList.replace(group.articles, before, after, compareForFeeds);
    group.collection = undefined;
  }
  FeedList.replace(index.publishable, before, after, compareForFeeds);
  index.all = undefined;
  return true;
}

/** Whether the index holds `article` (due and not a draft at the index's time). */
function isIndexed(article: Filing, nowMs: number): boolean {
  return article.published && article.publishedDateTime.getTime() <= nowMs;
}

// ---------------------------------------------------------------- reading the model

/** The display name of a feed: the spelling most of its articles use (ties: the first in code-point order). */
function displayName(names: ReadonlyMap<string, number>): string {
  let best: string | undefined;
  let bestCount = -1;
  for (const [name, count] of names) {
    if (count > bestCount || (count === bestCount && compareCodePoints(name, best!) < 0)) {
      best = name;
      bestCount = count;
    }
  }
  return best ?? '';
}

const KIND_ORDER: Record<FeedKind, number> = { all: 0, topic: 1, provider: 2, category: 3 };

function collectionOf<T extends Filing>(group: Group<T>): FeedCollection<T> {
  const name = displayName(group.names);
  if (group.collection && group.collection.name === name) return group.collection;
  group.collection = { path: group.path, kind: group.kind, name, articles: group.articles };
  return group.collection;
}

/** TOPIC_SLUG_COLLISION problems, as collectFeeds reports them. */
function collisionProblems<T extends Filing>(index: ModelIndex<T>): Problem[] {
  const problems: Problem[] = [];
  for (const name of [...index.renamed.keys()].sort(compareCodePoints)) problems.push(reservedSlugProblem(name, `${topicSlug(name)}-topic`));
  // In the order the feeds first appear when the articles are read newest first, and each
  // article's topics in its own order.
  const colliding = [...index.groups.values()].filter((group) => group.kind === 'topic' && group.names.size > 1);
  const topicPosition = (group: Group<T>) => placements(group.articles[0]!).findIndex((placement) => placement.path === group.path);
  colliding.sort((a, b) => compareForFeeds(a.articles[0]!, b.articles[0]!) || topicPosition(a) - topicPosition(b));
  for (const group of colliding) problems.push(slugCollisionProblem([...group.names.keys()].sort(compareCodePoints), group.slug, displayName(group.names)));
  return problems;
}

/** Every article that claims an id another file holds (and wins), with that winner: no pass over every id. */
export function* losingClaimants<T extends Filing>(index: ModelIndex<T>): Generator<{ readonly article: T; readonly winner: T }> {
  for (const id of index.contested) {
    const list = index.claimants.get(id)!;
    for (let position = 1; position < list.length; position++) yield { article: list[position]!, winner: list[0]! };
  }
}

/** DUPLICATE_ID problems, for each article that claims an id another file holds, in file order. */
function duplicateProblems<T extends Filing>(index: ModelIndex<T>): Problem[] {
  const losers = [...losingClaimants(index)];
  losers.sort((a, b) => byFile(a.article, b.article));
  return losers.map(({ article, winner }) => ({
    code: 'DUPLICATE_ID' as const,
    file: article.file,
    issues: [
      {
        path: article.id === undefined ? 'sourceUrl' : 'id',
        reason: 'duplicate_id',
        message: `gives the entry id ${entryId(article)}, which ${winner.file} already has; only ${winner.file} is published`,
      },
    ],
  }));
}

/** What the files give besides the articles to publish, each list in file order. */
interface FileTally<T extends Filing> {
  readonly parseProblems: readonly Problem[];
  readonly drafts: readonly T[];
  /** Articles not due yet. */
  readonly scheduled: readonly T[];
}

type TallyList = 'parseProblems' | 'drafts' | 'scheduled';

/** Which list of the tally a file's outcome is on at `nowMs` (none: an article to publish). */
function tallyListOf(result: FileOutcome, nowMs: number): TallyList | undefined {
  if (!result.ok) return 'parseProblems';
  if (!result.article.published) return 'drafts';
  return result.article.publishedDateTime.getTime() > nowMs ? 'scheduled' : undefined;
}

function tallyOf<T extends Filing>(results: readonly FileOutcome<T>[], nowMs: number): FileTally<T> {
  const parseProblems: Problem[] = [];
  const drafts: T[] = [];
  const scheduled: T[] = [];
  for (const result of results) {
    const list = tallyListOf(result, nowMs);
    if (list === 'parseProblems') parseProblems.push((result as { problem: Problem }).problem);
    else if (list === 'drafts') drafts.push((result as { article: T }).article);
    else if (list === 'scheduled') scheduled.push((result as { article: T }).article);
  }
  return { parseProblems, drafts, scheduled };
}

/**
 * The last tally with the changed files' outcomes taken out and put in (each list stays in file
 * order): no pass over every file. Valid while no scheduled article has come due, which
 * updateContentModel checks (the model's validUntil).
 */
function updatedTally<T extends Filing>(last: FileTally<T>, changes: readonly FileChange<T>[], lastNowMs: number, nowMs: number): FileTally<T> {
  // A file is on a list at most once, so each is found (and placed) by its file alone.
  const lists = { parseProblems: last.parseProblems, drafts: last.drafts, scheduled: last.scheduled } as Record<TallyList, readonly (Problem | T)[]>;
  const valueOf = (result: FileOutcome<T>) => (result.ok ? result.article : result.problem);
  const byFileOfValue = (a: Problem | T, b: Problem | T) => compareCodePoints(a.file ?? '', b.file ?? '');
  for (const { before, after } of changes) {
    const from = before && tallyListOf(before, lastNowMs);
    if (from) lists[from] = removed(lists[from], valueOf(before!), byFileOfValue);
    const to = after && tallyListOf(after, nowMs);
    if (to) lists[to] = inserted(lists[to], valueOf(after!), byFileOfValue);
  }
  return lists as unknown as FileTally<T>;
}

/** The model as the index says it is at `now`; `tracked` is the deletion tracking for it, `tally` what the files give besides. */
function readModel<T extends Filing>(
  index: ModelIndex<T>,
  files: readonly FileResult<T>[],
  tally: FileTally<T>,
  now: Date,
  deletedEntryDays: number,
  tracked: ContentModel<T>['tracked'],
  last?: ContentModel<T>,
): ContentModel<T> {
  const { parseProblems, drafts, scheduled } = tally;
  const nowMs = now.getTime();
  let nextScheduled: Date | undefined;
  for (const article of scheduled) if (nextScheduled === undefined || article.publishedDateTime < nextScheduled) nextScheduled = article.publishedDateTime;
  const groups = [...index.groups.values()];
  groups.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || compareCodePoints(a.slug, b.slug));
  const all = (index.all ??= { path: ALL_TOPICS_PATH, kind: 'all', name: 'all topics', articles: index.publishable });
  const duplicates = duplicateProblems(index);
  const present = new Set([ALL_TOPICS_PATH, ...index.groups.keys()]);
  // A feed whose last article was deleted still exists while it announces the deletion, so its
  // subscribers learn of it (and then the feed goes, with the notice).
  const emptied = [...tracked.tombstones.keys()].filter((path) => !present.has(path)).sort().map((path) => emptyCollection<T>(path, last));
  return {
    files,
    nowMs,
    validUntil: Math.min(nextScheduled?.getTime() ?? Number.POSITIVE_INFINITY, tracked.nextExpiry),
    deletedEntryDays,
    problems: [...parseProblems, ...duplicates, ...collisionProblems(index)],
    parseProblems,
    selection: { publishable: index.publishable, drafts, scheduled, problems: duplicates },
    collections: [all, ...groups.map(collectionOf), ...emptied],
    tracked,
    nextScheduled,
    index,
  };
}

/** The articles of every emptied feed's collection (a feed's own list, emptied in place, is not one). */
const NO_ARTICLES: readonly never[] = Object.freeze([]);

/** A collection with no articles left, named from its path (`providers/x.com` → x.com); the same object as last time when there was one. */
function emptyCollection<T extends Filing>(path: string, last?: ContentModel<T>): FeedCollection<T> {
  const known = last?.collections.find((collection) => collection.path === path && collection.articles === NO_ARTICLES);
  if (known) return known;
  const [first, ...rest] = path.split('/');
  const kind: FeedKind = path === ALL_TOPICS_PATH ? 'all' : first === 'providers' ? 'provider' : first === 'categories' ? 'category' : 'topic';
  return { path, kind, name: rest.length ? rest.join('/') : first ?? path, articles: NO_ARTICLES };
}

// ---------------------------------------------------------------- making and updating

/**
 * Selects, groups and tracks deletions of `files` (in file order) for a build at `now`. `now`
 * decides which dated articles are due and when a deletion was first seen; nothing else.
 */
export function makeContentModel<T extends Filing>(files: readonly FileResult<T>[], now: Date, previousState: EntryState, deletedEntryDays: number): ContentModel<T> {
  const results = files.map((file) => file.outcome);
  const index = emptyIndex<T>();
  const nowMs = now.getTime();
  const sorted = isSortedByFile(results) ? results : [...results].sort((a, b) => compareCodePoints(fileOf(a), fileOf(b)));
  // Every claim first, then each id's holder filed (appended, in file order): a holder found
  // later than another claimant of its id (published earlier, its file sorting after) would
  // otherwise take that one out of lists that are not sorted yet.
  for (const result of sorted) if (result.ok && isIndexed(result.article, nowMs)) addClaimant(index, result.article);
  for (const result of sorted) if (result.ok && isIndexed(result.article, nowMs) && holdsId(index, result.article)) fileWinner(index, result.article, true);
  // Each article's date and id are read once, for the sort; every feed is then filled in that
  // order (sorting each feed by a rank looked up per comparison took 8 s at a million articles).
  const ranked = index.publishable.map((article) => ({ time: article.publishedDateTime.getTime(), id: entryId(article), article }));
  ranked.sort((a, b) => b.time - a.time || compareCodePoints(a.id, b.id));
  index.publishable = ranked.map(({ article }) => article);
  for (const group of index.groups.values()) group.articles = [];
  for (const { id, article } of ranked) {
    const paths = index.feedsByEntry.get(id)!;
    // The first is the all-topics feed: the publishable list itself.
    for (let at = 1; at < paths.length; at++) index.groups.get(paths[at]!)!.articles.push(article);
  }
  const tracked = trackDeletedEntries(previousState, index.feedsByEntry, now, deletedEntryDays);
  return readModel(index, files, tallyOf(results, nowMs), now, deletedEntryDays, tracked);
}

function fileOf(result: FileOutcome): string {
  return result.ok ? result.article.file : (result.problem.file ?? '');
}

function isSortedByFile(results: readonly FileOutcome[]): boolean {
  for (let index = 1; index < results.length; index++) if (compareCodePoints(fileOf(results[index - 1]!), fileOf(results[index]!)) > 0) return false;
  return true;
}

/** More changed files than this and the model is made afresh (an update costs more per file). */
const MAX_UPDATED_FILES = 256;

/**
 * The last model brought up to date with the files that changed since (an article added, removed,
 * edited, refiled, made a draft…), when nothing it depends on has come due: the same model
 * makeContentModel would give, at a small part of its cost. Undefined when it cannot be updated
 * (no last model, too many changes, time moved past its validity): then make it afresh. The last
 * model's index is changed in place.
 */
export function updateContentModel<T extends Filing>(
  last: ContentModel<T> | undefined,
  files: readonly FileResult<T>[],
  now: Date,
  previousState: EntryState,
  deletedEntryDays: number,
  known?: KnownChanges<T>,
): ContentModel<T> | undefined {
  if (!last || previousState !== last.tracked.state || deletedEntryDays !== last.deletedEntryDays) return undefined;
  const nowMs = now.getTime();
  if (nowMs < last.nowMs || nowMs >= last.validUntil) return undefined;
  const changes = changesSince(last, files, known);
  if (changes === undefined) return undefined;
  if (changes.length === 0) {
    const tracked = { ...last.tracked, changed: false, changedIds: [], removal: { before: last.tracked.published, removed: 0 } };
    return { ...last, files, nowMs, tracked, changes, moved: [] };
  }
  const index = last.index;
  const touched = new Set<string>();
  // Edits that keep an article where it was first: they move nothing for the others to see.
  const replacedInPlace = new Set<FileChange<T>>();
  for (const change of changes) {
    const { before, after } = change;
    if (before?.ok && after?.ok && isIndexed(before.article, last.nowMs) && isIndexed(after.article, nowMs) && replaceInPlace(index, before.article, after.article)) {
      touched.add(entryId(after.article));
      replacedInPlace.add(change);
    }
  }
  // Removals first, so that an id passing from one file to another is released before it is claimed.
  for (const change of changes) {
    const { before } = change;
    if (before?.ok && isIndexed(before.article, last.nowMs) && !replacedInPlace.has(change)) {
      touched.add(entryId(before.article));
      release(index, before.article);
    }
  }
  for (const change of changes) {
    const { after } = change;
    if (after?.ok && isIndexed(after.article, nowMs) && !replacedInPlace.has(change)) {
      touched.add(entryId(after.article));
      claim(index, after.article);
    }
  }
  const tracked = updateTracked(last.tracked, index.feedsByEntry, touched, now, deletedEntryDays);
  const tally = updatedTally({ parseProblems: last.parseProblems, drafts: last.selection.drafts, scheduled: last.selection.scheduled }, changes, last.nowMs, nowMs);
  const moved = new Set<T>();
  for (const { before, after } of changes) {
    if (before?.ok) moved.add(before.article);
    if (after?.ok) moved.add(after.article);
  }
  // A claimant that lost or won its id changes feeds too (every claimant of an id has that id).
  for (const id of touched) for (const claimant of index.claimants.get(id) ?? []) moved.add(claimant);
  return { ...readModel(index, files, tally, now, deletedEntryDays, tracked, last), changes, moved: [...moved] };
}

/** The changes from the files `last` was made of to `files`; undefined when they cannot be told or are too many. */
function changesSince<T extends Filing>(last: ContentModel<T>, files: readonly FileResult<T>[], known: KnownChanges<T> | undefined): readonly FileChange<T>[] | undefined {
  if (known && known.base === last.files) return known.changes.length <= MAX_UPDATED_FILES ? known.changes : undefined;
  // The very list, changed in place with no changes given: only a model made afresh is sure.
  if (files === last.files) return undefined;
  return changedOutcomes(last.files, files);
}

/**
 * The outcomes that differ between two lists of files in file order (the same file object, or the
 * same outcome object, is the same), as before/after pairs; undefined when more than
 * MAX_UPDATED_FILES differ.
 */
function changedOutcomes<T extends Filing>(before: readonly FileResult<T>[], after: readonly FileResult<T>[]): FileChange<T>[] | undefined {
  const changes: FileChange<T>[] = [];
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    const a = before[i];
    const b = after[j];
    if (a === b || (a !== undefined && b !== undefined && a.outcome === b.outcome)) {
      i++;
      j++;
      continue;
    }
    const order = a === undefined ? 1 : b === undefined ? -1 : compareCodePoints(fileOf(a.outcome), fileOf(b.outcome));
    if (order === 0) changes.push({ before: a!.outcome, after: b!.outcome }), i++, j++;
    else if (order < 0) changes.push({ before: a!.outcome }), i++;
    else changes.push({ after: b!.outcome }), j++;
    if (changes.length > MAX_UPDATED_FILES) return undefined;
  }
  return changes;
}

/**
 * trackDeletedEntries for the entry ids in `touched` only: every other id's record, and every
 * feed's notices, stay as they were (the model's validity ends before any notice runs out).
 */
function updateTracked(
  last: ContentModel['tracked'],
  feedsByEntry: ReadonlyMap<string, readonly string[]>,
  touched: ReadonlySet<string>,
  now: Date,
  retentionDays: number,
): ContentModel['tracked'] & { readonly changedIds: readonly string[] } {
  // Changed in place: the state is the cache's own, and the model this one is updated from is
  // not used again.
  const entries = last.state.entries as Map<string, EntryRecord>;
  const changedIds: string[] = [];
  let changed = false;
  const noticesChanged = new Set<string>();
  let deleted = last.deleted;
  let published = last.published;
  const removal = { before: last.published, removed: 0 };
  const retentionMs = retentionDays * 86_400_000;
  let nextExpiry = last.nextExpiry;
  for (const id of touched) {
    const before = entries.get(id);
    const feeds = feedsByEntry.get(id);
    if (feeds) {
      // (No notice of a feed left runs out before the model is made afresh: see validUntil.)
      if (before !== undefined && before.deletedAt === undefined && sameList(before.feeds, feeds)) continue;
      if (before?.deletedAt !== undefined) {
        deleted--;
        for (const feed of before.feeds) noticesChanged.add(feed);
      }
      if (before === undefined || before.deletedAt !== undefined) published++;
      // Announced as deleted in the feeds it left (another topic, provider or category).
      const left = feedsLeft(before, feeds, now, retentionMs);
      for (const feed in before?.left) noticesChanged.add(feed);
      for (const feed in left) noticesChanged.add(feed);
      nextExpiry = Math.min(nextExpiry, leftNoticesExpiry(left, retentionMs));
      entries.set(id, publishedRecord(feeds, left));
      changedIds.push(id);
      changed = true;
    } else if (before !== undefined && before.deletedAt === undefined) {
      published--;
      removal.removed++;
      for (const feed in before.left) noticesChanged.add(feed);
      if (retentionMs <= 0) {
        entries.delete(id);
      } else {
        entries.set(id, deletedRecord(before.feeds, now.toISOString(), before.left));
        deleted++;
        nextExpiry = Math.min(nextExpiry, now.getTime() + retentionMs);
        for (const feed of before.feeds) noticesChanged.add(feed);
      }
      changedIds.push(id);
      changed = true;
    }
  }
  if (!changed) return { ...last, changed: false, changedIds, removal };
  const state: EntryState = { version: 1, entries };
  const tombstones = new Map(last.tombstones);
  if (noticesChanged.size > 0) {
    for (const feed of noticesChanged) tombstones.delete(feed);
    const lists = new Map<string, Tombstone[]>();
    for (const [id, record] of entries) {
      addLeftNotices(lists, id, record.left, noticesChanged);
      if (record.deletedAt === undefined) continue;
      for (const feed of record.feeds) {
        if (!noticesChanged.has(feed)) continue;
        const list = lists.get(feed) ?? [];
        list.push({ id, deletedAt: new Date(record.deletedAt) });
        lists.set(feed, list);
      }
    }
    for (const [feed, list] of lists) {
      sortTombstones(list);
      tombstones.set(feed, list);
    }
  }
  return { state, tombstones, changed: true, nextExpiry, deleted, changedIds, published, removal };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}
