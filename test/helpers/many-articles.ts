/**
 * Content with enough articles for the scan to share its reading with helper threads (and so to
 * see a stop between chunks), and the feed files a build made of it, for the tests of a build
 * stopped partway (build-stopped.ts) and resumed.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { articleText, frontMatter } from './articles.js';
import { everyFile } from './disk-faults.js';

const TOPICS = ['AI', 'Space', 'Climate', 'Health'];

/** `count` articles, an hour apart, over four topics, each title naming its number and `edition`. */
export async function writeManyArticles(dir: string, count: number, edition: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let index = 0; index < count; index++) {
    const fields = frontMatter({
      title: `Article ${index}, ${edition}`,
      sourceUrl: `https://news.example.com/${index}`,
      publishedDateTime: new Date(Date.UTC(2024, 0, 1) + index * 3_600_000).toISOString(),
      topics: [TOPICS[index % TOPICS.length]],
    });
    await writeFile(path.join(dir, `article-${String(index).padStart(5, '0')}.md`), articleText(fields, `Body of article ${index}.`));
  }
}

/** The feed files of a folder by name (not its hidden manifest, which records when each file was written). */
export function feedFiles(dir: string): Map<string, Buffer> {
  return new Map([...everyFile(dir)].filter(([name]) => !path.basename(name).startsWith('.')));
}

/** The same file names with the same bytes. */
export function assertSameFiles(actual: ReadonlyMap<string, Buffer>, expected: ReadonlyMap<string, Buffer>, what: string): void {
  assert.deepEqual([...actual.keys()], [...expected.keys()], `${what}: other file names`);
  for (const [name, bytes] of expected) assert.ok(actual.get(name)!.equals(bytes), `${what}: ${name} differs`);
}

/**
 * Resolves once a build into `stateDir` is reading: its scan's threads have stored entries (with
 * archives, the default, each is rendered as its file is parsed). Fails after `timeoutMs`.
 */
export async function untilEntriesStored(stateDir: string, timeoutMs = 60_000): Promise<void> {
  const cacheDir = path.join(stateDir, 'cache');
  const deadline = Date.now() + timeoutMs;
  while (!(existsSync(cacheDir) && readdirSync(cacheDir).some((name) => name.endsWith('.bin') && statSync(path.join(cacheDir, name)).size > 0))) {
    assert.ok(Date.now() < deadline, `no entry stored in ${cacheDir} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
