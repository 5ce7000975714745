/**
 * The W3C Feed Validation Service's checker (test/helpers/w3c-feed-check.ts) over every RSS and
 * Atom file the real build writes, archive, provider and category pages included, from the bundled
 * content/ and from test/fixtures/hostile/, each with the default page size and with small pages
 * (so archive pages are written): not one error or warning.
 *
 * One finding is set aside, checked to be exactly what it is and nothing more: "Two entries with
 * the same value for atom:updated", two articles published in the same second (the issue sets it
 * aside: the dates are the articles' own). "Archive incomplete", which the validator gives an
 * archive page with neither a prev-archive nor a next-archive link (what RFC 5005 gives a feed's
 * only page), is not: a feed's first archive is two pages (feed-documents.ts), and the builds
 * with small pages below write feeds whose archive is just that pair.
 * A build that announces deleted entries (RFC 6721) gets "Use of unknown namespace" for the
 * tombstones namespace on exactly the feeds that announce one: the validator predates RFC 6721.
 */
import assert from 'node:assert/strict';
import { copyFile, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildFeeds } from '../../src/build/build-feeds.js';
import { silentLogger } from '../../src/logger.js';
import { testConfig } from '../helpers/config.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { missingW3cFeedCheck, w3cFindings, type W3cFinding } from '../helpers/w3c-feed-check.js';

const CONTENT = fileURLToPath(new URL('../../content/', import.meta.url));
const HOSTILE = fileURLToPath(new URL('../fixtures/hostile/', import.meta.url));
const CLOCK = () => new Date('2026-11-25T00:00:00Z');

const SAME_SECOND = 'Two entries with the same value for atom:updated';
const TOMBSTONES = 'Use of unknown namespace: http://purl.org/atompub/tombstones/1.0';

/** Every RSS and Atom file below `dir`, absolute, sub-folders included. */
async function feedFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && /\.(xml|atom)$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/** Builds `contentDir` with `env` into a new folder and returns its RSS and Atom files. */
async function build(contentDir: string, env: Record<string, string>): Promise<string[]> {
  const feedsDir = await makeTempDir('w3c-feeds-');
  const result = await buildFeeds({ config: testConfig(contentDir, feedsDir, env), logger: silentLogger, clock: CLOCK });
  assert.deepEqual(result.report.problems, []);
  return feedFiles(feedsDir);
}

/** The findings left once the one set aside is taken out. */
function unexplained(findings: readonly W3cFinding[]): string[] {
  const left: string[] = [];
  for (const finding of findings) {
    if (finding.message === SAME_SECOND && finding.file.endsWith('.atom')) continue;
    left.push(`${finding.file}:${finding.line}: ${finding.message}`);
  }
  return left;
}

const BUILDS: readonly { readonly name: string; readonly dir: string; readonly env: Readonly<Record<string, string>> }[] = [
  { name: 'the bundled content', dir: CONTENT, env: {} },
  { name: 'the bundled content in pages of 3 (archive pages)', dir: CONTENT, env: { FEED_MAX_ITEMS: '3' } },
  { name: 'the hostile fixtures', dir: HOSTILE, env: {} },
  { name: 'the hostile fixtures in pages of 4 (archive pages)', dir: HOSTILE, env: { FEED_MAX_ITEMS: '4' } },
];

describe('the W3C Feed Validation Service on every RSS and Atom file a build writes', () => {
  for (const { name, dir, env } of BUILDS) {
    it(`reports nothing on ${name}`, async (t) => {
      if (await missingW3cFeedCheck(t)) return;
      const files = await build(dir, env);
      assert.ok(files.some((file) => file.includes(`${path.sep}providers${path.sep}`)) && files.some((file) => file.includes(`${path.sep}categories${path.sep}`)));
      if (env.FEED_MAX_ITEMS) {
        // Feeds whose archive is its first two pages only: what a single page was before.
        const pagesOf = new Map<string, number>();
        for (const file of files.filter((file) => file.endsWith('.atom') && file.includes(`${path.sep}archive${path.sep}`))) pagesOf.set(path.dirname(file), (pagesOf.get(path.dirname(file)) ?? 0) + 1);
        assert.ok([...pagesOf.values()].includes(2), 'a feed with an archive of two pages was written');
      }
      const findings = await w3cFindings(files);
      assert.deepEqual(unexplained(findings), []);
      t.diagnostic(`${files.length} files checked; set aside: ${findings.filter((f) => f.message === SAME_SECOND).length} same-second`);
    });
  }

  it('reports only the tombstones namespace, and only on the feeds that announce a deleted entry', async (t) => {
    if (await missingW3cFeedCheck(t)) return;
    const contentDir = await makeTempDir('w3c-content-');
    for (const file of await readdir(HOSTILE)) await copyFile(path.join(HOSTILE, file), path.join(contentDir, file));
    const feedsDir = await makeTempDir('w3c-feeds-');
    const config = testConfig(contentDir, feedsDir);
    await buildFeeds({ config, logger: silentLogger, clock: () => new Date('2026-11-24T00:00:00Z') });
    await rm(path.join(contentDir, 'cjk.md'));
    await buildFeeds({ config, logger: silentLogger, clock: CLOCK });
    const files = await feedFiles(feedsDir);
    const announcing: string[] = [];
    for (const file of files) if ((await readFile(file, 'utf8')).includes('<at:deleted-entry ')) announcing.push(file);
    assert.ok(announcing.length > 0, 'the build announces the deleted article');
    const findings = await w3cFindings(files);
    assert.deepEqual(unexplained(findings.filter((finding) => finding.message !== TOMBSTONES)), []);
    assert.deepEqual([...new Set(findings.filter((finding) => finding.message === TOMBSTONES).map((finding) => finding.file))].sort(), announcing);
  });
});
