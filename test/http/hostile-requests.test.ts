/**
 * Requests an attacker, a broken client or a fuzzer would send. The app must answer each one
 * with a 2xx, 3xx or 4xx (never 5xx), leak nothing (no file outside the snapshot, no stack
 * trace, no server path), keep its security headers, and stay up for the next request.
 *
 * Most cases go through supertest (no port). The ones Node's HTTP parser answers before Express
 * sees them (oversized headers, hundreds of headers) need a real server, on 127.0.0.1:0, and a
 * raw socket, because an HTTP client library would refuse to send them.
 */
import assert from 'node:assert/strict';
import { cp } from 'node:fs/promises';
import type { Server } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Express } from 'express';
import request from 'supertest';
import { buildFeeds } from '../../src/build/build-feeds.js';
import { FeedStore } from '../../src/http/feed-store.js';
import { createApp } from '../../src/http/app.js';
import { createHttpServer } from '../../src/http/create-server.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { testConfig } from '../helpers/config.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CONTENT = path.join(ROOT, 'content');

type Response = request.Response;

let store: FeedStore;
let app: Express;

before(async () => {
  const contentDir = path.join(await makeTempDir('hostile-content-'), 'content');
  const feedsDir = path.join(await makeTempDir('hostile-feeds-'), 'feeds');
  await cp(CONTENT, contentDir, { recursive: true });
  // Pages of 4, so archive/ and providers/ sub-folders exist to traverse out of.
  store = new FeedStore();
  store.publish(await buildFeeds({ config: testConfig(contentDir, feedsDir, { FEED_MAX_ITEMS: '4' }), logger: silentLogger }), new Date());
  app = createApp({ store, logger: silentLogger, cacheMaxAgeSeconds: 300 });
});

// ---------------------------------------------------------------- shared checks

