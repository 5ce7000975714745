import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { BROWSER_FILES, FEED_FORMATS, INDEX_FILES } from '../core/feed-formats.js';
import type { FeedStore } from '../feed-store.js';
import type { Logger } from '../io/logger.js';
import { isNotModified } from './conditional-get.js';
import { etagFor, type ContentCoding, type ServedFile } from './feed-snapshot.js';

export interface AppOptions {
  readonly store: FeedStore;
  readonly logger: Logger;
  /** Cache-Control max-age for feeds, in seconds. */
  readonly cacheMaxAgeSeconds: number;
  /** Cache-Control max-age for RFC 5005 archive pages, which change only if old content does. */
  readonly archiveCacheMaxAgeSeconds?: number;
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

/** The feed formats a reader can ask for on /feeds/<path>, as [media type, file extension]. */
const NEGOTIABLE = [
  ['application/rss+xml', FEED_FORMATS.rss.extension],
  ['application/atom+xml', FEED_FORMATS.atom.extension],
  ['application/feed+json', FEED_FORMATS.json.extension],
  ['application/json', FEED_FORMATS.json.extension],
  ['text/html', BROWSER_FILES.html.extension],
] as const;

/**
 * The Express app: serves the store's current snapshot. It never builds or reads files; it does
 * not listen either (main.ts does), so tests drive it with supertest.
 */
export function createApp({ store, logger, cacheMaxAgeSeconds, archiveCacheMaxAgeSeconds = cacheMaxAgeSeconds }: AppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const cacheControl = (name: string) =>
    `public, max-age=${name.startsWith('archive/') ? archiveCacheMaxAgeSeconds : cacheMaxAgeSeconds}`;

  app.use((_request, response, next) => {
    response.set(SECURITY_HEADERS);
    next();
  });

  app.get('/', (_request, response) => response.redirect(302, '/feeds/'));
  app.get(['/feeds', '/feeds/'], (request, response) => sendFeedFile(request, response, store, INDEX_FILES.html.name, cacheControl));
  app.get('/feeds/*path', (request, response) => {
    const name = (request.params as { path: string[] }).path.join('/');
    sendFeedFile(request, response, store, name, cacheControl);
  });
  app.all(['/feeds', '/feeds/', '/feeds/*path'], methodNotAllowed);

  app.get('/healthz', (_request, response) => {
    const health = store.health();
    response.status(health.status === 'starting' ? 503 : 200).set('Cache-Control', 'no-store').json(health);
  });
  app.all('/healthz', methodNotAllowed);

  app.use((_request, response) => {
    sendError(response, 404, 'NOT_FOUND', 'Nothing here. The feeds are listed at /feeds/.');
  });
  app.use(errorHandler(logger));
  return app;
}

function sendFeedFile(request: Request, response: Response, store: FeedStore, name: string, cacheControl: (name: string) => string): void {
  const snapshot = store.snapshot;
  if (snapshot === undefined) {
    response.set('Retry-After', '5');
    sendError(response, 503, 'NOT_READY', 'The first build has not finished yet.');
    return;
  }
  let file = snapshot.files.get(name);
  const vary = ['Accept-Encoding'];
  if (file === undefined && snapshot.files.has(`${name}.${FEED_FORMATS.rss.extension}`)) {
    // Content negotiation on the extension-less URL: /feeds/ai with Accept: application/atom+xml.
    const accepted = request.accepts(NEGOTIABLE.map(([type]) => type));
    const extension = NEGOTIABLE.find(([type]) => type === accepted)?.[1] ?? FEED_FORMATS.rss.extension;
    file = snapshot.files.get(`${name}.${extension}`);
    vary.unshift('Accept');
    if (file) response.set('Content-Location', `/feeds/${file.name.split('/').map(encodeURIComponent).join('/')}`);
  }
  if (file === undefined) {
    sendError(response, 404, 'FEED_NOT_FOUND', 'No such feed. The feeds are listed at /feeds/.');
    return;
  }
  let contentType = file.contentType;
  if (isXmlFeed(file)) {
    // A browser shows application/rss+xml as source text and applies XSL only to XML types; so a
    // request that prefers HTML gets the same bytes as application/xml, rendered by feed.xsl.
    if (!vary.includes('Accept')) vary.unshift('Accept');
    if (request.accepts([mediaType(file.contentType), 'text/html']) === 'text/html') {
      contentType = 'application/xml; charset=utf-8';
      response.set('Content-Security-Policy', XML_VIEW_CSP);
    }
  }
  const coding = chooseCoding(request, file);
  response.set({
    'Content-Type': contentType,
    'Cache-Control': cacheControl(file.name),
    ETag: etagFor(file, coding),
    'Last-Modified': file.lastModified.toUTCString(),
    Vary: vary.join(', '),
  });
  const conditional = { ifNoneMatch: request.get('If-None-Match'), ifModifiedSince: request.get('If-Modified-Since') };
  if (isNotModified(conditional, { hash: file.hash, lastModified: file.lastModified })) {
    response.status(304).end();
    return;
  }
  const body = file.bodies[coding];
  if (coding !== 'identity') response.set('Content-Encoding', coding);
  response.set('Content-Length', String(body.length));
  response.status(200).end(request.method === 'HEAD' ? undefined : body);
}

function mediaType(contentType: string): string {
  return contentType.split(';')[0]!.trim();
}

function isXmlFeed(file: ServedFile): boolean {
  return file.contentType === FEED_FORMATS.rss.contentType || file.contentType === FEED_FORMATS.atom.contentType;
}

/**
 * Brotli if the client accepts it, else gzip, else identity (q=0 honoured). The server picks: a
 * browser's `gzip, deflate, br` lists gzip first but accepts br, which is smaller.
 */
function chooseCoding(request: Request, file: ServedFile): ContentCoding {
  if (!file.compressible || request.get('Accept-Encoding') === undefined) return 'identity';
  for (const coding of ['br', 'gzip'] as const) {
    if (request.acceptsEncodings(coding) === coding && file.bodies[coding].length < file.bodies.identity.length) return coding;
  }
  return 'identity';
}

const methodNotAllowed: RequestHandler = (_request, response) => {
  response.set('Allow', ALLOWED_METHODS);
  sendError(response, 405, 'METHOD_NOT_ALLOWED', `Only ${ALLOWED_METHODS} are allowed here.`);
};

function sendError(response: Response, status: number, code: string, message: string): void {
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
