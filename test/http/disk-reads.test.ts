/**
 * Files served from disk (archive pages, HTML pages, and every file on its first request after a
 * restart) are read without blocking the event loop: while one such read waits on the disk, other
 * requests are answered.
 *
 * The disk is made to wait for as long as the test says: the archive page is replaced by a named
 * pipe (FIFO) whose writer, a child process, sends the page's bytes only when told. A synchronous
 * read (readFileSync) would block the server's thread until then, so the other request could not
 * be answered first; the writer gives up waiting after 10 s, so such a bug fails the test instead
 * of hanging it.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, get, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/logger.js';
import { bundledStore } from '../helpers/bundled-store.js';

const PAGE = 'archive/all/1.xml';

let feedsDir: string;
let server: Server;
let port: number;

before(async () => {
  // Pages of 4, so there are archive pages, which the store serves from disk.
  const built = await bundledStore('disk-read', { FEED_MAX_ITEMS: '4' });
  feedsDir = built.feedsDir;
  const store = built.store;
  server = createServer(createApp({ store, logger: silentLogger, cacheMaxAgeSeconds: 300 }));
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly at: number;
}

function fetchRaw(urlPath: string, timeoutMs = 15_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port, path: urlPath, agent: false, headers: { 'Accept-Encoding': 'identity' }, timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks), at: performance.now() }));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer to ${urlPath} within ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}

/**
 * A child that opens `fifo` for writing (which waits for a reader), says `open`, and writes
 * `source`'s bytes once it reads a line on stdin, or after 10 s.
 */
const WRITER = `
const fs = require('node:fs');
const [fifo, source] = process.argv.slice(1);
const fd = fs.openSync(fifo, 'w');
process.stdout.write('open\\n');
let done = false;
const finish = () => { if (done) return; done = true; fs.writeSync(fd, fs.readFileSync(source)); fs.closeSync(fd); process.exit(0); };
process.stdin.once('data', finish);
setTimeout(finish, 10000).unref();
`;

describe('files served from disk', () => {
  it('answers another request while an archive page is still being read from disk', async (t) => {
    // Its ETag and bytes as a regular file first.
    const before = await fetchRaw(`/feeds/${PAGE}`);
    assert.equal(before.status, 200);
    const pagePath = path.join(feedsDir, ...PAGE.split('/'));
    const bytes = await readFile(pagePath);
    assert.ok(bytes.equals(before.body));
    const source = path.join(path.dirname(feedsDir), 'page-bytes');
    await writeFile(source, bytes);
    await rm(pagePath);
    try {
      execFileSync('mkfifo', [pagePath]);
    } catch (error) {
      if (process.env.CI === 'true') throw error;
      t.skip(`mkfifo is not available: ${String(error)}`);
      return;
    }
    const writer = spawn(process.execPath, ['-e', WRITER, pagePath, source], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const opened = new Promise<number>((resolve, reject) => {
        writer.stdout.once('data', () => resolve(performance.now()));
        writer.once('exit', (code) => reject(new Error(`the writer exited (${code}) before the server opened the page`)));
      });
      let pageDone: number | undefined;
      const page = fetchRaw(`/feeds/${PAGE}`).then((answer) => {
        pageDone = answer.at;
        return answer;
      });
      // The server has opened the page and waits for its bytes (the writer waits for us).
      await opened;
      const other = await fetchRaw('/feeds/ai.xml');
      assert.equal(other.status, 200);
      assert.ok(other.body.length > 0);
      assert.equal(pageDone, undefined, 'the archive page was answered before the other request: its read blocked the event loop until the writer gave up');
      writer.stdin.write('go\n');
      const answer = await page;
      assert.ok(answer.at > other.at);
      assert.equal(answer.status, 200);
      assert.ok(answer.body.equals(bytes), 'the page as written');
      assert.equal(answer.headers.etag, before.headers.etag, 'the same bytes, the same ETag');
    } finally {
      writer.kill();
      await rm(pagePath, { force: true });
      await writeFile(pagePath, bytes);
    }
  });
});
