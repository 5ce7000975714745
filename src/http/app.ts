import Negotiator from 'negotiator';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { BROWSER_FILES, FEED_FORMATS, INDEX_FILES } from '../render/feed-formats.js';
import type { FeedStore } from './feed-store.js';
import type { Logger } from '../logger.js';
import { evaluateConditions, type ConditionalAnswer } from './conditional-get.js';
import { readFile } from 'node:fs/promises';
import { contentHash } from '../build/write-feeds.js';
import { browserViewTag, etagFor, type ContentCoding, type DiskFile, type MemoryFile, type ServedFile } from './feed-snapshot.js';
import { clientKey, FullResponseLimiter, type FullResponseLimit } from './full-response-limiter.js';
import type { TrustProxy } from '../config.js';
import { memoized } from '../memoized.js';
import type { ServiceMetrics } from './service-metrics.js';
import { hasBearerToken } from './bearer-token.js';
import { withoutAcceptExtensions } from './accept-extensions.js';

export interface AppOptions {
  readonly store: FeedStore;
  readonly logger: Logger;
  /** Cache-Control max-age for feeds, in seconds. */
  readonly cacheMaxAgeSeconds: number;
  /** Cache-Control max-age for RFC 5005 archive pages, which change only if old content does. */
  readonly archiveCacheMaxAgeSeconds?: number;
  /** At most this many full (200) responses per client and window; undefined (the default): no limit. */
  readonly fullResponseLimit?: FullResponseLimit;
  /** Express's 'trust proxy': whether a client's address is read from X-Forwarded-For (default: never). */
  readonly trustProxy?: TrustProxy;
  /** Whether the content watcher hears of changes now; undefined: the watcher is off (WATCH_CONTENT=false). */
  readonly watchingContent?: () => boolean;
  /** Served at /metrics (Prometheus's text format); undefined: /metrics is 404 (METRICS=false). */
  readonly metrics?: ServiceMetrics;
  /** When set, /metrics answers only `Authorization: Bearer <metricsToken>`, and 401 to any other request. */
  readonly metricsToken?: string;
}

const ALLOWED_METHODS = 'GET, HEAD';

/**
 * Nothing on these pages runs script, loads from elsewhere (but images), or may be framed; the
 * one stylesheet is ours. Sent with every response: the feed pages, the XSL view and the JSON.
 */
const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'self'; img-src http: https:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

/**
 * A browser fetches the XSL stylesheet a feed links under the script directives (CSP 3 treats
 * XSLT as a script destination), so the XML view alone may load scripts from this origin: only
 * feed.xsl is ever linked, and no page has script.
 */
const XML_VIEW_CSP = SECURITY_HEADERS['Content-Security-Policy'].replace("default-src 'none';", "default-src 'none'; script-src 'self';");

/**
 * A content type as offered to Negotiator, with every parameter the file satisfies. Negotiator
 * matches an Accept range that names parameters only when the offered type has each of them, so
 * `application/atom+xml; charset=utf-8` and RFC 5023's `application/atom+xml;type=feed` (§12.1)
 * match an Atom feed, while `type=entry` or another charset do not.
 */
function negotiableType(contentType: string): string {
  return contentType === FEED_FORMATS.atom.contentType ? `${contentType}; type=feed` : contentType;
}

/** The type of the browser view of an RSS or Atom feed: browsers apply XSL only to XML types. */
const XML_VIEW_CONTENT_TYPE = 'application/xml; charset=utf-8';

/** The feed formats a reader can ask for on /feeds/<path>, as [negotiable type, file extension]. */
const NEGOTIABLE = [
  [negotiableType(FEED_FORMATS.rss.contentType), FEED_FORMATS.rss.extension],
  [negotiableType(FEED_FORMATS.atom.contentType), FEED_FORMATS.atom.extension],
  [negotiableType(FEED_FORMATS.json.contentType), FEED_FORMATS.json.extension],
  ['application/json; charset=utf-8', FEED_FORMATS.json.extension],
  [negotiableType(BROWSER_FILES.html.contentType), BROWSER_FILES.html.extension],
] as const;

const NEGOTIABLE_TYPES = NEGOTIABLE.map(([type]) => type);

