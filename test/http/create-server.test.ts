/**
 * The server main.ts listens on (createHttpServer), with its timeouts for slow clients, against
 * raw sockets on 127.0.0.1: 200 slowloris connections trickling header bytes one a second while a
 * normal client is served as fast as usual, and the server closing them once the headers timeout
 * has passed; a request whose body trickles; an idle kept-alive connection.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { get, type Server } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createApp } from '../../src/http/app.js';
import { checkingInterval, createHttpServer } from '../../src/http/create-server.js';
import { FeedStore } from '../../src/http/feed-store.js';
import { silentLogger } from '../../src/logger.js';
import { testConfig } from '../helpers/config.js';
import { builtFile, fakeBuildResult } from '../helpers/build-result.js';
import { bundledStore } from '../helpers/bundled-store.js';
import { waitFor } from '../helpers/wait-for.js';
const SLOW_CONNECTIONS = 200;

let contentDir: string;
let feedsDir: string;
let store: FeedStore;

before(async () => {
  ({ contentDir, feedsDir, store } = await bundledStore('slow'));
});

/** A server as main.ts makes it, from these settings, listening on 127.0.0.1 (port 0). */
async function listen(env: Record<string, string>, served = store): Promise<{ server: Server; port: number; interval: number; close: () => Promise<void> }> {
  const config = testConfig(contentDir, feedsDir, env);
  const server = createHttpServer(createApp({ store: served, logger: silentLogger, cacheMaxAgeSeconds: 300 }), config.http);
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
  return {
    server,
    port: (server.address() as net.AddressInfo).port,
    interval: checkingInterval(config.http.headersTimeoutMs, config.http.requestTimeoutMs),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** GET /feeds/ai.xml on a fresh connection (as a normal reader would): its status, body size and time taken. */
function timedGet(port: number, timeoutMs = 10_000): Promise<{ status: number; bytes: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const request = get({ host: '127.0.0.1', port, path: '/feeds/ai.xml', agent: false, timeout: timeoutMs }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, bytes, ms: performance.now() - started }));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}

/** A raw connection that records what the server sent and when it closed, relative to its connect. */
interface SlowConnection {
  readonly socket: net.Socket;
  connectedAt?: number;
  closedAt?: number;
  received: string;
}

function openSlow(port: number, first: string): SlowConnection {
  const socket = net.connect({ host: '127.0.0.1', port });
  const connection: SlowConnection = { socket, received: '' };
  socket.setEncoding('latin1');
  socket.on('connect', () => {
    connection.connectedAt = performance.now();
    socket.write(first);
  });
  socket.on('data', (chunk: string) => (connection.received += chunk));
  socket.on('error', () => {}); // a reset after the server's 408 is the server closing it
  socket.on('close', () => (connection.closedAt = performance.now()));
  return connection;
}

/** Writes `byte` to every connection still open, once a second (one timer for all of them). */
function trickle(connections: readonly SlowConnection[], byte: string): { ticks: number; stop: () => void } {
  const state = { ticks: 0, stop: () => clearInterval(timer) };
  const timer = setInterval(() => {
    state.ticks += 1;
    for (const { socket, closedAt } of connections) if (closedAt === undefined && socket.writable) socket.write(byte);
  }, 1000);
  return state;
}

const isOpen = (connection: SlowConnection) => connection.closedAt === undefined;

/** The soft limit on open files: each slow connection costs two (client and server side). */
function openFileLimit(): number {
  return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
}

