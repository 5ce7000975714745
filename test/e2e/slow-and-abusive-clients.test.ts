/**
 * The real server (`node --import tsx src/main.ts`) started with the slow-client settings, so the
 * wiring from the environment to the server and the app is what is tested: a connection that
 * sends nothing is closed with 408 after HTTP_HEADERS_TIMEOUT_MS; each client (told apart by its
 * own loopback address, 127.0.0.2, 127.0.0.3, ...) gets RATE_LIMIT_FULL_RESPONSES full responses,
 * then 429; and behind Debian's nginx as the load balancer (TRUST_PROXY=127.0.0.1, nginx's
 * address), clients are told apart by the address nginx saw, whatever X-Forwarded-For they send.
 * With METRICS_TOKEN, /metrics answers only that bearer token, and the token is never logged.
 *
 * nginx comes from the nginx-light package (.ci/run installs it); without it the nginx case is
 * skipped, except in CI, where it fails.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { get, type IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serverEnv, startServer, type ServerProcess } from '../helpers/server-process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((file) => existsSync(file));
const HEADERS_TIMEOUT_MS = 1000;
const LIMIT = 3;
const WINDOW_SECONDS = 600;
/** A scrape token, as an operator would set it (METRICS_TOKEN). */
const METRICS_TOKEN = 'e2e-0123456789abcdef-metrics';

let base: string;
let server: ServerProcess | undefined;
let port: number;

before(async () => {
  base = await makeTempDir('abusive-');
  await cp(path.join(ROOT, 'content'), path.join(base, 'content'), { recursive: true });
  const env = serverEnv(base, {
    WATCH_CONTENT: 'false',
    HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    HTTP_REQUEST_TIMEOUT_MS: '2000',
    RATE_LIMIT_FULL_RESPONSES: String(LIMIT),
    RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS),
    TRUST_PROXY: '127.0.0.1',
    METRICS_TOKEN,
  });
  server = startServer(env);
  port = (await server.waitForLine((line) => line.msg === 'serving feeds', 60_000, "the 'serving feeds' log line")).port!;
  await server.waitForLine((line) => line.msg === 'build finished', 60_000, "the first 'build finished' log line");
});

after(async () => {
  if (server && server.exit === undefined) {
    server.child.kill('SIGKILL');
    await server.waitForExit(5_000);
  }
});

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
}

