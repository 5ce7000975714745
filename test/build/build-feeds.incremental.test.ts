/**
 * buildFeeds with one cache carried between builds, as the server's build thread does: the
 * cache reuses parses, rendered entries, documents and the last selection and grouping, and
 * must then write exactly what a build with an empty cache writes. Random edit sequences over a
 * real content folder, seeded (FUZZ_SEED).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildFeeds, createBuildCache, type BuildCache, type BuildResult, type ContentChangeSet } from '../../src/build/build-feeds.js';
import { everyFile, fileCount } from '../../src/build/build-result.js';
import { entryId } from '../../src/feeds/select-articles.js';
import { MANIFEST_NAME } from '../../src/build/write-feeds.js';
import { silentLogger } from '../../src/logger.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { testConfig } from '../helpers/config.js';
import { mulberry32 } from '../helpers/random.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const SETTINGS = { FEED_TITLE: 'Test feeds', FEED_MAX_ITEMS: '3', FEED_ARCHIVES: 'true' };
const TOPICS = ['AI', 'Space', 'ai', 'Climate', 'All'];
const PROVIDERS = [{ name: 'Orbit', domain: 'orbit.example.com' }, { name: 'Orbit News', domain: 'orbit.example.com' }, { name: 'Daily Planet' }, { name: 'daily planet' }];

type Fields = Record<string, unknown>;

/** The fields of a new article, drawn at random from small pools so that they collide. */
function randomFields(random: () => number, index: number): Fields {
  const fields: Fields = {};
  for (const field of FILING_FIELDS) fields[field] = drawFiling(random, field, index);
  return { ...fields, title: `Article ${index}`, excerpt: 'Excerpt' };
}

const FILING_FIELDS = ['sourceUrl', 'publishedDateTime', 'published', 'topics', 'provider', 'category'] as const;

function drawFiling(random: () => number, field: (typeof FILING_FIELDS)[number], index: number): unknown {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  switch (field) {
    case 'sourceUrl':
      return `https://news.example.com/${random() < 0.1 ? 'same' : `${index}-${Math.floor(random() * 3)}`}`;
    case 'publishedDateTime':
      // One in ten held back: the builds run in February 2025.
      return `2025-${random() < 0.1 ? '03' : '01'}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}T00:00:00Z`;
    case 'published':
      return random() < 0.9;
    case 'topics':
      return [pick(TOPICS), pick(TOPICS)];
    case 'provider':
      return pick(PROVIDERS);
    case 'category':
      return pick(['news', 'News', 'analysis']);
  }
}

const fileName = (index: number) => `a${String(index).padStart(3, '0')}.md`;

/** Every file of a feeds folder but the manifest, as name → text. */
function folderView(dir: string): Map<string, string> {
  const names = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.startsWith(MANIFEST_NAME))
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
  return new Map(names.map((name) => [name, readFileSync(path.join(dir, name), 'utf8')]));
}

const reportView = (result: BuildResult) => {
  const { published, drafts, scheduled, topics, feeds, archivePages, deleted, skipped, problems, nextScheduled, filesRead, overBudget } = result.report;
  return { published, drafts, scheduled, topics, feeds, archivePages, deleted, skipped, problems, nextScheduled, filesRead, overBudget };
};

/**
 * The carried cache holds a rendered entry for exactly the articles to publish, now or when due:
 * none of an edited, removed or drafted article, or of one that lost its id to another file
 * (nothing of them may linger in STATE_DIR), and every one a document may need.
 */
function assertOnlyLiveEntries(cache: BuildCache, now: Date, what: string): void {
  const model = cache.model;
  assert.ok(model, `${what}: the build left its model`);
  const live = new Set<string>();
  for (const file of cache.files.values()) {
    if (!file.outcome.ok || !file.outcome.article.published) continue;
    const article = file.outcome.article;
    const due = article.publishedDateTime.getTime() <= now.getTime();
    if (!due || model.index.claimants.get(entryId(article))?.[0] === article) live.add(file.key);
  }
  assert.deepEqual([...cache.entries.keys()].sort(), [...live].sort(), `${what} (seed ${SEED}): the cache's entries`);
}

