/**
 * A feed reader subscribed through months of a busy publisher's builds: new, edited, re-dated,
 * refiled, removed, drafted and re-published articles, scheduled ones coming due, copied
 * sourceUrls and quiet days, built by the real buildFeeds with a simulated clock, in runs of a
 * long-running process (one cache) and of new processes (STATE_DIR kept, as a CI job). After
 * every build it reads the folder as an RFC 5005 consumer with fast-xml-parser and JSON.parse:
 * each feed's subscription document and its prev-archive chain in every format. Seeded
 * (FUZZ_SEED); the other tests compare a carried cache with an empty one, this one checks what
 * a reader depends on against the content itself.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildFeeds, type ContentChangeSet } from '../../src/build/build-feeds.js';
import { cacheStamp, liveEntryKeys, loadBuildCache, saveBuildCache, type BuildCache } from '../../src/build/build-cache.js';
import type { Config } from '../../src/config.js';
import { KEPT_PAGE_GROWTH } from '../../src/feeds/feed-documents.js';
import { silentLogger } from '../../src/logger.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { testConfig } from '../helpers/config.js';
import { envSeed, namingSeedOnFailure, Random } from '../helpers/random.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { listOf, parseXmlDocument, textOf } from '../helpers/xml.js';

const SEED = envSeed('FUZZ_SEED', 20261207);
const seeded = namingSeedOnFailure(`seed ${SEED}; rerun with FUZZ_SEED=${SEED}`);
const DAY = 86_400_000;
const DELETED_DAYS = 20;
const BASE = 'https://feeds.example.org/feeds/';
const TOPICS = ['AI', 'Space', 'Climate', 'Robotics'];
const PROVIDERS = [{ name: 'Orbit', domain: 'orbit.example.com' }, { name: 'Daily', domain: 'daily.example.com' }, { name: 'Tiny', domain: 'tiny.example.com' }];
const CATEGORIES = ['news', 'analysis', 'opinion'];
const KIND_OF_LIST: Record<string, string> = { topics: 'topic', all: 'all', providers: 'provider', categories: 'category' };

interface Article {
  readonly n: number;
  readonly file: string;
  readonly url: string;
  date: Date;
  topics: string[];
  provider: (typeof PROVIDERS)[number];
  category: string;
  published: boolean;
  version: number;
  words: number;
}

/** One document as a reader sees it. */
interface Doc {
  readonly name: string;
  readonly ids: string[];
  /** rel → path under /feeds/ (JSON Feed: next_url). */
  readonly links: Record<string, string>;
  readonly archive: boolean;
  readonly tombstones: string[];
  readonly bytes: number;
}

const relative = (url: string) => (url.startsWith(BASE) ? url.slice(BASE.length) : `elsewhere: ${url}`);
/** Title and excerpt carry this; a stale one (an edited, drafted or removed version) must be nowhere. */
const token = (article: Article) => `T${article.n}v${article.version}x`;
const kindOf = (feed: string) => (feed === 'all' ? 'all' : feed.startsWith('providers/') ? 'provider' : feed.startsWith('categories/') ? 'category' : 'topic');
const feedsOf = (article: Article) => ['all', ...article.topics.map((topic) => topic.toLowerCase()), `providers/${article.provider.domain}`, `categories/${article.category}`];

function readDoc(config: Config, name: string): Doc {
  const text = readFileSync(path.join(config.feedsDir, name), 'utf8');
  const links: Record<string, string> = {};
  const bytes = Buffer.byteLength(text);
  if (name.endsWith('.json')) {
    const feed = JSON.parse(text) as { items: { id: string }[]; next_url?: string };
    if (feed.next_url) links.next_url = relative(feed.next_url);
    return { name, ids: feed.items.map((item) => item.id), links, archive: false, tombstones: [], bytes };
  }
  const xml = parseXmlDocument(text);
  if (name.endsWith('.xml')) {
    const channel = xml.rss.channel;
    for (const link of listOf(channel['atom:link'])) links[link['@_rel']] = relative(link['@_href']);
    return { name, ids: listOf(channel.item).map((item) => textOf(item.guid)!), links, archive: 'fh:archive' in channel, tombstones: [], bytes };
  }
  const feed = xml.feed;
  for (const link of listOf(feed.link)) if (link['@_rel'] !== 'alternate') links[link['@_rel']] = relative(link['@_href']);
  const tombstones = listOf(feed['at:deleted-entry']).map((notice) => notice['@_ref'] as string);
  return { name, ids: listOf(feed.entry).map((entry) => textOf(entry.id)!), links, archive: 'fh:archive' in feed, tombstones, bytes };
}

