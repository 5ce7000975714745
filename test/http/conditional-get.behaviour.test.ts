/**
 * If-None-Match as a reader's cache sends it (RFC 9110 §13.1.2, weak comparison §8.8.3.2): only
 * the whole entity-tag of the served bytes, strong or weak, alone or in a list, earns a 304.
 * Anything that merely shares a prefix with it (an empty tag, a shortened one, a longer one) is
 * another tag and gets the full body. Every value sent is made from the ETag header the server
 * itself sent, not from its hashing or parsing rules.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { Express } from 'express';
import request from 'supertest';
import { buildFeeds } from '../../src/build/build-feeds.js';
import { FeedStore } from '../../src/http/feed-store.js';
import { createApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/logger.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { testConfig } from '../helpers/config.js';
import { bufferParser } from '../helpers/http.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const FEED = '/feeds/all.atom';

describe('If-None-Match on a feed', () => {
  let app: Express;
  /** The ETag header of an unconditional GET, and the body it came with. */
  let etag: string;
  let body: Buffer;

  before(async () => {
    const contentDir = await makeTempDir('inm-content-');
    await writeFile(path.join(contentDir, 'one.md'), articleText(frontMatter({ title: 'One', sourceUrl: 'https://news.example.com/one' })));
    const config = testConfig(contentDir, path.join(await makeTempDir('inm-feeds-'), 'feeds'));
    const store = new FeedStore();
    store.publish(await buildFeeds({ config, logger: silentLogger, clock: () => new Date('2025-03-01T00:00:00Z') }), new Date('2025-03-01T00:00:00Z'));
    app = createApp({ store, logger: silentLogger, cacheMaxAgeSeconds: 300 });
    const first = await get();
    assert.equal(first.status, 200);
    etag = first.headers.etag ?? '';
    body = first.body as Buffer;
    assert.match(etag, /^"[^"]{8,}"$/, 'a strong, quoted ETag long enough to shorten');
    assert.ok(body.length > 0);
  });

  function get(ifNoneMatch?: string) {
    const pending = request(app).get(FEED).set('Accept-Encoding', 'identity');
    if (ifNoneMatch !== undefined) pending.set('If-None-Match', ifNoneMatch);
    return pending.buffer(true).parse(bufferParser);
  }

  /** The opaque part of the served ETag, between its quotes. */
  const opaque = () => etag.slice(1, -1);

  async function assertFullResponse(ifNoneMatch: string): Promise<void> {
    const response = await get(ifNoneMatch);
    assert.equal(response.status, 200, `If-None-Match: ${ifNoneMatch}`);
    assert.ok((response.body as Buffer).equals(body), 'the whole body');
    assert.equal(response.headers.etag, etag);
  }

  async function assertNotModified(ifNoneMatch: string): Promise<void> {
    const response = await get(ifNoneMatch);
    assert.equal(response.status, 304, `If-None-Match: ${ifNoneMatch}`);
    assert.equal((response.body as Buffer).length, 0, 'no body');
    assert.equal(response.headers.etag, etag);
  }

  describe('answers 200 with the whole body to a tag that only shares a prefix with the ETag', () => {
    it('the empty tag ""', async () => {
      await assertFullResponse('""');
    });

    it('the weak empty tag W/""', async () => {
      await assertFullResponse('W/""');
    });

    it('the ETag without its last three characters', async () => {
      await assertFullResponse(`"${opaque().slice(0, -3)}"`);
    });

    it('the ETag without its last character, in weak form', async () => {
      await assertFullResponse(`W/"${opaque().slice(0, -1)}"`);
    });

    it('the first character of the ETag alone', async () => {
      await assertFullResponse(`"${opaque().slice(0, 1)}"`);
    });

    it('the ETag with extra characters at its end', async () => {
      await assertFullResponse(`"${opaque()}x"`);
    });

    it('the ETag with extra characters at its start', async () => {
      await assertFullResponse(`"x${opaque()}"`);
    });

    it('a list of shortened and lengthened forms of the ETag', async () => {
      await assertFullResponse(`"", "${opaque().slice(0, -3)}", W/"${opaque()}0"`);
    });
  });

  describe('answers 304 with no body to the ETag itself', () => {
    it('exactly as it was sent', async () => {
      await assertNotModified(etag);
    });

    it('in its weak form W/"…"', async () => {
      await assertNotModified(`W/${etag}`);
    });

    it('as the last member of a list', async () => {
      await assertNotModified(`"", "${opaque().slice(0, -3)}", ${etag}`);
    });

    it('as the first member of a list', async () => {
      await assertNotModified(`${etag}, W/""`);
    });
  });
});
