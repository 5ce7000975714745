/**
 * newsboat (Debian's `newsboat`, a terminal feed reader) subscribed to the served RSS and Atom
 * feeds of the bundled content and of the hostile fixtures, run headless (`-x reload`) against the
 * app on 127.0.0.1, its sqlite cache read with Python's sqlite3: every entry, with the title, link,
 * id, author and date the JSON Feed of the same name gives. newsboat 2.21 (Debian 12) reads no
 * JSON Feed ("XML root node is NULL"). .ci/run installs newsboat; without it this is skipped
 * outside CI.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildFeeds } from '../../src/build/build-feeds.js';
import { createApp } from '../../src/http/app.js';
import { FeedStore } from '../../src/http/feed-store.js';
import { silentLogger } from '../../src/logger.js';
import { testConfig } from '../helpers/config.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const PYTHON = '/usr/bin/python3';
const NOW = new Date('2026-11-25T00:00:00Z');
const CORPORA = [
  ['the bundled content', fileURLToPath(new URL('../../content/', import.meta.url))],
  ['the hostile fixtures', fileURLToPath(new URL('../fixtures/hostile/', import.meta.url))],
] as const;

/** What newsboat stored of each item, by Python's sqlite3. */
const READ_CACHE = `
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
feeds = [dict(zip(("url", "title", "link"), row)) for row in db.execute("select rssurl, title, url from rss_feed")]
items = [dict(zip(("id", "title", "link", "author", "date"), row)) for row in db.execute("select guid, title, url, author, pubDate from rss_item")]
print(json.dumps({"feeds": feeds, "items": items}))
`;

interface Reading {
  readonly id: string;
  readonly title: string;
  readonly link: string;
  readonly author: string;
  readonly date: number;
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 60_000, env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

let available: Promise<boolean> | undefined;
async function missingNewsboat(t: TestContext): Promise<boolean> {
  available ??= run('newsboat', ['--version']).then(
    (result) => result.code === 0,
    () => false,
  );
  if (await available) return false;
  if (process.env.CI === 'true') assert.fail('newsboat is not installed (CI must run this check; .ci/run installs it)');
  t.skip('newsboat is not installed; .ci/run installs it');
  return true;
}

/** newsboat's reading of one feed URL: one reload in a fresh HOME and cache. */
async function newsboatReads(url: string): Promise<{ feeds: { url: string; title: string; link: string }[]; items: Reading[] }> {
  const home = await makeTempDir('newsboat-home-');
  await writeFile(path.join(home, 'urls'), `${url}\n`);
  await writeFile(path.join(home, 'config'), '');
  const cache = path.join(home, 'cache.db');
  const reload = await run('newsboat', ['-u', path.join(home, 'urls'), '-C', path.join(home, 'config'), '-c', cache, '-x', 'reload'], { ...process.env, HOME: home, XDG_CONFIG_HOME: home, XDG_DATA_HOME: home });
  assert.equal(reload.code, 0, `newsboat -x reload: ${reload.stderr}`);
  const read = await run(PYTHON, ['-c', READ_CACHE, cache]);
  assert.equal(read.code, 0, read.stderr);
  return JSON.parse(read.stdout);
}

for (const [name, contentDir] of CORPORA) {
  describe(`newsboat reading the served feeds of ${name}`, () => {
    let server: Server;
    let base: string;
    let expected: Reading[];
    let feedTitle: string;

    before(async () => {
      const config = testConfig(contentDir, path.join(await makeTempDir('newsboat-feeds-'), 'feeds'));
      const store = new FeedStore();
      const build = await buildFeeds({ config, logger: silentLogger, clock: () => NOW });
      store.publish(build, NOW);
      const app = createApp({ store, logger: silentLogger, cacheMaxAgeSeconds: config.cacheMaxAgeSeconds });
      server = await new Promise<Server>((resolve) => {
        const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
      });
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const json = (await (await fetch(`${base}/feeds/all.json`, { signal: AbortSignal.timeout(10_000) })).json()) as { title: string; items: Record<string, any>[] };
      feedTitle = json.title;
      expected = json.items
        .map((item) => ({ id: item.id, title: item.title, link: item.url, author: item.authors?.[0]?.name ?? '', date: Date.parse(item.date_published) / 1000 }))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      assert.ok(expected.length > 5);
    });

    after(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

    for (const file of ['all.xml', 'all.atom']) {
      it(`${file}: every entry, with the JSON Feed's title, link, id, author and date`, async (t) => {
        if (await missingNewsboat(t)) return;
        const read = await newsboatReads(`${base}/feeds/${file}`);
        assert.deepEqual(read.feeds.map((feed) => feed.title), [feedTitle]);
        assert.deepEqual([...read.items].sort((a, b) => (a.id < b.id ? -1 : 1)), expected);
      });
    }
  });
}
