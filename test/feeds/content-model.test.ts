/**
 * updateContentModel against makeContentModel: after any sequence of changed files (added,
 * removed, edited, refiled, made drafts, ids taken twice, topic spellings that collide, reserved
 * topic names, dates in the future), the updated model must be the one made afresh from the same
 * files. And makeContentModel against the simple reference functions, selectPublishable and
 * collectFeeds. Random, seeded (MODEL_SEED), replayable.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { draftRecord, type ArticleRecord } from '../../src/feeds/article-record.js';
import { makeContentModel, updateContentModel, type ContentModel, type FileOutcome } from '../../src/feeds/content-model.js';
import { EMPTY_ENTRY_STATE } from '../../src/feeds/deleted-entries.js';
import { collectFeeds } from '../../src/feeds/feed-collections.js';
import { selectPublishable } from '../../src/feeds/select-articles.js';
import { envSeed, mulberry32 } from '../helpers/random.js';

const SEED = envSeed('MODEL_SEED', 20261204);
const DAYS = 30;
const TOPICS = ['AI', 'ai', 'Space', 'Climate', 'All', 'Index', 'Zürich', 'zuerich'];
const PROVIDERS = [{ name: 'Orbit', domain: 'orbit.example.com' }, { name: 'Orbit News', domain: 'orbit.example.com' }, { name: 'Daily Planet' }, { name: 'daily planet' }, undefined];
const CATEGORIES = ['news', 'News', 'analysis', undefined];

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

function randomOutcome(random: Random, file: string, nowMs: number): FileOutcome<ArticleRecord> {
  const roll = random();
  if (roll < 0.05) return { ok: false, problem: { code: 'ARTICLE_INVALID', file, issues: [{ path: 'title', reason: 'required', message: 'is required' }] } };
  if (roll < 0.12) return { ok: true, article: draftRecord(file, `key-${file}-${random()}`) };
  const topics = [...new Set([pick(random, TOPICS), pick(random, TOPICS)])].slice(0, 1 + Math.floor(random() * 2));
  const provider = pick(random, PROVIDERS);
  const category = pick(random, CATEGORIES);
  const url = `https://news.example.com/${random() < 0.15 ? 'shared' : file}`;
  // Mostly in the past, some in the future (held back), many on the same few instants (ties).
  const offsetMinutes = random() < 0.1 ? 10 + Math.floor(random() * 100) : -Math.floor(random() * 20) * 60;
  return {
    ok: true,
    article: {
      file,
      key: `key-${file}-${random()}`,
      id: random() < 0.2 ? `urn:x:${Math.floor(random() * 5)}` : undefined,
      sourceUrl: url,
      published: true,
      publishedDateTime: new Date(nowMs + offsetMinutes * 60_000),
      updatedDateTime: undefined,
      topics,
      provider,
      category,
    },
  };
}

/** Outcomes as the files the model reads (a build gives it its ScannedFiles). */
const asFiles = (outcomes: readonly FileOutcome<ArticleRecord>[]) => outcomes.map((outcome) => ({ outcome }));

/** What a model says, as plain data to compare: feeds with their articles' files, problems, state. */
/** A published article of `file`, in `topics`, its key the file's name. */
function publishedRecord(file: string, publishedDateTime: Date, topics = ['AI']): FileOutcome<ArticleRecord> {
  return {
    ok: true,
    article: { file, key: file, id: undefined, sourceUrl: `https://x.example/${file}`, published: true, publishedDateTime, updatedDateTime: undefined, topics, provider: undefined, category: undefined },
  };
}

/** Each feed's articles (the objects), by path. */
function feedMembers(model: ContentModel<ArticleRecord>): Map<string, Set<ArticleRecord>> {
  return new Map(model.collections.map((collection) => [collection.path, new Set(collection.articles)]));
}

/** The articles in a feed of one map and not in the same feed of the other. */
function enteredOrLeft(before: Map<string, Set<ArticleRecord>>, after: Map<string, Set<ArticleRecord>>): Set<ArticleRecord> {
  const found = new Set<ArticleRecord>();
  for (const path of new Set([...before.keys(), ...after.keys()])) {
    const old = before.get(path) ?? new Set();
    const now = after.get(path) ?? new Set();
    for (const article of old) if (!now.has(article)) found.add(article);
    for (const article of now) if (!old.has(article)) found.add(article);
  }
  return found;
}