/** The extension of the format an Accept header picks (RSS when it accepts none), memoized by header. */
const negotiatedExtension = memoized((accept: string): string => {
  const type = mediaTypeFor(accept, NEGOTIABLE_TYPES);
  return NEGOTIABLE.find(([offered]) => offered === type)?.[1] ?? FEED_FORMATS.rss.extension;
});

/** The type of `offered` that an Accept header prefers, if it accepts any, its accept-extensions set aside. */
function mediaTypeFor(accept: string, offered: string[]): string | undefined {
  return new Negotiator({ headers: { accept: withoutAcceptExtensions(accept) } }).mediaType(offered);
}

/**
 * The Express app: serves the store's current snapshot. It never builds or reads files; it does
 * not listen either (main.ts does), so tests drive it with supertest.
 */
export function createApp({ store, logger, cacheMaxAgeSeconds, archiveCacheMaxAgeSeconds = cacheMaxAgeSeconds, fullResponseLimit, trustProxy = false, watchingContent, metrics, metricsToken }: AppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // request.ip: the socket's address, or (behind trusted proxies) the one X-Forwarded-For gives.
  app.set('trust proxy', typeof trustProxy === 'object' ? [...trustProxy] : trustProxy);
  const limiter = fullResponseLimit ? new FullResponseLimiter(fullResponseLimit) : undefined;
  const feedCacheControl = `public, max-age=${cacheMaxAgeSeconds}`;
  const archiveCacheControl = `public, max-age=${archiveCacheMaxAgeSeconds}`;
  const cacheControl = (name: string) => (name.startsWith('archive/') ? archiveCacheControl : feedCacheControl);

  // The feed route comes first and sets the security headers itself, so a feed request passes
  // through one router layer, as in a bare Express app; every other response gets them below.
  app.get('/feeds/*path', (request, response) => {
    const segments = (request.params as { path: string[] }).path;
    // A segment with a slash had it percent-encoded (archive%2Fai%2F1.xml): not a name of ours,
    // or every file would have a second URL (another cache key, and relative links that break).
    if (segments.some((segment) => segment.includes('/'))) return sendNotFound(response);
    sendFeedFile(request, response, store, segments.join('/'), cacheControl, limiter);
  });
  app.use((_request, response, next) => {
    setSecurityHeaders(response);
    next();
  });
  app.get('/', (request, response) => response.redirect(302, indexLocation(request.originalUrl)));
  app.all('/', methodNotAllowed);
  app.get(['/feeds', '/feeds/'], (request, response) => {
    // Routing is not strict, so '/feeds' matches both. The index links feed.css relatively: at
    // /feeds that would be /feed.css, so the index is only served at /feeds/.
    if (!request.path.endsWith('/')) return response.redirect(301, indexLocation(request.originalUrl));
    sendFeedFile(request, response, store, INDEX_FILES.html.name, cacheControl, limiter);
  });
  app.all(['/feeds', '/feeds/', '/feeds/*path'], methodNotAllowed);

  app.get('/healthz', (_request, response) => {
    const contentWatcher = watchingContent === undefined ? 'off' : watchingContent() ? 'watching' : 'failed';
    response.status(store.snapshot === undefined ? 503 : 200).set('Cache-Control', 'no-store').json({ ...store.health(), contentWatcher });
  });
  app.all('/healthz', methodNotAllowed);
  if (metrics) {
    app.get('/metrics', (request, response, next) => {
      if (metricsToken !== undefined && !hasBearerToken(request.headers.authorization, metricsToken)) {
        // RFC 6750 §3: the challenge names the scheme; a request that sent a token learns only that it was not this one.
        response.set('WWW-Authenticate', request.headers.authorization === undefined ? 'Bearer realm="metrics"' : 'Bearer realm="metrics", error="invalid_token"');
        sendError(response, 401, 'UNAUTHORIZED', 'GET /metrics needs the header Authorization: Bearer <METRICS_TOKEN>.');
        return;
      }
      metrics.registry.metrics().then((text) => {
        response.status(200).set('Cache-Control', 'no-store').type(metrics.registry.contentType).send(text);
      }, next);
    });
    app.all('/metrics', methodNotAllowed);
  }

  app.use((_request, response) => {
    sendError(response, 404, 'NOT_FOUND', 'Nothing here. The feeds are listed at /feeds/.');
  });
  app.use(errorHandler(logger));
  return app;
}

