/**
 * buildFeedFiles with a render cache carried between builds, as the server does: the cache may
 * reuse the last selection and grouping when only article texts changed, and must then give
 * exactly what a build without any cache gives. Random edit sequences, seeded (FUZZ_SEED).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildFeedFiles, type FeedBuild, type SourceFile } from '../../src/build/build-feed-files.js';
import { EMPTY_ENTRY_STATE, type EntryState } from '../../src/feeds/deleted-entries.js';
import { createRenderCache } from '../../src/build/render-cache.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { mulberry32 } from '../helpers/random.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const SITE = {
  title: 'Test feeds',
  description: 'The latest articles about {topic}.',
  language: 'en',
  siteUrl: 'https://example.org/',
  baseUrl: 'https://feeds.example.org',
  maxItems: 3,
  archives: true,
} as const;
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
      return `2025-01-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}T00:00:00Z`;
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

const fileOf = (index: number, fields: Fields, body: string): SourceFile => ({
  file: `a${String(index).padStart(3, '0')}.md`,
  text: articleText(frontMatter(fields), body),
});

const view = (build: FeedBuild) => ({
  files: build.files.map((file) => [file.name, file.body]),
  counts: { ...build.counts, rendered: 0 },
  problems: build.problems,
  nextScheduled: build.nextScheduled,
  state: build.state,
  stateChanged: build.stateChanged,
  nextExpiry: build.nextExpiry,
});

describe('buildFeedFiles: a carried cache gives what a fresh build gives', () => {
  it('over 60 rounds of random edits: texts only, refiling, additions and removals', () => {
    const random = mulberry32(SEED);
    const cache = createRenderCache();
    const fields = new Map<number, Fields>();
    let files = new Map<number, SourceFile>();
    const put = (index: number, next: Fields, body = 'Body') => {
      fields.set(index, next);
      files.set(index, fileOf(index, next, body));
    };
    const anyIndex = () => [...files.keys()][Math.floor(random() * files.size)]!;
    for (let index = 0; index < 30; index++) put(index, randomFields(random, index));
    let cachedState: EntryState = EMPTY_ENTRY_STATE;
    let freshState: EntryState = EMPTY_ENTRY_STATE;
    let textOnlyRounds = 0;
    for (let round = 1; round <= 60; round++) {
      const kind = random();
      if (kind < 0.5) {
        // Texts only: the cache may reuse its grouping.
        for (let edits = 1 + Math.floor(random() * 3); edits > 0; edits--) {
          const index = anyIndex();
          put(index, { ...fields.get(index), title: `Article ${index}, round ${round}` }, `Body of round ${round}`);
        }
        textOnlyRounds++;
      } else if (kind < 0.85) {
        // One field that decides where the article is filed (and a text edit with it).
        const index = anyIndex();
        const field = FILING_FIELDS[Math.floor(random() * FILING_FIELDS.length)]!;
        put(index, { ...fields.get(index), [field]: drawFiling(random, field, index), title: `Refiled in round ${round}` });
      } else if (kind < 0.93) {
        put(100 + round, randomFields(random, 100 + round));
      } else {
        files.delete(anyIndex());
      }
      files = new Map([...files].sort(([a], [b]) => a - b));
      const now = new Date(Date.UTC(2025, 1, 1, 0, round));
      const sources = [...files.values()];
      const cached = buildFeedFiles(sources, SITE, now, { previousState: cachedState, renderCache: cache });
      const fresh = buildFeedFiles(sources, SITE, now, { previousState: freshState });
      assert.deepEqual(view(cached), view(fresh), `round ${round} (seed ${SEED})`);
      cachedState = cached.state;
      freshState = fresh.state;
    }
    assert.ok(textOnlyRounds > 10, 'the cache was exercised');
  });

  it('renames a provider feed when an edit changes which spelling most of its articles use', () => {
    const cache = createRenderCache();
    const orbit = (index: number, name: string) => fileOf(index, { ...randomFields(mulberry32(index), index), published: true, provider: { name, domain: 'orbit.example.com' } }, 'Body');
    const now = new Date('2025-02-01T00:00:00Z');
    const first = buildFeedFiles([orbit(1, 'Orbit'), orbit(2, 'Orbit News')], SITE, now, { renderCache: cache });
    const edited = [orbit(1, 'Orbit News'), orbit(2, 'Orbit News')];
    const cached = buildFeedFiles(edited, SITE, now, { previousState: first.state, renderCache: cache });
    const fresh = buildFeedFiles(edited, SITE, now, { previousState: first.state });
    assert.deepEqual(view(cached), view(fresh));
    assert.match(cached.files.find((file) => file.name === 'providers/orbit.example.com.xml')!.body, /<title>[^<]*Orbit News<\/title>/);
  });
});
