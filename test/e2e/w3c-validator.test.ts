/**
 * The W3C Feed Validation Service's checker (test/helpers/w3c-feed-check.ts) over every RSS and
 * Atom file the real build writes, archive, provider and category pages included, from the bundled
 * content/ and from test/fixtures/hostile/, each with the default page size and with small pages
 * (so archive pages are written): not one error or warning.
 *
 * Two findings are set aside, each checked to be exactly what it is and nothing more:
 * - "Two entries with the same value for atom:updated": two articles published in the same second
 *   (the issue sets it aside: the dates are the articles' own).
 * - "Archive incomplete" on a feed's only archive page: RFC 5005 §4 wants prev-archive only when
 *   an older archive page exists and next-archive only when a newer one does, so the only page has
 *   neither; the validator expects one of them or fh:complete (which would be false).
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
import { listOf, parseXmlDocument } from '../helpers/xml.js';

const CONTENT = fileURLToPath(new URL('../../content/', import.meta.url));
const HOSTILE = fileURLToPath(new URL('../fixtures/hostile/', import.meta.url));
const CLOCK = () => new Date('2026-11-25T00:00:00Z');

const SAME_SECOND = 'Two entries with the same value for atom:updated';
const ARCHIVE_INCOMPLETE = 'Archive incomplete';
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

/** Whether `file` is an Atom archive page (fh:archive) with neither prev-archive nor next-archive. */
async function isOnlyArchivePage(file: string): Promise<boolean> {
  const feed = parseXmlDocument(await readFile(file, 'utf8')).feed;
  if (!feed || feed['fh:archive'] === undefined) return false;
  return !listOf(feed.link).some((link) => link['@_rel'] === 'prev-archive' || link['@_rel'] === 'next-archive');
}

/** The findings left once the two set aside are taken out; fails if one of those is not what it should be. */
async function unexplained(findings: readonly W3cFinding[]): Promise<string[]> {
  const left: string[] = [];
  for (const finding of findings) {
    if (finding.message === SAME_SECOND && finding.file.endsWith('.atom')) continue;
    if (finding.message === ARCHIVE_INCOMPLETE && (await isOnlyArchivePage(finding.file))) continue;
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
      if (env.FEED_MAX_ITEMS) assert.ok(files.some((file) => file.includes(`${path.sep}archive${path.sep}`)), 'archive pages were written');
      const findings = await w3cFindings(files);
      assert.deepEqual(await unexplained(findings), []);
      t.diagnostic(`${files.length} files checked; set aside: ${findings.filter((f) => f.message === SAME_SECOND).length} same-second, ${findings.filter((f) => f.message === ARCHIVE_INCOMPLETE).length} only-archive-page`);
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
    assert.deepEqual(await unexplained(findings.filter((finding) => finding.message !== TOMBSTONES)), []);
    assert.deepEqual([...new Set(findings.filter((finding) => finding.message === TOMBSTONES).map((finding) => finding.file))].sort(), announcing);
  });
});
