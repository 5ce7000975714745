import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { parseArticle } from '../../src/content/parse-article.js';
import type { Problem } from '../../src/content/problems.js';
import { readAndParseAll, type ReadResult } from '../../src/build/parse-threads.js';
import { EntryReader } from '../../src/build/entry-store.js';
import { listContent } from '../../src/content/read-content.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('readAndParseAll: a cold build spread over threads', () => {
  const COUNT = 2101; // above the threshold at which helper threads start
  let root: string;
  let results: ReadResult[];
  let entriesDir: string;
  let candidates: ReturnType<typeof listContent>['candidates'];
  const progress: [number, number][] = [];
  /** How many chunks had been stored when a timer set just before the call fired. */
  let storedBeforeTimer: number | undefined;

  before(async () => {
    const dir = await makeTempDir('parallel-');
    await mkdir(path.join(dir, 'sub'));
    for (let index = 0; index < COUNT; index++) {
      const name = index % 10 === 0 ? `sub/article-${index}.md` : `article-${index}.md`;
      const text = index % 97 === 0 ? 'not front matter at all' : articleText(frontMatter({ title: `Article ${index}`, sourceUrl: `https://news.example.com/${index}` }));
      await writeFile(path.join(dir, name), text);
    }
    await writeFile(path.join(dir, 'notes.txt'), 'not markdown');
    ({ root, candidates } = listContent(dir));
    entriesDir = await makeTempDir('parallel-entries-');
    setTimeout(() => (storedBeforeTimer = progress.length), 0);
    results = await readAndParseAll(
      { root, baseUrl: 'https://feeds.example.org', candidates, maxFileBytes: 1024 * 1024, entriesDir, onProgress: (read, total) => progress.push([read, total]) },
      2,
    );
  });

  it('returns one result per candidate, in candidate order', () => {
    assert.equal(results.length, candidates.length);
    results.forEach((result, index) => {
      const expected = candidates[index]!.relative.split(path.sep).join('/');
      assert.ok(result !== undefined && result !== 'gone', `${expected}: ${String(result)}`);
      assert.equal(result.file, expected);
    });
  });

  it('tells its progress as each chunk comes in, from either thread, up to every candidate', () => {
    const total = candidates.length;
    assert.ok(progress.length >= Math.ceil(total / 250), `${progress.length} reports`);
    assert.ok(progress.every(([, of]) => of === total));
    assert.ok(progress.every(([read], index) => read > (progress[index - 1]?.[0] ?? 0)), 'ever more');
    assert.equal(progress.at(-1)![0], total);
  });

  it("lets the event loop run between the calling thread's chunks, so the helper's are taken in as they come", () => {
    // Parsed in one synchronous loop, every chunk of the calling thread (seven or eight of the
    // nine when tried: the helper is slow to start) is stored before the timer can fire; taking
    // turns, it fires after the first or second.
    assert.ok(storedBeforeTimer !== undefined && storedBeforeTimer <= 2, `${storedBeforeTimer} chunks stored before the timer fired`);
    assert.ok(progress.length > storedBeforeTimer + 2);
  });

  it('parses each file exactly as a single thread would', () => {
    for (const result of results) {
      if (!result || result === 'gone' || 'issues' in result) continue;
      const again = parseArticle(articleTextFor(result.file), result.file);
      assert.equal(result.outcome?.ok, again.ok, result.file);
      if (result.outcome?.ok && again.ok) {
        assert.equal(result.outcome.article.sourceUrl, again.article.sourceUrl);
        assert.equal(result.outcome.article.publishedDateTime.getTime(), again.article.publishedDateTime.getTime(), 'Dates survive the thread boundary');
      }
    }
  });

  it('reports the files it cannot use, from every thread', () => {
    const problems = results.filter((result): result is Problem => typeof result === 'object' && 'issues' in result);
    assert.deepEqual(problems.map((problem) => problem.file), ['notes.txt']);
    const invalid = results.filter((result) => typeof result === 'object' && !('issues' in result) && !result.outcome?.ok);
    assert.equal(invalid.length, Math.ceil(COUNT / 97));
  });

  it("stores each published article's entry, rendered in the thread that parsed it, where its location says", () => {
    const reader = new EntryReader(entriesDir);
    try {
      for (const result of results) {
        if (!result || result === 'gone' || 'issues' in result || !result.outcome?.ok) continue;
        assert.ok(result.entry, `${result.file} has a rendered entry`);
        const entry = reader.read(result.entry);
        const index = /article-(\d+)\.md$/.exec(result.file)![1];
        assert.match(entry.rss.toString('utf8'), new RegExp(`<title>Article ${index}</title>`));
        assert.match(entry.json.toString('utf8'), new RegExp(`"title": "Article ${index}"`));
      }
    } finally {
      reader.close();
    }
  });

  it('hashes but does not parse a file whose key the caller knows', async () => {
    const known = results.find((result): result is Exclude<ReadResult, undefined | 'gone' | Problem> => typeof result === 'object' && !('issues' in result));
    assert.ok(known);
    const again = await readAndParseAll({ root, baseUrl: 'https://feeds.example.org', candidates, maxFileBytes: 1024 * 1024, knownKeys: new Set([known.key]) }, 1);
    const same = again.find((result) => typeof result === 'object' && !('issues' in result) && result.file === known.file);
    assert.ok(typeof same === 'object' && !('issues' in same));
    assert.equal(same.key, known.key);
    assert.equal(same.outcome, undefined);
  });
});