/** A request target's query, `?` included (none when it has none), and never its fragment. */
const QUERY = /^[^?#]*(\?[^#]*)?/;

/**
 * Where / and /feeds redirect: /feeds/ with the request's query (a link's `?from=menu` is kept). The
 * path is ours, never the request's, so no target can make the Location name another site: not
 * an absolute-form `http://evil.example/feeds`, nor a query of `//evil.example` or backslashes,
 * which only ever follow `/feeds/?`, where a browser takes them as part of the query.
 */
function indexLocation(url: string): string {
  return `/feeds/${QUERY.exec(url)?.[1] ?? ''}`;
}

const SECURITY_HEADER_ENTRIES = Object.entries(SECURITY_HEADERS);

function setSecurityHeaders(response: Response): void {
  for (const [header, value] of SECURITY_HEADER_ENTRIES) response.setHeader(header, value);
}

function sendFeedFile(
  request: Request,
  response: Response,
  store: FeedStore,
  name: string,
  cacheControl: (name: string) => string,
  limiter: FullResponseLimiter | undefined,
): void {
  setSecurityHeaders(response);
  const snapshot = store.snapshot;
  if (snapshot === undefined) {
    response.set('Retry-After', '5');
    sendError(response, 503, 'NOT_READY', 'The first build has not finished yet.');
    return;
  }
  let file = snapshot.files.get(name);
  let vary = 'Accept-Encoding';
  if (file === undefined && snapshot.files.has(`${name}.${FEED_FORMATS.rss.extension}`)) {
    // Content negotiation on the extension-less URL: /feeds/ai with Accept: application/atom+xml.
    // Not request.accepts, which hands Negotiator the header with its accept-extensions.
    const accept = request.headers.accept;
    file = snapshot.files.get(`${name}.${accept === undefined ? FEED_FORMATS.rss.extension : negotiatedExtension(accept)}`);
    vary = 'Accept, Accept-Encoding';
    if (file) response.setHeader('Content-Location', `/feeds/${file.name.split('/').map(encodeURIComponent).join('/')}`);
  }
  if (file === undefined) {
    sendNotFound(response);
    return;
  }
  // The hot path below uses Node's setHeader and answers repeated header values from small
  // caches: Express's res.set and the negotiators cost as much as the rest of the request.
  let browserView = false;
  if (isXmlFeed(file)) {
    // A browser shows application/rss+xml as source text and applies XSL only to XML types; so a
    // request that prefers HTML gets the same bytes as application/xml, rendered by feed.xsl.
    vary = 'Accept, Accept-Encoding';
    if (prefersHtml(request, file.contentType)) {
      browserView = true;
      response.setHeader('Content-Security-Policy', XML_VIEW_CSP);
    }
  }
  // Content-Type is set with the body only: a 304 sends no representation metadata beyond its
  // validators and caching headers (RFC 9110 §15.4.5).
  response.setHeader('Cache-Control', cacheControl(file.name));
  // A version dated into the second after the one it replaced (write-feeds.ts, versionMtime) goes
  // without Last-Modified until that second has come: never later than Date (RFC 9110 §8.8.2.1).
  if (file.lastModified.getTime() <= Date.now()) response.setHeader('Last-Modified', httpDate(file.lastModified));
  response.setHeader('Vary', vary);
  if (file.kind === 'disk') {
    sendDiskFile(request, response, snapshot.folder + file.name, file, browserView, store, limiter);
    return;
  }
  const coding = chooseCoding(request, file);
  const tag = representationTag(file.hash, browserView);
  const etag = browserView ? etagFor(tag, coding) : file.etags[coding];
  response.setHeader('ETag', etag);
  const { 'if-none-match': ifNoneMatch, 'if-match': ifMatch, 'if-unmodified-since': ifUnmodifiedSince } = request.headers;
  // A reader echoing the ETag it was sent (the usual revalidation) needs no parsing, unless it
  // also sends If-Match or If-Unmodified-Since, which are evaluated first (RFC 9110 §13.2.2).
  const answer = ifNoneMatch === etag && ifMatch === undefined && ifUnmodifiedSince === undefined ? 'not-modified' : conditionalAnswer(request, tag, file.lastModified);
  if (answer !== 'full') {
    sendConditionalAnswer(response, answer);
    return;
  }
  if (limiter && refusedFullResponse(response, limiter.take(clientOf(request)))) return;
  const body = file.bodies[coding];
  response.setHeader('Content-Type', representationType(file, browserView));
  if (coding !== 'identity') response.setHeader('Content-Encoding', coding);
  response.setHeader('Content-Length', body.length);
  response.statusCode = 200;
  response.end(request.method === 'HEAD' ? undefined : body);
}

/** The opaque part of the response's ETag, without its coding: the file's hash, or its browser view's tag. */
function representationTag(hash: string, browserView: boolean): string {
  return browserView ? browserViewTag(hash) : hash;
}

function representationType(file: ServedFile, browserView: boolean): string {
  return browserView ? XML_VIEW_CONTENT_TYPE : file.contentType;
}

/** `tag`: representationTag's. */
function conditionalAnswer(request: Request, tag: string, lastModified: Date): ConditionalAnswer {
  const { 'if-match': ifMatch, 'if-unmodified-since': ifUnmodifiedSince, 'if-none-match': ifNoneMatch, 'if-modified-since': ifModifiedSince } = request.headers;
  if (ifMatch === undefined && ifUnmodifiedSince === undefined && ifNoneMatch === undefined && ifModifiedSince === undefined) return 'full';
  return evaluateConditions({ ifMatch, ifUnmodifiedSince, ifNoneMatch, ifModifiedSince }, { hash: tag, lastModified });
}

/** 304 (the file's headers, no body) or 412 (an error: the file's headers go). */
function sendConditionalAnswer(response: Response, answer: Exclude<ConditionalAnswer, 'full'>): void {
  if (answer === 'not-modified') {
    response.statusCode = 304;
    response.end();
    return;
  }
  removeFileHeaders(response);
  sendError(response, 412, 'PRECONDITION_FAILED', 'If-Match or If-Unmodified-Since does not hold for the current version of this feed.');
}

/**
 * A file read from the feeds folder without blocking the event loop (an archive page or an HTML
 * page; at start-up, any file on its first request), served as it is (uncompressed). Its ETag is
 * the hash of the bytes read, so a body always matches its ETag even when a build replaced the
 * file a moment ago.
 */
function sendDiskFile(request: Request, response: Response, filePath: string, file: DiskFile, browserView: boolean, store: FeedStore, limiter: FullResponseLimiter | undefined): void {
  // A request that cannot end in a 304 is refused before the read when its client is at the
  // limit: a crawler walking the archive pages costs no disk reads once it is refused.
  const conditional = request.headers['if-none-match'] !== undefined || request.headers['if-modified-since'] !== undefined;
  if (limiter && !conditional && refusedFullResponse(response, limiter.wait(clientOf(request)))) return;
  readFile(filePath).then(
    (body) => {
      const hash = contentHash(body);
      if (file.keepInMemory) store.keep(file, body, hash);
      if (response.destroyed) return;
      const tag = representationTag(hash, browserView);
      response.setHeader('ETag', etagFor(tag, 'identity'));
      const answer = conditionalAnswer(request, tag, file.lastModified);
      if (answer !== 'full') {
        sendConditionalAnswer(response, answer);
        return;
      }
      if (limiter && refusedFullResponse(response, limiter.take(clientOf(request)))) return;
      response.setHeader('Content-Type', representationType(file, browserView));
      response.setHeader('Content-Length', body.length);
      response.statusCode = 200;
      response.end(request.method === 'HEAD' ? undefined : body);
    },
    () => {
      // Gone between the build that listed it and this request (the next build drops it).
      removeFileHeaders(response);
      sendNotFound(response);
    },
  );
}

/** The headers that describe a file, removed when the answer is an error instead. */
const FILE_HEADERS = ['Content-Type', 'Cache-Control', 'Last-Modified', 'Vary', 'ETag', 'Content-Location'];

function removeFileHeaders(response: Response): void {
  for (const header of FILE_HEADERS) response.removeHeader(header);
}

/** The client a full response is counted for: request.ip follows the 'trust proxy' setting. */
function clientOf(request: Request): string {
  return clientKey(request.ip ?? request.socket.remoteAddress ?? 'unknown');
}

/**
 * With `waitSeconds` > 0 (the client has had its full responses for this window), answers 429
 * with an integer Retry-After (RFC 9110 §10.2.3, RFC 6585 §4) and returns true.
 */
function refusedFullResponse(response: Response, waitSeconds: number): boolean {
  if (waitSeconds === 0) return false;
  removeFileHeaders(response);
  response.setHeader('Retry-After', String(waitSeconds));
  sendError(response, 429, 'TOO_MANY_REQUESTS', `Too many full responses; retry after ${waitSeconds} s. Revalidating with If-None-Match is never limited.`);
  return true;
}

const httpDates = new WeakMap<Date, string>();

/** A date as an HTTP-date, made once per date object (files keep theirs from build to build). */
function httpDate(date: Date): string {
  let text = httpDates.get(date);
  if (text === undefined) httpDates.set(date, (text = date.toUTCString()));
  return text;
}

function isXmlFeed(file: ServedFile): boolean {
  return file.contentType === FEED_FORMATS.rss.contentType || file.contentType === FEED_FORMATS.atom.contentType;
}

/** For each feed content type, whether an Accept header prefers HTML to it, memoized by header. */
const htmlPreferred = new Map<string, (accept: string) => boolean>();

/** Whether the request prefers an HTML page over the feed's own type (a browser does). */
function prefersHtml(request: Request, contentType: string): boolean {
  const accept = request.headers.accept;
  if (accept === undefined) return false;
  let prefers = htmlPreferred.get(contentType);
  if (prefers === undefined) {
    const offered = [negotiableType(contentType), BROWSER_FILES.html.contentType];
    prefers = memoized((header: string) => mediaTypeFor(header, offered) === BROWSER_FILES.html.contentType);
    htmlPreferred.set(contentType, prefers);
  }
  return prefers(accept);
}

const preferredCodings = memoized((acceptEncoding: string): readonly ContentCoding[] => {
  const negotiator = new Negotiator({ headers: { 'accept-encoding': acceptEncoding } });
  return (['br', 'gzip'] as const).filter((coding) => negotiator.encoding([coding]) === coding);
});

/**
 * Brotli if the client accepts it, else gzip, else identity (q=0 honoured). The server picks: a
 * browser's `gzip, deflate, br` lists gzip first but accepts br, which is smaller.
 */
function chooseCoding(request: Request, file: MemoryFile): ContentCoding {
  const acceptEncoding = request.headers['accept-encoding'];
  if (acceptEncoding === undefined) return 'identity';
  for (const coding of preferredCodings(acceptEncoding)) {
    if (file.bodies[coding].length < file.bodies.identity.length) return coding;
  }
  return 'identity';
}

const methodNotAllowed: RequestHandler = (_request, response) => {
  response.set('Allow', ALLOWED_METHODS);
  sendError(response, 405, 'METHOD_NOT_ALLOWED', `Only ${ALLOWED_METHODS} are allowed here.`);
};

function sendNotFound(response: Response): void {
  sendError(response, 404, 'FEED_NOT_FOUND', 'No such feed. The feeds are listed at /feeds/.');
}

function sendError(response: Response, status: number, code: string, message: string): void {
  // Also for errors raised before any handler ran (a malformed percent-encoding in the path).
  setSecurityHeaders(response);
  response.status(status).set('Cache-Control', 'no-store').json({ error: { code, message } });
}

/** The one place errors become responses: a short JSON body, never a stack trace. */
function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, request, response, _next) => {
    const status = typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : 500;
    if (status >= 500) logger.error('request failed', { method: request.method, path: request.path, error });
    if (response.headersSent) {
      response.destroy();
      return;
    }
    sendError(response, status, status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST', status >= 500 ? 'Internal server error.' : 'Bad request.');
  };
}
