/**
 * The feeds' icon and logo: named in every format (atom:icon and atom:logo, RSS <image> with the
 * channel's title and link, JSON Feed icon and favicon, the HTML page's rel="icon"), and by default
 * served by the service itself as PNG, decoded here by Python's zlib (not the code that wrote it).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it, type TestContext } from 'node:test';
import type { Express } from 'express';
import { DomUtils, parseDocument } from 'htmlparser2';
import Parser from 'rss-parser';
import request from 'supertest';
import { buildFeeds } from '../../src/build/build-feeds.js';
import { createApp } from '../../src/http/app.js';
import { FeedStore } from '../../src/http/feed-store.js';
import { silentLogger } from '../../src/logger.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { testConfig } from '../helpers/config.js';
import { bufferParser } from '../helpers/http.js';
import { assertValidJsonFeed } from '../helpers/json-feed-schema.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { parseXmlDocument, textOf } from '../helpers/xml.js';

const BASE = 'https://feeds.example.org';
const PYTHON = '/usr/bin/python3';

/** Reads a PNG with Python's zlib and struct: every chunk's CRC, IHDR, and the inflated rows. */
const DECODE_PNG = `
import json, struct, sys, zlib
data = sys.stdin.buffer.read()
assert data[:8] == b"\\x89PNG\\r\\n\\x1a\\n", "no PNG signature"
pos, chunks, idat = 8, [], b""
while pos < len(data):
    (length,) = struct.unpack(">I", data[pos:pos + 4])
    kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
    (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
    assert zlib.crc32(kind + body) == crc, "bad CRC in " + kind.decode()
    chunks.append(kind.decode())
    if kind == b"IHDR":
        width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
    if kind == b"IDAT":
        idat += body
    pos += 12 + length
rows = zlib.decompress(idat)
stride = 1 + width * 4
assert len(rows) == height * stride, "wrong amount of pixel data"
alpha = [rows[y * stride + 1 + x * 4 + 3] for y in range(height) for x in range(width)]
print(json.dumps({"chunks": chunks, "width": width, "height": height, "depth": depth, "colour": colour,
                  "interlace": interlace, "opaque": sum(1 for a in alpha if a == 255) / len(alpha)}))
`;

interface PngReading {
  chunks: string[];
  width: number;
  height: number;
  depth: number;
  colour: number;
  interlace: number;
  opaque: number;
}

function decodePng(bytes: Buffer): Promise<PngReading> {
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, ['-c', DECODE_PNG], { timeout: 30_000, encoding: 'utf8' }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as PngReading),
    );
    child.stdin?.end(bytes);
  });
}

async function missingPython(t: TestContext): Promise<boolean> {
  const present = await access(PYTHON).then(() => true, () => false);
  if (present) return false;
  if (process.env.CI === 'true') assert.fail(`${PYTHON} is missing (CI must decode the icon)`);
  t.skip(`${PYTHON} is missing, so the PNG cannot be decoded`);
  return true;
}

/** The app main.ts makes, serving a build of one article under `env`. */
async function served(env: Record<string, string> = {}): Promise<Express> {
  const contentDir = await makeTempDir('images-content-');
  await writeFile(path.join(contentDir, 'one.md'), articleText(frontMatter()));
  const config = testConfig(contentDir, path.join(await makeTempDir('images-feeds-'), 'feeds'), env);
  const store = new FeedStore();
  store.publish(await buildFeeds({ config, logger: silentLogger, clock: () => new Date('2025-03-01T00:00:00Z') }), new Date('2025-03-01T00:00:00Z'));
  return createApp({ store, logger: silentLogger, cacheMaxAgeSeconds: config.cacheMaxAgeSeconds });
}

async function get(app: Express, url: string): Promise<{ type: string | undefined; body: Buffer }> {
  const response = await request(app).get(new URL(url, BASE).pathname).set('Accept-Encoding', 'identity').buffer(true).parse(bufferParser);
  assert.equal(response.status, 200, url);
  return { type: response.headers['content-type'], body: response.body as Buffer };
}