/** One GET on a fresh connection from `localAddress` (any 127.x.y.z is this machine). */
function getFrom(localAddress: string, toPort: number, urlPath: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port: toPort, localAddress, path: urlPath, headers: { 'Accept-Encoding': 'identity', ...headers }, agent: false, timeout: 10_000 }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer to ${urlPath} within 10 s`)));
    request.on('error', reject);
  });
}

/** `LIMIT` full responses, then a 429 with an integer Retry-After within the window. */
async function assertLimited(localAddress: string, toPort: number, headers: Record<string, string> = {}): Promise<void> {
  const statuses: number[] = [];
  for (let i = 0; i < LIMIT; i++) statuses.push((await getFrom(localAddress, toPort, '/feeds/ai.xml', headers)).status);
  assert.deepEqual(statuses, Array.from({ length: LIMIT }, () => 200), `${localAddress}: its first ${LIMIT}`);
  await assertRefused(localAddress, toPort, headers);
}

async function assertRefused(localAddress: string, toPort: number, headers: Record<string, string> = {}): Promise<void> {
  const refused = await getFrom(localAddress, toPort, '/feeds/ai.xml', headers);
  assert.equal(refused.status, 429, `${localAddress} ${JSON.stringify(headers)}: past the limit`);
  assert.match(String(refused.headers['retry-after']), /^[1-9]\d*$/);
  assert.ok(Number(refused.headers['retry-after']) <= WINDOW_SECONDS);
}

describe('the server process with the slow-client settings', () => {
  it('answers /metrics only to METRICS_TOKEN, and never writes the token to its log', async () => {
    const refused = await getFrom('127.0.0.30', port, '/metrics');
    assert.equal(refused.status, 401);
    assert.equal(refused.headers['www-authenticate'], 'Bearer realm="metrics"');
    assert.equal((await getFrom('127.0.0.30', port, '/metrics', { Authorization: 'Bearer not-the-token-at-all' })).status, 401);
    const scraped = await getFrom('127.0.0.30', port, '/metrics', { Authorization: `Bearer ${METRICS_TOKEN}` });
    assert.equal(scraped.status, 200);
    assert.match(String(scraped.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const logged = JSON.stringify(server!.lines) + server!.stderr;
    assert.ok(!logged.includes(METRICS_TOKEN), 'the token is in the log');
  });

  it('closes a connection that sends nothing with 408 after HTTP_HEADERS_TIMEOUT_MS', async () => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let received = '';
    let closedAt: number | undefined;
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => (closedAt = performance.now()));
    try {
      await new Promise((resolve) => socket.once('connect', resolve));
      const connectedAt = performance.now();
      assert.ok(await waitFor(() => closedAt !== undefined, HEADERS_TIMEOUT_MS * 1.25 + 2000), 'still open 2 s after the headers timeout');
      assert.ok(closedAt! - connectedAt >= HEADERS_TIMEOUT_MS - 50, `closed after ${(closedAt! - connectedAt).toFixed(0)} ms`);
      assert.match(received, /^HTTP\/1\.1 408 /);
    } finally {
      socket.destroy();
    }
  });

  it('limits each client, by its own address, to RATE_LIMIT_FULL_RESPONSES full responses', async () => {
    await assertLimited('127.0.0.2', port);
    await assertLimited('127.0.0.3', port);
  });

  it('ignores X-Forwarded-For from a client that is not the trusted proxy', async () => {
    await assertLimited('127.0.0.4', port, { 'X-Forwarded-For': '203.0.113.1' });
    await assertRefused('127.0.0.4', port, { 'X-Forwarded-For': '203.0.113.2' });
  });
});

describe('behind nginx as the load balancer (TRUST_PROXY=127.0.0.1)', () => {
  let nginx: ChildProcess | undefined;
  let nginxPort: number;

  before(async () => {
    if (!NGINX) return;
    nginxPort = await freePort();
    const dir = path.join(base, 'nginx');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'nginx.conf'), nginxConfig(dir, nginxPort, port));
    nginx = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    nginx.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const up = await waitFor(async () => nginx!.exitCode === null && (await canConnect(nginxPort)), 10_000);
    assert.ok(up, `nginx did not start: ${stderr} ${await readFile(path.join(dir, 'error.log'), 'utf8').catch(() => '')}`);
  });

  after(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx!.once('exit', resolve));
      nginx.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
      if (nginx.exitCode === null) nginx.kill('SIGKILL');
    }
  });

  it('tells clients apart by the address nginx saw, and a client cannot pick another with X-Forwarded-For', async (t) => {
    if (!NGINX) {
      if (process.env.CI === 'true') assert.fail('nginx is not installed (.ci/run installs nginx-light)');
      t.skip('nginx is not installed (apt-get install nginx-light)');
      return;
    }
    await assertLimited('127.0.0.5', nginxPort);
    await assertLimited('127.0.0.6', nginxPort, { 'X-Forwarded-For': '203.0.113.7' });
    // nginx appends the address it saw: the made-up one before it is not believed.
    await assertRefused('127.0.0.5', nginxPort, { 'X-Forwarded-For': '203.0.113.8' });
    await assertRefused('127.0.0.6', nginxPort, { 'X-Forwarded-For': '203.0.113.7' });
  });

  it('passes 304s through past the limit, uncounted', async (t) => {
    if (!NGINX) {
      t.skip('nginx is not installed');
      return;
    }
    const first = await getFrom('127.0.0.7', nginxPort, '/feeds/ai.xml');
    assert.equal(first.status, 200);
    const revalidations: number[] = [];
    for (let i = 0; i < LIMIT * 3; i++) revalidations.push((await getFrom('127.0.0.7', nginxPort, '/feeds/ai.xml', { 'If-None-Match': String(first.headers.etag) })).status);
    assert.deepEqual(revalidations, Array.from({ length: LIMIT * 3 }, () => 304));
    // The 304s were not counted: the client still has LIMIT - 1 full responses, then the limit.
    for (let i = 1; i < LIMIT; i++) assert.equal((await getFrom('127.0.0.7', nginxPort, '/feeds/ai.xml')).status, 200);
    await assertRefused('127.0.0.7', nginxPort);
    assert.equal((await getFrom('127.0.0.7', nginxPort, '/feeds/ai.xml', { 'If-None-Match': String(first.headers.etag) })).status, 304, 'a 304 even when refused full responses');
  });
});

/** A minimal reverse proxy: nginx in the foreground, everything in `dir`, passing X-Forwarded-For. */
function nginxConfig(dir: string, listenPort: number, upstreamPort: number): string {
  const temp = (name: string) => `${name}_temp_path ${path.join(dir, name)};`;
  return `
${process.getuid?.() === 0 ? 'user root;' : ''}
daemon off;
worker_processes 1;
pid ${path.join(dir, 'nginx.pid')};
error_log ${path.join(dir, 'error.log')} warn;
events { worker_connections 64; }
http {
  access_log off;
  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}
  server {
    listen 127.0.0.1:${listenPort};
    location / {
      proxy_pass http://127.0.0.1:${upstreamPort};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port: free } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(free));
    });
  });
}

function canConnect(toPort: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: toPort });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