/** A content folder, a build with a carried cache told what changed, and one with an empty cache every time. */
async function twoBuilders(settings: Record<string, string> = SETTINGS) {
  const contentDir = await makeTempDir('incremental-content-');
  const cachedConfig = testConfig(contentDir, path.join(await makeTempDir('incremental-cached-'), 'feeds'), settings);
  const freshConfig = testConfig(contentDir, path.join(await makeTempDir('incremental-fresh-'), 'feeds'), settings);
  const cache = createBuildCache(cachedConfig.stateDir);
  const changed = new Set<string>();
  let first = true;
  const write = async (index: number, fields: Fields, body = 'Body') => {
    await writeFile(path.join(contentDir, fileName(index)), articleText(frontMatter(fields), body));
    changed.add(fileName(index));
  };
  const remove = async (index: number) => {
    await rm(path.join(contentDir, fileName(index)));
    changed.add(fileName(index));
  };
  /** Builds both ways at `now` and checks they wrote the same. */
  const buildBoth = async (now: Date, what: string) => {
    const changes: ContentChangeSet = first ? { kind: 'unknown' } : { kind: 'files', files: new Set(changed) };
    first = false;
    changed.clear();
    const cached = await buildFeeds({ config: cachedConfig, logger: silentLogger, cache, changes, clock: () => now, saveCache: false });
    assertOnlyLiveEntries(cache, now, what);
    const fresh = await buildFeeds({ config: freshConfig, logger: silentLogger, cache: createBuildCache(freshConfig.stateDir), clock: () => now, saveCache: false });
    assert.deepEqual(reportView(cached), reportView(fresh), `${what} (seed ${SEED}): reports`);
    const cachedFiles = folderView(cachedConfig.feedsDir);
    const freshFiles = folderView(freshConfig.feedsDir);
    assert.deepEqual([...cachedFiles.keys()], [...freshFiles.keys()], `${what} (seed ${SEED}): file names`);
    for (const [name, text] of freshFiles) assert.equal(cachedFiles.get(name), text, `${what} (seed ${SEED}): ${name}`);
    return { cached, fresh, cachedFiles };
  };
  return { write, remove, buildBoth };
}