function view(model: ContentModel<ArticleRecord>) {
  return {
    publishable: model.selection.publishable.map((article) => article.file),
    drafts: model.selection.drafts.map((article) => article.file),
    scheduled: model.selection.scheduled.map((article) => article.file),
    collections: model.collections.map((collection) => [collection.path, collection.kind, collection.name, collection.articles.map((article) => article.file)]),
    problems: model.problems,
    state: [...model.tracked.state.entries].sort(([a], [b]) => (a < b ? -1 : 1)),
    tombstones: [...model.tracked.tombstones].sort(([a], [b]) => (a < b ? -1 : 1)),
    deleted: model.tracked.deleted,
    published: model.tracked.published,
    removal: model.tracked.removal,
    nextScheduled: model.nextScheduled?.getTime(),
  };
}

describe('updateContentModel gives what makeContentModel gives', () => {
  it(`over 400 rounds of random changes to 40 files (seed ${SEED}; replay with MODEL_SEED=${SEED})`, () => {
    const random = mulberry32(SEED);
    const start = Date.UTC(2025, 0, 1);
    const files = new Map<string, FileOutcome<ArticleRecord>>();
    for (let index = 0; index < 40; index++) {
      const file = `f${String(index).padStart(2, '0')}.md`;
      files.set(file, randomOutcome(random, file, start));
    }
    const results = () => [...files.keys()].sort().map((file) => ({ outcome: files.get(file)! }));
    let model = makeContentModel(results(), new Date(start), EMPTY_ENTRY_STATE, DAYS);
    let updates = 0;
    let known = 0;
    for (let round = 1; round <= 400; round++) {
      const nowMs = start + round * 1000;
      const outcomesBefore = new Map(files);
      for (let edits = 1 + Math.floor(random() * 3); edits > 0; edits--) {
        const roll = random();
        const existing = [...files.keys()];
        if (roll < 0.15 && existing.length > 5) files.delete(pick(random, existing));
        else if (roll < 0.3) {
          const file = `n${round}-${edits}.md`;
          files.set(file, randomOutcome(random, file, nowMs));
        } else {
          const file = pick(random, existing);
          files.set(file, randomOutcome(random, file, nowMs));
        }
      }
      const now = new Date(nowMs);
      const state = model.tracked.state;
      const fresh = makeContentModel(results(), now, state, DAYS);
      // Every other round the changes are given, as a build's rescan gives them (in file order).
      const changes = [...new Set([...outcomesBefore.keys(), ...files.keys()])]
        .sort()
        .filter((file) => outcomesBefore.get(file) !== files.get(file))
        .map((file) => ({ before: outcomesBefore.get(file), after: files.get(file) }));
      const given = round % 2 === 0 ? { base: model.files, changes } : undefined;
      if (given) known++;
      const feedsBefore = feedMembers(model);
      const updated = updateContentModel(model, results(), now, state, DAYS, given);
      if (updated) {
        updates++;
        assert.deepEqual(view(updated), view(fresh), `round ${round} (seed ${SEED})`);
        // Planning trusts `moved` to name every article that entered or left a feed.
        const moved = new Set(updated.moved);
        for (const article of enteredOrLeft(feedsBefore, feedMembers(updated))) assert.ok(moved.has(article), `round ${round}: ${article.file} moved but is not in \`moved\` (seed ${SEED})`);
        model = updated;
      } else {
        model = fresh;
      }
    }
    assert.ok(updates > 300, `the update path ran in ${updates} of 400 rounds`);
    assert.ok(known >= 200);
  });

  it('keeps the very collection objects of the feeds a change does not touch', () => {
    const start = Date.UTC(2025, 0, 1);
    const record = (file: string, topics: string[]) => publishedRecord(file, new Date(start - 1000), topics);
    const before = [record('a.md', ['AI']), record('b.md', ['Space'])];
    const model = makeContentModel(asFiles(before), new Date(start), EMPTY_ENTRY_STATE, DAYS);
    const space = model.collections.find((collection) => collection.path === 'space');
    const updated = updateContentModel(model, asFiles([record('a.md', ['AI']), before[1]!, record('c.md', ['AI'])]), new Date(start), model.tracked.state, DAYS);
    assert.ok(updated);
    assert.equal(updated.collections.find((collection) => collection.path === 'space'), space, 'the Space feed is the same object');
    assert.notEqual(updated.collections.find((collection) => collection.path === 'ai'), model.collections.find((collection) => collection.path === 'ai'));
  });

  it('names no moved article when no file changed (and none of the model it came from)', () => {
    const start = Date.UTC(2025, 0, 1);
    const record = (file: string) => publishedRecord(file, new Date(start - 1000));
    const a = record('a.md');
    const b = record('b.md');
    const model = makeContentModel(asFiles([a]), new Date(start), EMPTY_ENTRY_STATE, DAYS);
    assert.equal(model.moved, undefined, 'a model made afresh knows of no moves');
    const added = updateContentModel(model, asFiles([a, b]), new Date(start), model.tracked.state, DAYS);
    assert.deepEqual(added?.moved, [b.ok && b.article]);
    const same = updateContentModel(added, [...added!.files], new Date(start + 1000), added!.tracked.state, DAYS);
    assert.deepEqual(same?.moved, []);
    const told = updateContentModel(same, same!.files, new Date(start + 2000), same!.tracked.state, DAYS, { base: same!.files, changes: [] });
    assert.deepEqual(told?.moved, []);
  });

  it('is made afresh when given the very list it was made of and no changes (the list may have been changed in place)', () => {
    const start = Date.UTC(2025, 0, 1);
    const a = publishedRecord('a.md', new Date(start - 1000));
    const files = asFiles([a]) as { outcome: FileOutcome<ArticleRecord> }[];
    const model = makeContentModel(files, new Date(start), EMPTY_ENTRY_STATE, DAYS);
    files.push(...asFiles([publishedRecord('b.md', new Date(start - 500))]));
    assert.equal(updateContentModel(model, files, new Date(start + 1000), model.tracked.state, DAYS), undefined);
  });

  it('compares every file when the changes it is given are not from the list the model was made of', () => {
    const start = Date.UTC(2025, 0, 1);
    const record = (file: string) => publishedRecord(file, new Date(start - 1000));
    const a = record('a.md');
    const model = makeContentModel(asFiles([a]), new Date(start), EMPTY_ENTRY_STATE, DAYS);
    const now = asFiles([a, record('b.md')]);
    const updated = updateContentModel(model, now, new Date(start), model.tracked.state, DAYS, { base: asFiles([a]), changes: [] });
    assert.deepEqual(
      updated?.selection.publishable.map((article) => article.file),
      ['a.md', 'b.md'],
    );
  });

  it('leaves an id with the article published first when a later copy, whose file sorts first, is added', () => {
    const start = Date.UTC(2025, 0, 1);
    const original = publishedRecord('b.md', new Date(start - 60_000));
    const copy = publishedRecord('a.md', new Date(start - 1000));
    if (!original.ok || !copy.ok) assert.fail('records');
    const copied: FileOutcome<ArticleRecord> = { ok: true, article: { ...copy.article, sourceUrl: original.article.sourceUrl } };
    const model = makeContentModel(asFiles([original]), new Date(start), EMPTY_ENTRY_STATE, DAYS);
    const updated = updateContentModel(model, asFiles([copied, original]), new Date(start), model.tracked.state, DAYS);
    assert.ok(updated);
    assert.deepEqual(updated.selection.publishable.map((article) => article.file), ['b.md']);
    assert.deepEqual(updated.problems.map((problem) => [problem.code, problem.file]), [['DUPLICATE_ID', 'a.md']]);
  });

  it('declines (and the build makes the model afresh) once a held-back article comes due', () => {
    const start = Date.UTC(2025, 0, 1);
    const future = publishedRecord('later.md', new Date(start + 60_000));
    const model = makeContentModel(asFiles([future]), new Date(start), EMPTY_ENTRY_STATE, DAYS);
    assert.equal(model.validUntil, start + 60_000);
    assert.equal(updateContentModel(model, asFiles([future]), new Date(start + 60_000), model.tracked.state, DAYS), undefined);
  });
});

