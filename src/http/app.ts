import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { INDEX_FILES } from '../core/feed-formats.js';
import type { FeedStore } from '../feed-store.js';
import type { Logger } from '../io/logger.js';
import { isNotModified } from './conditional-get.js';
import { etagFor, type ContentCoding, type ServedFile } from './feed-snapshot.js';

export interface AppOptions {
  readonly store: FeedStore;
  readonly logger: Logger;
  /** Cache-Control max-age for feeds, in seconds. */
  readonly cacheMaxAgeSeconds: number;
}

const ALLOWED_METHODS = 'GET, HEAD';

/**
 * The Express app: serves the store's current snapshot. It never builds or reads files; it does
 * not listen either (main.ts does), so tests drive it with supertest.
 */
export function createApp({ store, logger, cacheMaxAgeSeconds }: AppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const cacheControl = `public, max-age=${cacheMaxAgeSeconds}`;

  app.use((_request, response, next) => {
    response.set('X-Content-Type-Options', 'nosniff');
    next();
  });

  const serveFile = (name: string): RequestHandler => (request, response) => sendFeedFile(request, response, store, name, cacheControl);
  app.get('/', (_request, response) => response.redirect(302, '/feeds/'));
  app.get(['/feeds', '/feeds/'], serveFile(INDEX_FILES.html.name));
  app.get('/feeds/:name', (request, response) => sendFeedFile(request, response, store, String(request.params.name), cacheControl));
  app.all(['/feeds', '/feeds/', '/feeds/:name'], methodNotAllowed);

  app.get('/healthz', (_request, response) => {
    const health = store.health();
    response.status(health.status === 'starting' ? 503 : 200).set('Cache-Control', 'no-store').json(health);
  });
  app.all('/healthz', methodNotAllowed);

  app.use((request, response) => {
    sendError(response, 404, 'NOT_FOUND', `Nothing at ${request.path}. The feeds are listed at /feeds/.`);
  });
  app.use(errorHandler(logger));
  return app;
}

function sendFeedFile(request: Request, response: Response, store: FeedStore, name: string, cacheControl: string): void {
  const snapshot = store.snapshot;
  if (snapshot === undefined) {
    response.set('Retry-After', '5');
    sendError(response, 503, 'NOT_READY', 'The first build has not finished yet.');
    return;
  }
  const file = snapshot.files.get(name);
  if (file === undefined) {
    sendError(response, 404, 'FEED_NOT_FOUND', 'No such feed. The feeds are listed at /feeds/.');
    return;
  }
  const coding = chooseCoding(request, file);
  response.set({
    'Content-Type': file.contentType,
    'Cache-Control': cacheControl,
    ETag: etagFor(file, coding),
    'Last-Modified': file.lastModified.toUTCString(),
    Vary: 'Accept-Encoding',
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

/**
 * Brotli if the client accepts it, else gzip, else identity (q=0 honoured). The server picks: a
 * browser's `gzip, deflate, br` lists gzip first but accepts br, which is smaller.
 */
function chooseCoding(request: Request, file: ServedFile): ContentCoding {
  if (request.get('Accept-Encoding') === undefined) return 'identity';
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