/** A feed's documents in one format, subscription first, following prev-archive (JSON Feed: next_url) and checking the links back. */
function walkChain(config: Config, feed: string, ext: 'xml' | 'atom' | 'json', what: string): Doc[] {
  const subscription = `${feed}.${ext}`;
  const docs: Doc[] = [];
  for (let name: string | undefined = subscription, from: string | undefined; name !== undefined; ) {
    assert.ok(!docs.some((doc) => doc.name === name), `${what}: ${subscription} loops at ${name}`);
    assert.ok(existsSync(path.join(config.feedsDir, name)), `${what}: ${from} links ${name}, which is not there`);
    const doc = readDoc(config, name);
    docs.push(doc);
    if (ext !== 'json') {
      assert.equal(doc.links.self, name, `${what}: ${name}'s self link`);
      assert.equal(doc.archive, from !== undefined, `${what}: ${name}'s fh:archive`);
      if (from !== undefined) {
        assert.equal(doc.links.current, subscription, `${what}: ${name}'s current link`);
        assert.equal(doc.links['next-archive'], from === subscription ? undefined : from, `${what}: ${name}'s next-archive link`);
      }
    }
    from = name;
    name = ext === 'json' ? doc.links.next_url : doc.links['prev-archive'];
  }
  return docs;
}