describe('makeContentModel gives what selectPublishable and collectFeeds give', () => {
  it(`on 50 random sets of 60 files (seed ${SEED})`, () => {
    const random = mulberry32(SEED + 1);
    const now = new Date(Date.UTC(2025, 0, 1));
    for (let round = 0; round < 50; round++) {
      const results = Array.from({ length: 60 }, (_, index) => randomOutcome(random, `f${String(index).padStart(2, '0')}.md`, now.getTime()));
      const model = makeContentModel(asFiles(results), now, EMPTY_ENTRY_STATE, DAYS);
      const articles = results.flatMap((result) => (result.ok ? [result.article] : []));
      const selection = selectPublishable(articles, now);
      const collected = collectFeeds(selection.publishable);
      const files = (list: readonly ArticleRecord[]) => list.map((article) => article.file);
      assert.deepEqual(files(model.selection.publishable), files(selection.publishable), `round ${round}`);
      assert.deepEqual(files(model.selection.drafts), files(selection.drafts));
      assert.deepEqual(files(model.selection.scheduled), files(selection.scheduled));
      assert.deepEqual(
        model.collections.map((collection) => [collection.path, collection.name, files(collection.articles)]),
        collected.collections.map((collection) => [collection.path, collection.name, files(collection.articles)]),
        `round ${round}`,
      );
      const parseProblems = results.flatMap((result) => (result.ok ? [] : [result.problem]));
      assert.deepEqual(model.problems, [...parseProblems, ...selection.problems, ...collected.problems], `round ${round}`);
      assert.deepEqual([...model.index.feedsByEntry].sort(), [...collected.feedsByEntry].sort(), `round ${round}`);
    }
  });
});
