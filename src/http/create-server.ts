import { createServer, type RequestListener, type Server } from 'node:http';
import type { HttpConfig } from '../config.js';
import type { ServiceMetrics } from './service-metrics.js';

export type ServerTimeouts = Pick<HttpConfig, 'headersTimeoutMs' | 'requestTimeoutMs' | 'keepAliveTimeoutMs' | 'socketTimeoutMs'>;

/**
 * The node:http server that serves the app, with its timeouts for slow clients: the one
 * main.ts listens on and the tests hold slow connections against.
 *
 * - headersTimeout: a request whose headers are not complete in time (a slowloris client
 *   trickling header bytes, or one that connects and sends nothing) gets 408 and is closed.
 * - requestTimeout: the same for the whole request, body included.
 * - keepAliveTimeout: an idle kept-alive connection is closed. Behind a load balancer it must be
 *   longer than the balancer's own idle timeout, or the balancer may reuse a closing connection.
 * - timeout: a connection on which nothing is sent or received for this long is destroyed: a
 *   client that asked for a feed and stopped reading it (a slow-read attack) would otherwise hold
 *   its socket and the unsent bytes forever. Neither timeout above covers a response.
 *
 * Node checks the first two only every `connectionsCheckingInterval` (30 s by default), so a
 * 2 s headers timeout would close a slow connection after up to 32 s: the interval is set to a
 * quarter of the shorter timeout, so a connection is closed at most 25% after its deadline.
 *
 * With `metrics`, every response the server sends is counted by status (from Node.js's
 * diagnostics channel, so nothing is added to a request's path).
 */
export function createHttpServer(listener: RequestListener, { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, socketTimeoutMs }: ServerTimeouts, metrics?: ServiceMetrics): Server {
  const server = createServer(
    {
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      connectionsCheckingInterval: checkingInterval(headersTimeoutMs, requestTimeoutMs),
    },
    listener,
  );
  metrics?.countResponsesOf(server);
  server.keepAliveTimeout = keepAliveTimeoutMs;
  server.timeout = socketTimeoutMs;
  return server;
}

/** How often Node looks for connections past their headers or request deadline, in ms. */
export function checkingInterval(headersTimeoutMs: number, requestTimeoutMs: number): number {
  return Math.max(100, Math.floor(Math.min(headersTimeoutMs, requestTimeoutMs) / 4));
}