/** Where each format says the icon and logo are, read with other people's parsers. */
async function namedImages(app: Express) {
  const rssText = (await get(app, '/feeds/all.xml')).body.toString('utf8');
  const channel = parseXmlDocument(rssText).rss.channel;
  const rssParser = (await new Parser().parseString(rssText)) as { image?: { url?: string; title?: string; link?: string } };
  const atom = parseXmlDocument((await get(app, '/feeds/all.atom')).body.toString('utf8')).feed;
  const json = JSON.parse((await get(app, '/feeds/all.json')).body.toString('utf8'));
  const page = parseDocument((await get(app, '/feeds/all.html')).body.toString('utf8'));
  const pageIcons = DomUtils.findAll((element) => element.name === 'link' && element.attribs.rel === 'icon', page.children).map((link) => link.attribs.href);
  const index = parseDocument((await get(app, '/feeds/index.html')).body.toString('utf8'));
  const indexIcons = DomUtils.findAll((element) => element.name === 'link' && element.attribs.rel === 'icon', index.children).map((link) => link.attribs.href);
  return { channel, rssParser, atom, json, pageIcons, indexIcons };
}

describe('the feed icon and logo', () => {
  let app: Express;
  let images: Awaited<ReturnType<typeof namedImages>>;
  before(async () => {
    app = await served();
    images = await namedImages(app);
  });

  it('RSS: <image> with the icon, and the channel\'s own title and link (RSS 2.0 requires both to match)', () => {
    const { channel, rssParser } = images;
    assert.deepEqual(
      [textOf(channel.image?.url), textOf(channel.image?.title), textOf(channel.image?.link)],
      [`${BASE}/feeds/icon.png`, textOf(channel.title), textOf(channel.link)],
    );
    assert.equal(rssParser.image?.url, `${BASE}/feeds/icon.png`);
  });

  it('Atom: icon and logo', () => {
    assert.deepEqual([textOf(images.atom.icon), textOf(images.atom.logo)], [`${BASE}/feeds/icon.png`, `${BASE}/feeds/logo.png`]);
  });

  it('JSON Feed: icon and favicon, and the feed stays valid JSON Feed 1.1', () => {
    assert.deepEqual([images.json.icon, images.json.favicon], [`${BASE}/feeds/icon.png`, `${BASE}/feeds/icon.png`]);
    assertValidJsonFeed(images.json);
  });

  it('HTML: the feed page and the index name the icon', () => {
    assert.deepEqual([images.pageIcons, images.indexIcons], [[`${BASE}/feeds/icon.png`], [`${BASE}/feeds/icon.png`]]);
  });

  it('serves the icon as a square PNG and the logo as a 2:1 PNG, both decodable', async (t) => {
    if (await missingPython(t)) return;
    const icon = await get(app, textOf(images.atom.icon)!);
    const logo = await get(app, textOf(images.atom.logo)!);
    assert.deepEqual([icon.type, logo.type], ['image/png', 'image/png']);
    const [iconPng, logoPng] = await Promise.all([decodePng(icon.body), decodePng(logo.body)]);
    for (const png of [iconPng, logoPng]) {
      assert.deepEqual([png.chunks, png.depth, png.colour, png.interlace], [['IHDR', 'IDAT', 'IEND'], 8, 6, 0]);
      assert.ok(png.opaque > 0.5, 'mostly opaque: a drawn image, not a blank one');
    }
    assert.deepEqual([iconPng.width, iconPng.height, logoPng.width, logoPng.height], [256, 256, 256, 128]);
  });

  it('names the images FEED_ICON_URL and FEED_LOGO_URL give instead', async () => {
    const named = await namedImages(await served({ FEED_ICON_URL: 'https://cdn.example.com/i.png', FEED_LOGO_URL: 'https://cdn.example.com/l.png' }));
    assert.deepEqual(
      [textOf(named.channel.image?.url), textOf(named.atom.icon), textOf(named.atom.logo), named.json.icon, named.json.favicon, named.pageIcons],
      ['https://cdn.example.com/i.png', 'https://cdn.example.com/i.png', 'https://cdn.example.com/l.png', 'https://cdn.example.com/i.png', 'https://cdn.example.com/i.png', ['https://cdn.example.com/i.png']],
    );
  });
});