/** Months of builds with these settings, checked after each one. */
async function publishAndRead(seed: number, rounds: number, settings: Record<string, string>): Promise<{ pagesKept: number; notices: number; expired: number }> {
  const random = new Random(seed);
  const contentDir = await makeTempDir('reader-content-');
  const config = testConfig(contentDir, path.join(await makeTempDir('reader-feeds-'), 'feeds'), { DELETED_ENTRY_DAYS: String(DELETED_DAYS), REMOVAL_LIMIT_ENTRIES: '1000', ...settings });
  const maxItems = Number(settings.FEED_MAX_ITEMS);
  const maxBytes = settings.FEED_MAX_BYTES ? Number(settings.FEED_MAX_BYTES) : undefined;
  const archived = settings.FEED_ARCHIVES === 'true' ? Object.values(KIND_OF_LIST) : settings.FEED_ARCHIVES!.split(',').map((kind) => KIND_OF_LIST[kind]!);
  const articles = new Map<string, Article>();
  const changed = new Set<string>();
  let now = new Date('2025-01-01T08:00:00Z');
  let count = 0;

  const write = (article: Article) => {
    const fields = frontMatter({
      title: `Article ${token(article)}`, excerpt: `Excerpt ${token(article)}`, sourceUrl: article.url, publishedDateTime: article.date.toISOString(),
      topics: article.topics, provider: article.provider, category: article.category, published: article.published, secured: `SECRETx${article.n}`, images: [],
    });
    writeFileSync(path.join(contentDir, article.file), articleText(fields, `Body ${token(article)}. ${'Words that take room. '.repeat(article.words)}`));
    changed.add(article.file);
  };
  const words = () => (maxBytes ? random.int(10, 180) : random.int(0, 5));
  const add = () => {
    const n = ++count;
    // One in fourteen copies another article's sourceUrl; one in ten is scheduled, one in ten dated weeks back.
    const url = articles.size && random.chance(0.07) ? random.pick([...articles.values()]).url : `https://pub.example.com/a/${n}`;
    const draw = random.float();
    const minutes = draw < 0.1 ? random.int(1, 15 * 1440) : draw < 0.2 ? -random.int(3 * 1440, 120 * 1440) : -random.int(0, 2 * 1440);
    const article: Article = {
      n, file: `art-${String(n).padStart(4, '0')}.md`, url, date: new Date(now.getTime() + minutes * 60_000), topics: random.sample(TOPICS, random.pick([0, 1, 1, 2])),
      provider: random.pick(PROVIDERS), category: random.pick(CATEGORIES), published: random.chance(0.92), version: 1, words: words(),
    };
    articles.set(article.file, article);
    write(article);
  };
  const edit = (article: Article) => {
    const draw = random.float();
    if (draw < 0.3) {
      article.version++;
      article.words = words();
    } else if (draw < 0.42) article.date = new Date(article.date.getTime() - random.int(60, 40 * 1440) * 60_000);
    else if (draw < 0.5) article.date = new Date(Math.min(now.getTime(), article.date.getTime() + random.int(60, 20 * 1440) * 60_000));
    else if (draw < 0.62) article.topics = random.sample(TOPICS, random.pick([0, 1, 2]));
    else if (draw < 0.68) article.provider = random.pick(PROVIDERS);
    else if (draw < 0.74) article.category = random.pick(CATEGORIES);
    else if (draw < 0.84) {
      rmSync(path.join(contentDir, article.file));
      articles.delete(article.file);
      changed.add(article.file);
      return;
    } else article.published = !article.published;
    write(article);
  };

  // Runs of builds: a long-running process (one cache, told what changed), then new processes.
  let processCache: BuildCache | undefined;
  const build = async (round: number) => {
    const changes: ContentChangeSet = { kind: 'files', files: new Set(changed) };
    changed.clear();
    if (Math.floor(round / 8) % 2 === 1) {
      if (processCache) saveBuildCache(processCache, cacheStamp(config), liveEntryKeys(processCache));
      processCache = undefined;
      await buildFeeds({ config, logger: silentLogger, clock: () => now });
      return;
    }
    const first = processCache === undefined;
    processCache ??= loadBuildCache(config.stateDir, cacheStamp(config), silentLogger);
    await buildFeeds({ config, logger: silentLogger, cache: processCache, changes: first ? { kind: 'unknown' } : changes, clock: () => now, saveCache: false, warmModel: first });
  };

  // What the reader remembers between builds.
  let lastPublished = new Map<string, { signature: string; date: number; feeds: string[] }>();
  let lastPages = new Map<string, { text: string; ids: string[] }>();
  const gone = new Map<string, { since: number; feeds: string[] }>();
  /** Feeds an id left while it stayed published elsewhere (or came back elsewhere), and since when. */
  const left = new Map<string, Map<string, number>>();
  const tally = { pagesKept: 0, notices: 0, expired: 0 };

  const check = (round: number) => {
    const what = `round ${round}`;
    // The oracle: published, due articles, the first published of each id holding it.
    const published = new Map<string, Article>();
    const inOrder = [...articles.values()].sort((a, b) => a.date.getTime() - b.date.getTime() || (a.file < b.file ? -1 : 1));
    for (const article of inOrder) if (article.published && article.date <= now && !published.has(article.url)) published.set(article.url, article);
    const expected = new Map<string, Article[]>();
    for (const article of published.values()) for (const feed of feedsOf(article)) expected.set(feed, [...(expected.get(feed) ?? []), article]);
    for (const list of expected.values()) list.sort((a, b) => b.date.getTime() - a.date.getTime() || (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
    const signature = (article: Article) => JSON.stringify([article.file, article.version, article.date, feedsOf(article)]);
    const touched = new Set([...published.keys(), ...lastPublished.keys()].filter((id) => lastPublished.get(id)?.signature !== (published.has(id) ? signature(published.get(id)!) : undefined)));
    for (const [id, article] of published) {
      // The feeds it was in (when last published, or when it went) that it is not in now.
      const before = lastPublished.get(id) ?? gone.get(id);
      const since = lastPublished.has(id) ? now.getTime() : gone.get(id)?.since;
      const feeds = feedsOf(article);
      const mine = left.get(id) ?? new Map<string, number>();
      for (const feed of [...mine.keys()]) if (feeds.includes(feed)) mine.delete(feed);
      for (const feed of before?.feeds ?? []) if (!feeds.includes(feed) && !mine.has(feed)) mine.set(feed, since!);
      left.set(id, mine);
    }
    for (const id of published.keys()) gone.delete(id);
    for (const [id, last] of lastPublished) if (!published.has(id) && !gone.has(id)) gone.set(id, { since: now.getTime(), feeds: last.feeds });
    for (const [id, { since }] of gone) {
      if (now.getTime() - since < DELETED_DAYS * DAY) continue;
      gone.delete(id);
      tally.expired++;
    }
    for (const [id, feeds] of left) {
      for (const [feed, since] of feeds) if (now.getTime() - since >= DELETED_DAYS * DAY) feeds.delete(feed);
      if (feeds.size === 0 || (!published.has(id) && !gone.has(id))) left.delete(id);
    }

    const files = readdirSync(config.feedsDir, { recursive: true }).map(String).filter((name) => !name.split('/').some((part) => part.startsWith('.')));
    const subscriptions = new Set(files.filter((name) => !name.startsWith('archive/') && /\.(xml|atom|json)$/.test(name)).map((name) => name.replace(/\.\w+$/, '')));
    for (const feed of expected.keys()) assert.ok(subscriptions.has(feed), `${what}: feed ${feed}`);
    const pages = new Map<string, { text: string; ids: string[] }>();
    for (const feed of subscriptions) {
      const list = expected.get(feed) ?? [];
      const chains = (['xml', 'atom', 'json'] as const).map((ext) => walkChain(config, feed, ext, what));
      const ids = chains.map((docs) => docs.map((doc) => doc.ids));
      assert.deepEqual(ids[1], ids[0], `${what}: ${feed}: Atom ids and RSS guids, document by document`);
      assert.deepEqual(ids[2], ids[0], `${what}: ${feed}: JSON Feed ids and RSS guids, document by document`);
      for (const doc of chains.flat()) {
        assert.equal(new Set(doc.ids).size, doc.ids.length, `${what}: ${doc.name} holds an id twice`);
        // A page that older articles came to later may hold up to KEPT_PAGE_GROWTH times as many (README, Archives).
        assert.ok(doc.ids.length <= (doc.name.startsWith('archive/') ? KEPT_PAGE_GROWTH : 1) * maxItems, `${what}: ${doc.name} holds ${doc.ids.length} entries`);
        if (maxBytes && doc.ids.length > 1) assert.ok(doc.bytes <= maxBytes, `${what}: ${doc.name} is ${doc.bytes} bytes`);
      }
      // The subscription document holds the newest entries and may overlap the newest page (README, Archives); pages never overlap.
      const paged = ids[0]!.slice(1).flat();
      assert.equal(new Set(paged).size, paged.length, `${what}: ${feed}: an id on two archive pages`);
      const reached = new Set(ids[0]!.flat());
      const wanted = list.map((article) => article.url);
      if (archived.includes(kindOf(feed))) {
        assert.deepEqual([...reached].sort(), [...wanted].sort(), `${what}: ${feed}: what the chain reaches`);
      } else {
        assert.equal(chains[0]!.length, 1, `${what}: ${feed} has archive pages`);
        if (!maxBytes) assert.deepEqual(ids[0]![0], wanted.slice(0, maxItems), `${what}: ${feed}: the newest entries`);
        else assert.deepEqual(ids[0]![0], wanted.slice(0, ids[0]![0]!.length), `${what}: ${feed}: the newest entries that fit`);
      }
      for (const name of files) {
        const page = /^archive\/(.+)\/\d+\.(xml|atom|json)$/.exec(name);
        if (page?.[1] === feed) assert.ok(chains.flat().some((doc) => doc.name === name), `${what}: ${name} is on no chain`);
      }
      for (const doc of chains.flatMap((docs) => docs.slice(1))) pages.set(doc.name, { text: readFileSync(path.join(config.feedsDir, doc.name), 'utf8'), ids: doc.ids });
      // RFC 6721 notices: for exactly the ids gone from this feed within DELETED_ENTRY_DAYS: gone
      // from every feed (in the feeds they were in), or from this one while published in others.
      const notices = chains[1]![0]!.tombstones;
      const due = [...gone].filter(([, entry]) => entry.feeds.includes(feed)).map(([id]) => id);
      for (const [id, feeds] of left) if (feeds.has(feed) && !due.includes(id)) due.push(id);
      assert.deepEqual([...notices].sort(), due.sort(), `${what}: ${feed}.atom's deleted entries`);
      tally.notices += notices.length;
    }

    // Nothing stale, drafted, scheduled or secured in any file.
    const live = new Set([...published.values()].map(token));
    for (const name of files.filter((file) => /\.(xml|atom|json|html|opml)$/.test(file))) {
      const text = readFileSync(path.join(config.feedsDir, name), 'utf8');
      assert.ok(!text.includes('SECRETx'), `${what}: ${name} holds a secured value`);
      for (const [found] of text.matchAll(/T\d+v\d+x/g)) assert.ok(live.has(found), `${what}: ${name} holds ${found}, no published article's text`);
    }

    // Archive pages stay as they were unless an article on them changed, except as the README
    // allows: the newest page gains its next-archive link, and a page that older articles take
    // past KEPT_PAGE_GROWTH times FEED_MAX_ITEMS (or, with a byte budget, that a moved or grown
    // article is in) is cut afresh with every page after it. Page edges as the build before this
    // one recorded them.
    const recutFrom = recutPages(expected, touched, maxItems, maxBytes !== undefined);
    for (const [name, before] of lastPages) {
      const after = pages.get(name);
      const [, feed, page] = /^archive\/(.+)\/(\d+)\.\w+$/.exec(name)!;
      const recut = Number(page) >= (recutFrom.get(feed!) ?? Infinity);
      if (after?.text === before.text) tally.pagesKept++;
      if (recut || after?.text === before.text) continue;
      assert.ok(after, `${what}: ${name} is gone`);
      if ([...before.ids, ...after.ids].some((id) => touched.has(id))) continue;
      const withoutNext = after.text.replace(/\n\s*<(atom:)?link[^>]*rel="next-archive"[^>]*\/>/, '');
      assert.equal(withoutNext, before.text, `${what}: ${name} changed, and none of its articles did`);
    }
    lastPages = pages;
    lastPublished = new Map([...published].map(([id, article]) => [id, { signature: signature(article), date: article.date.getTime(), feeds: feedsOf(article) }]));
    edgesBefore = readEdges(config);
  };
  let edgesBefore = readEdges(config);
  /** The first page of each feed the build may cut afresh (README, Archives), from the edges pages.json held before it. */
  const recutPages = (expected: Map<string, Article[]>, touched: Set<string>, maxItems: number, budget: boolean) => {
    const from = new Map<string, number>();
    for (const [feed, edges] of Object.entries(edgesBefore)) {
      const list = expected.get(feed) ?? [];
      const atOrOlder = (time: number, id: string, edge: [number, string]) => (time !== edge[0] ? time < edge[0] : id >= edge[1]);
      for (let index = 0; index < edges.length && !from.has(feed); index++) {
        const on = (time: number, id: string) => atOrOlder(time, id, edges[index]!) && !(index > 0 && atOrOlder(time, id, edges[index - 1]!));
        const onPage = list.filter((article) => on(article.date.getTime(), article.url));
        // With a byte budget, any changed article on a page may take it past the budget.
        if (onPage.length > KEPT_PAGE_GROWTH * maxItems || (budget && onPage.some((article) => touched.has(article.url)))) from.set(feed, index + 1);
      }
    }
    return from;
  };

  for (let index = 0; index < 20; index++) add();
  for (let round = 0; round <= rounds; round++) {
    if (round > 0) {
      now = new Date(now.getTime() + random.int(1, 4) * DAY + random.int(0, 600) * 60_000);
      // One round in four only lets time pass: scheduled articles come due, notices expire.
      if (!random.chance(0.25)) {
        for (let added = random.int(1, 4); added > 0; added--) add();
        for (let edits = random.int(0, 3); edits > 0; edits--) edit(random.pick([...articles.values()]));
      }
    }
    await build(round);
    check(round);
  }
  return tally;
}

/** Each feed's page edges in STATE_DIR/pages.json: [time, id] of each whole page's newest article, page 1's first. */
function readEdges(config: Config): Record<string, [number, string][]> {
  try {
    return (JSON.parse(readFileSync(path.join(config.stateDir, 'pages.json'), 'utf8')) as { feeds: Record<string, [number, string][]> }).feeds;
  } catch {
    return {};
  }
}

describe('a feed reader over months of builds (RFC 5005 archives, RFC 6721 notices)', () => {
  it('reaches every published article once, and nothing else, with three entries a page and every feed archived', seeded(async () => {
    const tally = await publishAndRead(SEED, 24, { FEED_MAX_ITEMS: '3', FEED_ARCHIVES: 'true' });
    assert.ok(tally.pagesKept > 100 && tally.notices > 0 && tally.expired > 0, JSON.stringify(tally));
  }));

  it('does so with archive pages for topics only and a byte budget (FEED_ARCHIVES=topics, FEED_MAX_BYTES)', seeded(async () => {
    const tally = await publishAndRead(SEED + 1, 24, { FEED_MAX_ITEMS: '4', FEED_ARCHIVES: 'topics', FEED_MAX_BYTES: '9000' });
    assert.ok(tally.pagesKept > 50 && tally.notices > 0, JSON.stringify(tally));
  }));
});