describe('buildFeeds: a carried cache writes what an empty cache writes', () => {
  it('publishes the second article with an id once the first is removed (its entry, erased while it lost the id, is rendered again)', async () => {
    const { write, remove, buildBoth } = await twoBuilders();
    const same = { sourceUrl: 'https://news.example.com/same', topics: ['AI'], provider: PROVIDERS[0], category: 'news', published: true };
    await write(1, { ...same, title: 'First claimant', publishedDateTime: '2025-01-02T00:00:00Z' });
    await write(2, { ...same, title: 'Second claimant', publishedDateTime: '2025-01-03T00:00:00Z' });
    await write(3, { ...same, sourceUrl: 'https://news.example.com/other', title: 'Another article', publishedDateTime: '2025-01-01T00:00:00Z' });
    const { cachedFiles: before } = await buildBoth(new Date(Date.UTC(2025, 1, 1)), 'two claimants of one id');
    assert.doesNotMatch(before.get('all.xml')!, /Second claimant/, 'the second claimant is left out while the first holds the id');
    await remove(1);
    const { cachedFiles: after } = await buildBoth(new Date(Date.UTC(2025, 1, 1, 1)), 'the first claimant removed');
    assert.match(after.get('all.xml')!, /Second claimant/);
  });

  it('puts a second claimant into the archive page its date falls in when the first goes, however far from the first one\'s page', async () => {
    const { write, remove, buildBoth } = await twoBuilders();
    const base = { topics: ['AI'], provider: PROVIDERS[0], category: 'news', published: true };
    // Three entries a page: page 1 holds January 1–3, page 2 January 4–6.
    for (let day = 1; day <= 7; day++) await write(day, { ...base, sourceUrl: `https://news.example.com/${day}`, title: `Day ${day}`, publishedDateTime: `2025-01-0${day}T00:00:00Z` });
    const same = { ...base, sourceUrl: 'https://news.example.com/same' };
    await write(8, { ...same, title: 'First claimant', publishedDateTime: '2025-01-05T12:00:00Z' });
    await write(9, { ...same, title: 'Second claimant', publishedDateTime: '2025-01-02T12:00:00Z' });
    await buildBoth(new Date(Date.UTC(2025, 1, 1)), 'two claimants, in pages 2 and 1');
    await remove(8);
    const { cachedFiles } = await buildBoth(new Date(Date.UTC(2025, 1, 1, 1)), 'the first claimant removed');
    const pages = [...cachedFiles].filter(([name]) => name.startsWith('archive/ai/') && name.endsWith('.xml'));
    assert.equal(pages.filter(([, text]) => text.includes('Second claimant')).length, 1, 'in exactly one page of the AI feed');
  });

  it('gives the bytes of a subscription feed it kept when the caller no longer holds them', async () => {
    const contentDir = await makeTempDir('incremental-content-');
    const config = testConfig(contentDir, path.join(await makeTempDir('incremental-bodies-'), 'feeds'), SETTINGS);
    const cache = createBuildCache(config.stateDir);
    const base = { provider: PROVIDERS[0], category: 'news', published: true, publishedDateTime: '2025-01-01T00:00:00Z' };
    const put = (index: number, title: string, topics: string[]) => writeFile(path.join(contentDir, fileName(index)), articleText(frontMatter({ ...base, sourceUrl: `https://news.example.com/${index}`, title, topics })));
    await put(1, 'About AI', ['AI']);
    await put(2, 'About space', ['Space']);
    // What the caller holds, as the server's build thread records what it sent.
    const held = new Map<string, string>();
    const build = async (changes: ContentChangeSet) => {
      const result = await buildFeeds({ config, logger: silentLogger, cache, changes, clock: () => new Date(Date.UTC(2025, 1, 1)), saveCache: false, keepBody: (name) => !name.startsWith('archive/'), hasBody: (name, hash) => held.get(name) === hash });
      for (const file of result.changed ?? []) if (file.body) held.set(file.name, file.hash);
      return result;
    };
    await build({ kind: 'unknown' });
    assert.ok(held.has('space.json'));
    held.delete('space.json');
    await put(1, 'About AI, edited', ['AI']);
    const second = await build({ kind: 'files', files: new Set([fileName(1)]) });
    const space = second.changed?.find((file) => file.name === 'space.json');
    assert.ok(space?.body, 'the Space feed did not change, but its bytes come back');
    assert.equal(space.body.toString('utf8'), readFileSync(path.join(config.feedsDir, 'space.json'), 'utf8'));
    assert.equal(second.changed?.find((file) => file.name === 'archive/ai/1.xml'), undefined, 'no archive page is looked at');
  });

  it('builds the edit a watcher named when the file changed during its build and changed back before the build ran again', async () => {
    // Archives off: the entries of the articles a document holds are rendered after the model,
    // from the files read again, which is where a change during the build shows.
    const contentDir = await makeTempDir('incremental-content-');
    const config = testConfig(contentDir, path.join(await makeTempDir('incremental-raced-'), 'feeds'), { ...SETTINGS, FEED_ARCHIVES: 'false' });
    const cache = createBuildCache(config.stateDir);
    const base = { topics: ['AI'], provider: PROVIDERS[0], category: 'news', published: true };
    const text = (title: string) => articleText(frontMatter({ ...base, sourceUrl: 'https://news.example.com/1', title, publishedDateTime: '2025-01-01T00:00:00Z' }));
    const file = path.join(contentDir, fileName(1));
    await writeFile(file, text('Before'));
    await writeFile(path.join(contentDir, fileName(2)), articleText(frontMatter({ ...base, sourceUrl: 'https://news.example.com/2', title: 'Other', publishedDateTime: '2025-01-02T00:00:00Z' })));
    let stage: ((stage: string) => void) | undefined;
    let again: (() => void) | undefined;
    const logger = { ...silentLogger, info: (message: string) => message.startsWith('content changed during the build') && again?.() };
    const build = (changes: ContentChangeSet) =>
      buildFeeds({ config, logger, cache, changes, clock: () => new Date(Date.UTC(2025, 1, 1)), saveCache: false, onStage: (name) => stage?.(name) });
    await build({ kind: 'unknown' });
    await writeFile(file, text('Edited'));
    // The scan reads "Edited"; before its entry is rendered the file holds something else, and
    // before the build runs again it holds "Edited" once more (bytes the cache now knows).
    stage = (name) => name === 'model' && writeFileSync(file, text('Meanwhile'));
    again = () => {
      stage = undefined;
      writeFileSync(file, text('Edited'));
    };
    await build({ kind: 'files', files: new Set([fileName(1)]) });
    assert.equal(stage, undefined, 'the build ran twice');
    const feed = JSON.parse(readFileSync(path.join(config.feedsDir, 'ai.json'), 'utf8')) as { items: { title: string }[] };
    assert.deepEqual(feed.items.map((item) => item.title).sort(), ['Edited', 'Other']);
  });

  it("keeps a build's list of files as the build left the folder after later builds change the folder", async () => {
    const contentDir = await makeTempDir('incremental-content-');
    const config = testConfig(contentDir, path.join(await makeTempDir('incremental-listed-'), 'feeds'), SETTINGS);
    const cache = createBuildCache(config.stateDir);
    const put = (index: number, topic: string) =>
      writeFile(path.join(contentDir, fileName(index)), articleText(frontMatter({ provider: PROVIDERS[0], category: 'news', published: true, sourceUrl: `https://news.example.com/${index}`, title: `Article ${index}`, topics: [topic], publishedDateTime: `2025-01-0${index}T00:00:00Z` })));
    const build = (changes: ContentChangeSet) => buildFeeds({ config, logger: silentLogger, cache, changes, clock: () => new Date(Date.UTC(2025, 1, 1)), saveCache: false });
    /** The feeds folder's files, from the folder itself. */
    const listing = () =>
      readdirSync(config.feedsDir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
        .map((entry) => path.relative(config.feedsDir, path.join(entry.parentPath, entry.name)))
        .sort();
    await put(1, 'AI');
    await build({ kind: 'unknown' });
    await put(2, 'Space');
    const second = await build({ kind: 'files', files: new Set([fileName(2)]) });
    const afterSecond = listing();
    assert.ok(afterSecond.includes('space.xml'));
    // The third build (partial, as the second) adds a feed.
    await put(3, 'Climate');
    const third = await build({ kind: 'files', files: new Set([fileName(3)]) });
    assert.equal(third.complete, false, 'a partial build');
    const afterThird = listing();
    assert.ok(afterThird.includes('climate.xml') && !afterSecond.includes('climate.xml'));
    // Read without making its files, too (what a server's scheduled rebuild asks of its last build).
    assert.equal(fileCount(second), afterSecond.length);
    assert.ok(everyFile(second, (file) => afterSecond.includes(file.name)));
    assert.deepEqual(second.files.map((file) => file.name).sort(), afterSecond);
    assert.deepEqual(third.files.map((file) => file.name).sort(), afterThird);
  });

  it('writes again a file deleted under it at the next build that rescans everything (the schedule), with the same bytes', async () => {
    const contentDir = await makeTempDir('incremental-content-');
    const config = testConfig(contentDir, path.join(await makeTempDir('incremental-deleted-'), 'feeds'), SETTINGS);
    const cache = createBuildCache(config.stateDir);
    const base = { topics: ['AI'], provider: PROVIDERS[0], category: 'news', published: true };
    // Three entries a page: archive pages besides the feed.
    for (let day = 1; day <= 7; day++) await writeFile(path.join(contentDir, fileName(day)), articleText(frontMatter({ ...base, sourceUrl: `https://news.example.com/${day}`, title: `Day ${day}`, publishedDateTime: `2025-01-0${day}T00:00:00Z` })));
    const build = () => buildFeeds({ config, logger: silentLogger, cache, changes: { kind: 'unknown' }, clock: () => new Date(Date.UTC(2025, 1, 1)), saveCache: false });
    await build();
    const gone = ['ai.json', 'archive/ai/1.xml'];
    const bytes = new Map(gone.map((name) => [name, readFileSync(path.join(config.feedsDir, name))]));
    for (const name of gone) await rm(path.join(config.feedsDir, name));
    const scheduled = await build();
    assert.deepEqual([...scheduled.report.written].sort(), gone);
    for (const name of gone) assert.deepEqual(readFileSync(path.join(config.feedsDir, name)), bytes.get(name), name);
    assert.deepEqual((await build()).report.written, [], 'the folder is whole again');
  });

  it('keeps the entry of an article held back when another file with the same bytes is edited, and erases the edited one', async () => {
    const { write, buildBoth } = await twoBuilders();
    const held = { sourceUrl: 'https://news.example.com/held', topics: ['AI'], provider: PROVIDERS[0], category: 'news', published: true, title: 'Held back', publishedDateTime: '2025-03-01T00:00:00Z' };
    await write(1, held);
    await write(2, held);
    await write(3, { ...held, sourceUrl: 'https://news.example.com/now', title: 'Out now', publishedDateTime: '2025-01-01T00:00:00Z' });
    await buildBoth(new Date(Date.UTC(2025, 1, 1)), 'two files with the same bytes, held back');
    await write(2, { ...held, title: 'Held back, edited' });
    await buildBoth(new Date(Date.UTC(2025, 1, 1, 1)), 'one of them edited');
    await write(1, { ...held, title: 'Held back, edited too' });
    const { cachedFiles } = await buildBoth(new Date(Date.UTC(2025, 2, 2)), 'both edited, and due');
    assert.match(cachedFiles.get('all.xml')!, /Held back, edited too/);
  });

  it('over 60 rounds of random edits: texts only, refiling, additions and removals', async () => {
    const random = mulberry32(SEED);
    const { write, remove, buildBoth } = await twoBuilders();
    const fields = new Map<number, Fields>();
    const put = async (index: number, next: Fields, body = 'Body') => {
      fields.set(index, next);
      await write(index, next, body);
    };
    const anyIndex = () => [...fields.keys()][Math.floor(random() * fields.size)]!;
    for (let index = 0; index < 30; index++) await put(index, randomFields(random, index));
    await buildBoth(new Date(Date.UTC(2025, 1, 1)), 'first build');
    let textOnlyRounds = 0;
    let reused = 0;
    for (let round = 1; round <= 60; round++) {
      const kind = random();
      if (kind < 0.5) {
        // Texts only: the cache may reuse its grouping.
        for (let edits = 1 + Math.floor(random() * 3); edits > 0; edits--) {
          const index = anyIndex();
          await put(index, { ...fields.get(index), title: `Article ${index}, round ${round}` }, `Body of round ${round}`);
        }
        textOnlyRounds++;
      } else if (kind < 0.85) {
        // One field that decides where the article is filed (and a text edit with it).
        const index = anyIndex();
        const field = FILING_FIELDS[Math.floor(random() * FILING_FIELDS.length)]!;
        await put(index, { ...fields.get(index), [field]: drawFiling(random, field, index), title: `Refiled in round ${round}` });
      } else if (kind < 0.93) {
        await put(100 + round, randomFields(random, 100 + round));
      } else {
        const index = anyIndex();
        fields.delete(index);
        await remove(index);
      }
      const { cached } = await buildBoth(new Date(Date.UTC(2025, 1, 1, 0, round)), `round ${round}`);
      if (cached.report.rendered < cached.report.feeds + cached.report.archivePages) reused++;
    }
    assert.ok(textOnlyRounds > 10, 'the cache was exercised');
    assert.ok(reused > 30, `the cached build kept unchanged documents in ${reused} rounds`);
  });

  it('over 40 rounds of edits that change body sizes, with documents cut by FEED_MAX_BYTES', async () => {
    await budgetRounds(SEED + 1, 40, {});
  });

  it('over 25 rounds of such edits with archive pages for topics and categories only (FEED_ARCHIVES=topics,categories)', async () => {
    await budgetRounds(SEED + 2, 25, { FEED_ARCHIVES: 'topics,categories' });
  });

  /** Rounds of body edits that the byte budget cuts documents along, built both ways with `settings`. */
  async function budgetRounds(seed: number, rounds: number, settings: Record<string, string>): Promise<void> {
    const random = mulberry32(seed);
    const budget = 16 * 1024;
    const { write, buildBoth } = await twoBuilders({ ...SETTINGS, FEED_MAX_ITEMS: '5', FEED_MAX_BYTES: String(budget), ...settings });
    // 1 to 12 KB of Markdown: two to five entries fit in a document.
    const sizedBody = (round: number) => `Round ${round}. ${'Words that take room. '.repeat(50 + Math.floor(random() * 550))}`;
    const fields = new Map<number, Fields>();
    for (let index = 0; index < 24; index++) {
      fields.set(index, { ...randomFields(random, index), published: true });
      await write(index, fields.get(index)!, sizedBody(0));
    }
    await buildBoth(new Date(Date.UTC(2025, 1, 1)), 'first build');
    let cut = 0;
    let paged = 0;
    for (let round = 1; round <= rounds; round++) {
      const index = random() < 0.2 ? 100 + round : Math.floor(random() * 24);
      if (!fields.has(index)) fields.set(index, { ...randomFields(random, index), published: true });
      await write(index, fields.get(index)!, sizedBody(round));
      const { cached, cachedFiles } = await buildBoth(new Date(Date.UTC(2025, 1, 1, 0, round)), `budget round ${round}`);
      if (cached.report.overBudget) cut++;
      for (const [name, text] of cachedFiles) if (/\.(xml|atom|json)$/.test(name)) assert.ok(Buffer.byteLength(text) <= budget, `round ${round}: ${name}`);
      if (settings.FEED_ARCHIVES) assert.ok([...cachedFiles.keys()].every((name) => !/^archive\/(all|providers)\//.test(name)), `round ${round}: pages of a kind not archived`);
      if ([...cachedFiles.keys()].some((name) => name.startsWith('archive/categories/')) && [...cachedFiles.keys()].some((name) => /^archive\/[^/]+\/1\.xml$/.test(name))) paged++;
    }
    assert.ok(cut > rounds * 0.75, `the budget cut documents in ${cut} rounds`);
    assert.equal(paged, rounds, 'every round had topic and category pages');
  }

  it('renames a provider feed when an edit changes which spelling most of its articles use', async () => {
    const { write, buildBoth } = await twoBuilders();
    const orbit = (index: number, name: string) => write(index, { ...randomFields(mulberry32(index), index), published: true, provider: { name, domain: 'orbit.example.com' } });
    const now = new Date('2025-02-01T00:00:00Z');
    await orbit(1, 'Orbit');
    await orbit(2, 'Orbit News');
    await buildBoth(now, 'first build');
    await orbit(1, 'Orbit News');
    const { cachedFiles } = await buildBoth(now, 'after the edit');
    assert.match(cachedFiles.get('providers/orbit.example.com.xml')!, /<title>[^<]*Orbit News<\/title>/);
  });
});