/** Things no response may contain: a stack frame, a path on this machine, a dependency's name. */
function assertLeaksNothing(text: string, what: string): void {
  assert.doesNotMatch(text, /^\s*at /m, `${what}: stack frame in body`);
  assert.doesNotMatch(text, /\bat [^\s(]+ \(/, `${what}: stack frame in body`);
  assert.ok(!text.includes('/work/'), `${what}: '/work/' in body`);
  assert.ok(!text.includes(ROOT), `${what}: the repository path in body`);
  assert.ok(!text.includes('node_modules'), `${what}: 'node_modules' in body`);
  assert.ok(!text.includes('root:x:'), `${what}: /etc/passwd in body`);
  assert.ok(!text.includes('"name": "feed-syndication-service"'), `${what}: package.json in body`);
}

function assertSecurityHeaders(response: Response, what: string): void {
  assert.equal(response.headers['x-content-type-options'], 'nosniff', `${what}: X-Content-Type-Options`);
  const csp = response.headers['content-security-policy'] ?? '';
  assert.ok(csp.includes("default-src 'none'"), `${what}: CSP lacks default-src 'none': ${csp}`);
  assert.ok(csp.includes("frame-ancestors 'none'"), `${what}: CSP lacks frame-ancestors 'none': ${csp}`);
}

/** An error answer: 4xx, JSON {error: {code, message}} with strings, nothing leaked. */
function assertErrorResponse(response: Response, what: string): void {
  assert.ok(response.status >= 400 && response.status < 500, `${what}: expected a 4xx, got ${response.status}`);
  assert.match(response.headers['content-type'] ?? '', /^application\/json/, `${what}: content type`);
  const body = JSON.parse(response.text) as { error?: { code?: unknown; message?: unknown } };
  assert.equal(typeof body.error?.code, 'string', `${what}: error.code`);
  assert.equal(typeof body.error?.message, 'string', `${what}: error.message`);
  assert.deepEqual(Object.keys(body), ['error'], `${what}: only {error}`);
  assertLeaksNothing(response.text, what);
  assertSecurityHeaders(response, what);
}

/** Every answer: never a 5xx, security headers, nothing leaked; errors as JSON. */
function assertSafe(response: Response, what: string): void {
  assert.ok(response.status < 500, `${what}: got ${response.status} ${(response.text ?? '').slice(0, 200)}`);
  assertSecurityHeaders(response, what);
  if (response.status >= 400) assertErrorResponse(response, what);
  else assertLeaksNothing(response.text ?? '', what);
}

const identity = { 'Accept-Encoding': 'identity' };

// ---------------------------------------------------------------- paths

describe('hostile paths', () => {
  const traversals = [
    '/feeds/..%2f..%2fetc%2fpasswd',
    '/feeds/..%2F..%2F..%2F..%2Fetc%2Fpasswd',
    '/feeds/%2e%2e/%2e%2e/etc/passwd',
    '/feeds/%2e%2e%2f%2e%2e%2fpackage.json',
    '/feeds/%252e%252e%252f%252e%252e%252fpackage.json',
    '/feeds/..%252f..%252fetc%252fpasswd',
    '/feeds/..%5c..%5cwindows',
    '/feeds/..%5C..%5Cwindows%5Cwin.ini',
    '/feeds/..\\..\\package.json',
    '/feeds/archive/../../package.json',
    '/feeds/archive/..%2f..%2fpackage.json',
    '/feeds/providers/..%2F..%2Fpackage.json',
    '/feeds/providers/%2e%2e%2F%2e%2e%2Fpackage.json',
    '/feeds/.%2e/.%2e/package.json',
    '/feeds/%2fetc%2fpasswd',
    '/feeds//etc/passwd',
    '/feeds/ai.xml%00.json',
    '/feeds/ai.xml/..%2f..%2fpackage.json',
    '/feeds/%C0%AE%C0%AE%C0%AF%C0%AE%C0%AE%C0%AFpackage.json',
    '/feeds/__proto__',
    '/feeds/constructor',
    '/feeds/hasOwnProperty.xml',
    '/feeds/.feeds-manifest.json',
  ];
  for (const url of traversals) {
    it(`answers ${url} with a 4xx JSON error and leaks no file`, async () => {
      const response = await request(app).get(url).set(identity);
      assert.ok([400, 404].includes(response.status), `${url}: expected 400 or 404, got ${response.status}`);
      assertErrorResponse(response, url);
    });
  }

  it('answers a 10 000-character path with 404 or 414, never 5xx', async () => {
    for (const url of [`/feeds/${'a'.repeat(10_000)}.xml`, `/feeds/${'a/'.repeat(5_000)}ai.xml`, `/${'%2e'.repeat(3_334)}`]) {
      const response = await request(app).get(url).set(identity);
      assert.ok([404, 414].includes(response.status), `${url.length}-character path: got ${response.status}`);
      assertErrorResponse(response, `${url.slice(0, 20)}…`);
    }
  });

  it('answers a malformed percent-encoding with 400 JSON and no stack', async () => {
    for (const url of ['/feeds/%E0%A4%A', '/feeds/%', '/feeds/%zz.xml', '/feeds/archive/%E0%A4%A/1.xml']) {
      const response = await request(app).get(url).set(identity);
      assert.equal(response.status, 400, url);
      assertErrorResponse(response, url);
      assert.doesNotMatch(response.text, /URIError|decodeURIComponent|Failed to decode/, url);
    }
  });

  it('ignores a hostile query string', async () => {
    for (const query of ['?__proto__[polluted]=1', '?constructor[prototype][polluted]=1', `?${'a[b]'.repeat(500)}=1`, '?%E0%A4%A']) {
      const response = await request(app).get(`/feeds/ai.xml${query}`).set(identity);
      assert.equal(response.status, 200, query);
      assertSafe(response, query);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

// ---------------------------------------------------------------- methods

describe('methods other than GET and HEAD', () => {
  const methods = ['post', 'put', 'delete', 'patch', 'options'] as const;
  for (const url of ['/feeds/ai.xml', '/feeds/', '/feeds/archive/all/1.xml', '/feeds/nope.xml', '/healthz']) {
    for (const method of methods) {
      it(`answers ${method.toUpperCase()} ${url} with 405 and Allow: GET, HEAD`, async () => {
        const response = await request(app)[method](url).set(identity).send('x'.repeat(1000));
        assert.equal(response.status, 405);
        assert.equal(response.headers.allow, 'GET, HEAD');
        assertErrorResponse(response, `${method} ${url}`);
        assert.equal(JSON.parse(response.text).error.code, 'METHOD_NOT_ALLOWED');
      });
    }
  }

  it('answers HEAD of an unknown feed with 404 and no body', async () => {
    const response = await request(app).head('/feeds/nope.xml');
    assert.equal(response.status, 404);
    assertSecurityHeaders(response, 'HEAD 404');
    assert.equal(response.text ?? '', '');
  });
});

// ---------------------------------------------------------------- conditional headers

describe('malformed conditional headers', () => {
  let etag: string;
  let hash: string;
  let lastModified: number;

  before(async () => {
    const response = await request(app).get('/feeds/ai.xml').set(identity);
    etag = response.headers.etag ?? '';
    hash = etag.slice(1, -1);
    lastModified = Date.parse(response.headers['last-modified'] ?? '');
    assert.match(etag, /^"[A-Za-z0-9_-]+"$/);
    assert.ok(!Number.isNaN(lastModified));
  });

  const get = (headers: Record<string, string>) => request(app).get('/feeds/ai.xml').set({ ...identity, ...headers });

  /**
   * An oracle for If-None-Match written from RFC 9110 §13.1.2 and §8.8.3 (weak comparison): a 304
   * is justified only by `*` or a list member that is a quoted entity-tag with this file's hash
   * (any coding suffix: every coding has the same content, as the README says).
   */
  const inmJustifies = (value: string) =>
    value.trim() === '*' ||
    value.split(',').some((member) => {
      const match = /^\s*(?:W\/)?"([^"]*)"\s*$/.exec(member);
      return match !== null && match[1]!.replace(/\.(?:gzip|br)$/, '') === hash;
    });

  for (const [label, value] of [
    ['garbage', 'garbage'],
    ['an unclosed quote', '"abc'],
    ['the current hash with an unclosed quote', '"HASH'],
    ['the current hash unquoted', 'HASH'],
    ['the current hash with trailing garbage', '"HASH"garbage'],
    ["a bare 'W/'", 'W/'],
    ["'W/' with an unclosed quote", 'W/"HASH'],
    ['an empty value', ''],
    ['only commas', ', , ,'],
    ['a 5000-character tag', `"${'a'.repeat(4_998)}"`],
    ['a 5000-character list', Array.from({ length: 1_000 }, (_, i) => `"${i}"`).join(',').slice(0, 5_000)],
    ['a 5000-character value with the current tag at its end', `${'x'.repeat(5_000)}, "HASH"`],
    ['an unknown coding suffix', '"HASH.deflate"'],
    ['obs-text bytes', '"\u00ff\u00fe", W/"\u0080"'],
    ['the current tag, weak', 'W/"HASH"'],
    ['the current tag among garbage', 'garbage, "HASH", "unclosed'],
  ] as const) {
    it(`If-None-Match with ${label}: 200 or a justified 304, never 5xx`, async () => {
      const sent = value.replaceAll('HASH', hash);
      const response = await get({ 'If-None-Match': sent });
      assertSafe(response, label);
      assert.ok([200, 304].includes(response.status), `${label}: ${response.status}`);
      assert.equal(response.status, inmJustifies(sent) ? 304 : 200, `${label}: sent ${sent.slice(0, 80)}`);
    });
  }

  const MONTHS = 'Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec';
  const HTTP_DATE = [
    new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d{2} (?:${MONTHS}) \\d{4} \\d{2}:\\d{2}:\\d{2} GMT$`),
    new RegExp(`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \\d{2}-(?:${MONTHS})-\\d{2} \\d{2}:\\d{2}:\\d{2} GMT$`),
    new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:${MONTHS}) [ \\d]\\d \\d{2}:\\d{2}:\\d{2} \\d{4}$`),
  ];
  /**
   * RFC 9110 §13.1.3: a value that is not a valid HTTP-date (IMF-fixdate, or the obsolete RFC 850
   * and asctime forms) MUST be ignored; otherwise a 304 is justified when the representation was
   * last modified at or before the date.
   */
  const imsJustifies = (value: string) => HTTP_DATE.some((form) => form.test(value)) && lastModified <= Date.parse(value);

  for (const [label, value] of [
    ["'yesterday'", 'yesterday'],
    ['an empty value', ''],
    ['a date far in the future (IMF-fixdate)', 'Fri, 01 Jan 2100 00:00:00 GMT'],
    ['a date far in the past', 'Thu, 01 Jan 1970 00:00:00 GMT'],
    ['two dates', 'Fri, 01 Jan 2100 00:00:00 GMT, Sat, 02 Jan 2100 00:00:00 GMT'],
    ['a 5000-character value', 'Fri, 01 Jan 2100 00:00:00 GMT'.padEnd(5_000, 'x')],
    ['an impossible date', 'Mon, 99 Foo 2024 99:99:99 GMT'],
    ['a number', '-1'],
  ] as const) {
    it(`If-Modified-Since with ${label}: 200 or a justified 304, never 5xx`, async () => {
      const response = await get({ 'If-Modified-Since': value });
      assertSafe(response, label);
      assert.equal(response.status, imsJustifies(value) ? 304 : 200, `${label}: sent ${value.slice(0, 60)}`);
    });
  }

  // RFC 9110 §13.1.3: "A recipient MUST ignore the If-Modified-Since header field if the received
  // field value is not a valid HTTP-date". JavaScript's Date.parse reads far more than HTTP-dates.
  it('ignores an If-Modified-Since that is not an HTTP-date, however far in the future (RFC 9110 §13.1.3)', async () => {
    const wrong: string[] = [];
    for (const value of ['2100-01-01', '3000', 'Jan 1 2100', '2100-01-01T00:00:00Z']) {
      const response = await get({ 'If-Modified-Since': value });
      assertSafe(response, value);
      if (response.status !== 200) wrong.push(`If-Modified-Since: ${value} → ${response.status}`);
    }
    assert.deepEqual(wrong, [], 'not HTTP-dates, so they must be ignored (200), but were read as dates');
  });

  it('lets a malformed If-None-Match win over a matching If-Modified-Since (RFC 9110 §13.2.2)', async () => {
    const response = await get({ 'If-None-Match': '"unclosed', 'If-Modified-Since': 'Fri, 01 Jan 2100 00:00:00 GMT' });
    assertSafe(response, 'both');
    assert.equal(response.status, 200);
  });
});

// ---------------------------------------------------------------- every answer

describe('security headers on every response', () => {
  const cases: [string, () => request.Test][] = [
    ['a feed', () => request(app).get('/feeds/ai.xml').set(identity)],
    ['a feed, gzip', () => request(app).get('/feeds/ai.atom').set('Accept-Encoding', 'gzip')],
    ['a feed as a browser asks', () => request(app).get('/feeds/ai.xml').set({ Accept: 'text/html,*/*;q=0.8' })],
    ['a 304', () => request(app).get('/feeds/ai.xml').set({ ...identity, 'If-None-Match': '*' })],
    ['HEAD', () => request(app).head('/feeds/ai.json')],
    ['the index', () => request(app).get('/feeds/')],
    ['the root redirect', () => request(app).get('/').redirects(0)],
    ['healthz', () => request(app).get('/healthz')],
    ['a 404', () => request(app).get('/feeds/nope.xml')],
    ['a 404 outside /feeds/', () => request(app).get('/wp-admin/')],
    ['a 405', () => request(app).delete('/feeds/ai.xml')],
    ['a 400', () => request(app).get('/feeds/%E0%A4%A')],
  ];
  for (const [label, send] of cases) {
    it(`sends nosniff and a script-free, unframeable CSP on ${label}`, async () => {
      const response = await send();
      assertSafe(response, label);
    });
  }
});

// ---------------------------------------------------------------- raw requests on a real server

interface RawResponse {
  readonly status: number;
  readonly head: string;
  readonly body: Buffer;
}

/**
 * Sends `text` on a fresh connection and collects everything until the server closes it (the
 * requests say `Connection: close`), or fails after `timeoutMs`.
 */
function rawRequest(port: number, text: string | Buffer, timeoutMs = 5_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms; got ${Buffer.concat(chunks).toString('latin1').slice(0, 200)}`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      // A server may reset after answering; what it sent is still the answer.
      if (chunks.length === 0) {
        clearTimeout(timer);
        reject(error);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const head = (split === -1 ? all : all.subarray(0, split)).toString('latin1');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? NaN);
      resolve({ status, head, body: split === -1 ? Buffer.alloc(0) : all.subarray(split + 4) });
    });
    socket.write(text);
  });
}

describe('raw requests to a listening server', () => {
  let server: Server;
  let port: number;

  before(async () => {
    // The same server main.ts makes, with the default settings (and node:http's 16 KiB of
    // headers, 2000 headers).
    server = createHttpServer(app, loadConfig({}).http);
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
    port = (server.address() as net.AddressInfo).port;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const normal = 'GET /feeds/ai.xml HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n';

  async function assertStillServing(): Promise<void> {
    const response = await rawRequest(port, normal);
    assert.equal(response.status, 200, `the server no longer answers a normal request: ${response.head}`);
    assert.ok(response.body.length > 0);
  }

  it('answers a request with 500 custom headers, then still answers a normal one', async () => {
    const headers = Array.from({ length: 500 }, (_, i) => `X-Custom-${i}: value-${i}\r\n`).join('');
    const response = await rawRequest(port, `GET /feeds/ai.xml HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Connection: close\r\n\r\n`);
    assert.ok(response.status >= 200 && response.status < 500, `500 headers: ${response.head}`);
    assertLeaksNothing(response.body.toString('utf8'), '500 headers');
    await assertStillServing();
  });

  it('answers a header over 16 KB with 431, then still answers a normal one', async () => {
    const response = await rawRequest(port, `GET /feeds/ai.xml HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\nConnection: close\r\n\r\n`);
    assert.equal(response.status, 431, response.head);
    // Node's parser answers this one before the app runs: no body at all, or a JSON error.
    const body = response.body.toString('utf8');
    if (body.length > 0) JSON.parse(body);
    assertLeaksNothing(body, '431');
    await assertStillServing();
  });

  it('answers 20 KB spread over many headers with 431, then still answers a normal one', async () => {
    const headers = Array.from({ length: 200 }, (_, i) => `X-Part-${i}: ${'b'.repeat(100)}\r\n`).join('');
    const response = await rawRequest(port, `GET /feeds/ai.xml HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Connection: close\r\n\r\n`);
    assert.equal(response.status, 431, response.head);
    await assertStillServing();
  });

  it('answers garbage, an unknown method and a bad version with 4xx, then still answers a normal one', async () => {
    for (const text of [
      'HELLO\r\n\r\n',
      'FROB /feeds/ai.xml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      'GET /feeds/ai.xml HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n',
      'GET /feeds/ai.xml HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\nConnection: close\r\n\r\n',
      'GET /feeds/ai.xml HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc',
      Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x0d, 0x0a, 0x0d, 0x0a]),
    ]) {
      const response = await rawRequest(port, text);
      const what = JSON.stringify(text.toString().slice(0, 40));
      assert.ok(response.status >= 400 && response.status < 500, `${what}: ${response.head}`);
      assertLeaksNothing(response.body.toString('utf8'), what);
    }
    await assertStillServing();
  });

  // An open redirect: a request whose answer sends the browser to another site. Sent raw, as no
  // client library would send an absolute-form target or a backslash as it is.
  for (const [target, location] of [
    ['/feeds?//evil.example', '/feeds/?//evil.example'],
    ['/feeds?/\\evil.example/\\', '/feeds/?/\\evil.example/\\'],
    ['http://evil.example/feeds?x=1', '/feeds/?x=1'],
    ['//evil.example/feeds?x=1', undefined],
    ['/\\evil.example/feeds', undefined],
    ['/feeds#@evil.example?x=1', '/feeds/'],
    ['/?//evil.example', '/feeds/?//evil.example'],
    ['http://evil.example/?x=1', '/feeds/?x=1'],
  ] as const) {
    it(`does not redirect GET ${target} to another site${location ? `: Location ${location}` : ''}`, async () => {
      const response = await rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      const sent = /^location: (.*)$/im.exec(response.head)?.[1];
      assert.equal(sent, location, response.head);
      if (location) {
        assert.equal(response.status, target.includes('/feeds') ? 301 : 302);
        const resolved = new URL(location, 'http://feeds.test/');
        assert.deepEqual([resolved.origin, resolved.pathname], ['http://feeds.test', '/feeds/']);
      }
    });
  }

  it('answers a 10 000-character request line with 404 or 414 over a real socket', async () => {
    const response = await rawRequest(port, `GET /feeds/${'a'.repeat(10_000)}.xml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.ok([404, 414].includes(response.status), response.head);
    await assertStillServing();
  });
});
