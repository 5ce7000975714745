import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { parseArticle } from '../../src/content/parse-article.js';
import type { Problem } from '../../src/content/problems.js';
import { readAndParseAll, type ParsedFile } from '../../src/build/parse-threads.js';
import { listContent } from '../../src/content/read-content.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('readAndParseAll: a cold build spread over threads', () => {
  const COUNT = 2101; // above the threshold at which helper threads start
  let root: string;
  let results: (ParsedFile | Problem | undefined)[];
  let candidates: ReturnType<typeof listContent>['candidates'];

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
    results = await readAndParseAll(root, candidates, 1024 * 1024, 2);
  });

  it('returns one result per candidate, in candidate order', () => {
    assert.equal(results.length, candidates.length);
    results.forEach((result, index) => {
      const expected = candidates[index]!.relative.split(path.sep).join('/');
      assert.equal(result?.file, expected);
    });
  });

  it('parses each file exactly as a single thread would', () => {
    for (const result of results) {
      if (!result || 'issues' in result) continue;
      const again = parseArticle(articleTextFor(result.file), result.file);
      assert.equal(result.parsed.ok, again.ok, result.file);
      if (result.parsed.ok && again.ok) {
        assert.equal(result.parsed.article.title, again.article.title);
        assert.equal(result.parsed.article.publishedDateTime.getTime(), again.article.publishedDateTime.getTime(), 'Dates survive the thread boundary');
      }
    }
  });

  it('reports the files it cannot use, from every thread', () => {
    const problems = results.filter((result): result is Problem => result !== undefined && 'issues' in result);
    assert.deepEqual(problems.map((problem) => problem.file), ['notes.txt']);
    const invalid = results.filter((result) => result && !('issues' in result) && !result.parsed.ok);
    assert.equal(invalid.length, Math.ceil(COUNT / 97));
  });
});

function articleTextFor(file: string): string {
  const index = Number(/article-(\d+)\.md$/.exec(file)?.[1]);
  return index % 97 === 0 ? 'not front matter at all' : articleText(frontMatter({ title: `Article ${index}`, sourceUrl: `https://news.example.com/${index}` }));
}