describe('readAndParseAll: stopped partway', () => {
  const COUNT = 4001; // above the threshold at which helper threads start: 17 chunks
  let root: string;
  let candidates: ReturnType<typeof listContent>['candidates'];
  let entriesDir: string;
  let results: ReadResult[];
  let readWhenStopped = 0;

  before(async () => {
    const dir = await makeTempDir('parallel-stop-');
    for (let index = 0; index < COUNT; index++) {
      await writeFile(path.join(dir, `article-${String(index).padStart(5, '0')}.md`), articleText(frontMatter({ title: `Article ${index}`, sourceUrl: `https://news.example.com/${index}` })));
    }
    ({ root, candidates } = listContent(dir));
    entriesDir = await makeTempDir('parallel-stop-entries-');
    const stop = new AbortController();
    results = await readAndParseAll(
      {
        root,
        baseUrl: 'https://feeds.example.org',
        candidates,
        maxFileBytes: 1024 * 1024,
        entriesDir,
        stop: stop.signal,
        // Stopped once the first chunk is in, from either thread.
        onProgress: (read) => {
          if (stop.signal.aborted) return;
          readWhenStopped = read;
          stop.abort();
        },
      },
      2,
    );
  });

  it('claims no more chunks: the results end well before the last candidate', () => {
    assert.ok(readWhenStopped > 0);
    assert.ok(results.length < candidates.length - 2 * 250, `${results.length} of ${candidates.length} read`);
    assert.ok(results.length >= readWhenStopped, 'every chunk under way when it stopped is finished');
  });

  it('gives a whole prefix: each result up to its length is the file at that place, parsed, with its entry stored', () => {
    const reader = new EntryReader(entriesDir);
    try {
      results.forEach((result, index) => {
        const expected = candidates[index]!.relative;
        assert.ok(typeof result === 'object' && !('issues' in result), `${expected}: ${String(result)}`);
        assert.equal(result.file, expected);
        assert.ok(result.outcome?.ok && result.entry, expected);
        assert.match(reader.read(result.entry).rss.toString('utf8'), new RegExp(`<title>Article ${Number(/\d+/.exec(expected)![0])}</title>`));
      });
    } finally {
      reader.close();
    }
  });
});

function articleTextFor(file: string): string {
  const index = Number(/article-(\d+)\.md$/.exec(file)?.[1]);
  return index % 97 === 0 ? 'not front matter at all' : articleText(frontMatter({ title: `Article ${index}`, sourceUrl: `https://news.example.com/${index}` }));
}