describe('slow clients (createHttpServer timeouts)', () => {
  it(`keeps serving /feeds/ai.xml as fast as usual while ${SLOW_CONNECTIONS} slowloris connections trickle headers, and closes them with 408 once HTTP_HEADERS_TIMEOUT_MS has passed`, async (t) => {
    const limit = openFileLimit();
    if (limit < SLOW_CONNECTIONS * 2 + 200) {
      const message = `ulimit -n is ${limit}; ${SLOW_CONNECTIONS} slow connections need about ${SLOW_CONNECTIONS * 2 + 200}`;
      if (process.env.CI === 'true') assert.fail(message);
      t.skip(message);
      return;
    }
    const headersTimeoutMs = 3000;
    const { port, interval, close } = await listen({ HTTP_HEADERS_TIMEOUT_MS: String(headersTimeoutMs), HTTP_REQUEST_TIMEOUT_MS: '10000' });
    const connections: SlowConnection[] = [];
    let ticker: ReturnType<typeof trickle> | undefined;
    try {
      // The usual time, measured here on this machine: the best of five after a warm-up.
      await timedGet(port);
      const usual = Math.min(...(await sequential(5, () => timedGet(port))).map((result) => result.ms));
      const bound = Math.max(10 * usual, 1000);

      for (let i = 0; i < SLOW_CONNECTIONS; i++) connections.push(openSlow(port, 'GET /feeds/ai.xml HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '));
      ticker = trickle(connections, 'a');
      assert.ok(await waitFor(() => connections.every((connection) => connection.connectedAt !== undefined), 5000), 'the slow connections did not all connect within 5 s');
      // Under way: every slow connection has sent a header byte after its request line.
      assert.ok(await waitFor(() => ticker!.ticks >= 1, 2000), 'the trickle did not start');

      const results = await sequential(5, () => timedGet(port, 5000));
      const openWhileServed = connections.filter(isOpen).length;
      for (const result of results) {
        assert.equal(result.status, 200);
        assert.ok(result.bytes > 0);
        assert.ok(result.ms < bound, `a normal request took ${result.ms.toFixed(1)} ms with ${SLOW_CONNECTIONS} slow connections open (usual: ${usual.toFixed(1)} ms, bound ${bound.toFixed(0)} ms)`);
      }
      assert.equal(openWhileServed, SLOW_CONNECTIONS, 'the slow connections were not all still open while the normal client was served');
      t.diagnostic(`normal GET /feeds/ai.xml: usual ${usual.toFixed(1)} ms; with ${SLOW_CONNECTIONS} slow connections at most ${Math.max(...results.map((result) => result.ms)).toFixed(1)} ms`);

      // The server closes them: not before the headers timeout, and at most one check interval
      // (plus slack for a busy machine) after it.
      const deadline = headersTimeoutMs + interval + 1500;
      const allClosed = await waitFor(() => !connections.some(isOpen), deadline);
      const open = connections.filter(isOpen).length;
      assert.ok(allClosed, `${open} of ${SLOW_CONNECTIONS} slow connections still open ${deadline} ms after they connected`);
      for (const connection of connections) {
        const lifetime = connection.closedAt! - connection.connectedAt!;
        assert.ok(lifetime >= headersTimeoutMs - 50, `a slow connection was closed after ${lifetime.toFixed(0)} ms, before the headers timeout`);
        assert.match(connection.received, /^HTTP\/1\.1 408 /, 'the server closes a slow connection with 408 Request Timeout');
      }
      assert.ok(ticker.ticks >= Math.floor(headersTimeoutMs / 1000), 'the connections were trickling until the server closed them');
      // And it still serves.
      assert.equal((await timedGet(port)).status, 200);
    } finally {
      ticker?.stop();
      for (const { socket } of connections) socket.destroy();
      await close();
    }
  });

  it('closes a connection whose request body trickles past HTTP_REQUEST_TIMEOUT_MS', async () => {
    const requestTimeoutMs = 2000;
    const { port, interval, close } = await listen({ HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: String(requestTimeoutMs) });
    // The app answers (404) at once; Node goes on reading the body to reuse the connection.
    const connection = openSlow(port, 'POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n');
    const ticker = trickle([connection], 'b');
    try {
      const closed = await waitFor(() => !isOpen(connection), requestTimeoutMs + interval + 1500);
      assert.ok(closed, 'the connection was still open well after the request timeout');
      const lifetime = connection.closedAt! - connection.connectedAt!;
      assert.ok(lifetime >= requestTimeoutMs - 50, `closed after ${lifetime.toFixed(0)} ms, before the request timeout`);
    } finally {
      ticker.stop();
      connection.socket.destroy();
      await close();
    }
  });

  it('closes an idle kept-alive connection after HTTP_KEEP_ALIVE_TIMEOUT_MS', async () => {
    const keepAliveMs = 1000;
    const { port, close } = await listen({ HTTP_KEEP_ALIVE_TIMEOUT_MS: String(keepAliveMs) });
    const connection = openSlow(port, 'GET /feeds/ai.xml HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: identity\r\n\r\n');
    try {
      assert.ok(await waitFor(() => /^HTTP\/1\.1 200 /.test(connection.received) && connection.received.includes('</rss>'), 5000), 'no complete response');
      const answeredAt = performance.now();
      assert.match(connection.received, /\r\nKeep-Alive: timeout=1\r\n/i, 'the response announces the keep-alive timeout');
      const closed = await waitFor(() => !isOpen(connection), keepAliveMs + 2000);
      assert.ok(closed, 'the idle connection was still open 2 s after the keep-alive timeout');
      const idle = connection.closedAt! - answeredAt;
      assert.ok(idle >= keepAliveMs - 100, `closed after ${idle.toFixed(0)} ms idle, before the keep-alive timeout`);
    } finally {
      connection.socket.destroy();
      await close();
    }
  });

  it('destroys a connection whose client stopped reading its response, HTTP_SOCKET_TIMEOUT_MS after the last progress', async () => {
    // A response far larger than the kernel's socket buffers, so the server cannot hand it all over.
    const size = 32 * 1024 * 1024;
    const big = new FeedStore();
    big.publish(fakeBuildResult([builtFile('big.xml', 'x'.repeat(size))]), new Date());
    const socketTimeoutMs = 1000;
    const { server, port, close } = await listen({ HTTP_SOCKET_TIMEOUT_MS: String(socketTimeoutMs) }, big);
    let closedAt: number | undefined;
    server.once('connection', (socket: net.Socket) => socket.once('close', () => (closedAt = performance.now())));
    const client = net.connect({ host: '127.0.0.1', port });
    client.on('error', () => {});
    try {
      await new Promise((resolve) => client.once('connect', resolve));
      const sentAt = performance.now();
      client.write('GET /feeds/big.xml HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: identity\r\n\r\n');
      client.pause(); // and never reads
      assert.ok(await waitFor(() => closedAt !== undefined, socketTimeoutMs + 5000), 'the server still holds the stalled connection 5 s after the socket timeout');
      // What reached the client, read now: the kernel's buffers, never the whole response.
      let received = 0;
      let ended = false;
      client.on('data', (chunk: Buffer) => (received += chunk.length));
      client.once('close', () => (ended = true));
      client.resume();
      assert.ok(await waitFor(() => ended, 5000), 'the client saw no end of the connection');
      assert.ok(received < size, `the client received ${received} bytes: the whole response, so it never stalled`);
      assert.ok(closedAt! - sentAt >= socketTimeoutMs - 50, `destroyed ${(closedAt! - sentAt).toFixed(0)} ms after the request`);
    } finally {
      client.destroy();
      await close();
    }
  });
});

async function sequential<T>(count: number, run: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < count; i++) results.push(await run());
  return results;
}
