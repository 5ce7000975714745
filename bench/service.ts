/**
 * The service as the bench sees it: `npm start` in the service's folder (npm, a shell, the up-to-date
 * check scripts/ensure-built.mjs, then `node <flags> dist/main.js`), as users run it, driven only
 * through its public interface (environment, JSON log lines on stdout, HTTP on 127.0.0.1). The
 * process measured, pinned and stopped is npm's `node … main.js` descendant.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, realpath, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { childEnv, nodeArgs, NPM, npmScriptArgs, REPO_ROOT, ServerProcess, type LogLine } from './processes.js';

export interface ServiceOptions {
  readonly name: string;
  readonly contentDir: string;
  readonly feedsDir: string;
  readonly stateDir: string;
  /** BUILD_CRON; unset: the service's default. */
  readonly cron?: string;
  /** FEED_ARCHIVES; unset: the service's default (on). */
  readonly archives?: boolean;
  /** WATCH_CONTENT; unset: the service's default (on). */
  readonly watch?: boolean;
  /** PORT; 0 (the default) lets the system choose. */
  readonly port?: number;
  readonly maxItems: number;
  readonly baseUrl: string;
  readonly bootTimeoutMs: number;
  /** Where the service's checkout is (default: this repository). */
  readonly serviceRoot?: string;
}

export interface RunningService {
  readonly server: ServerProcess;
  readonly port: number;
  /** durationMs of the first build (cold, or from the cache a previous process left in STATE_DIR). */
  readonly bootBuildMs: number;
  url(pathname: string): string;
}

export const isBuildFinished = (line: LogLine) => line.msg === 'build finished';
/** A build the cron schedule started (older services mark it only with `scheduled: true`). */
export const isScheduledBuild = (line: LogLine) => isBuildFinished(line) && (line.reason === 'schedule' || (line.reason === undefined && line.scheduled === true));
/** A build the content watcher started. */
export const isWatcherBuild = (line: LogLine) => isBuildFinished(line) && line.reason === 'content changed';
/** The build thread saved its cache (SAVE_QUIET_MS after a build that changed it: src/build/thread-main.ts). */
export const isCacheSaved = (line: LogLine) => line.msg === 'build cache saved';
export const isBuildFailed = (line: LogLine) => line.msg === 'build failed; still serving the last good feeds' || (line.level === 'error' && /build/i.test(String(line.msg)));
/** `node … main.js` (not the shell npm runs it in, whose one argument ends with the same words). */
export const isServerScript = (argv: readonly string[]) => argv.length > 1 && /(^|\/)node$/.test(argv[0]!) && argv.slice(1).some((arg) => /(^|\/)main\.js$/.test(arg));

/** `npm start` with the bench's settings; nothing awaited. */
export function spawnService(options: ServiceOptions): ServerProcess {
  const setting = (name: string, value: string | number | boolean | undefined): Record<string, string> => (value === undefined ? {} : { [name]: String(value) });
  return new ServerProcess(
    options.name,
    npmScriptArgs('start'),
    childEnv({
      CONTENT_DIR: options.contentDir,
      FEEDS_DIR: options.feedsDir,
      STATE_DIR: options.stateDir,
      PUBLIC_BASE_URL: options.baseUrl,
      HOST: '127.0.0.1',
      PORT: String(options.port ?? 0),
      FEED_MAX_ITEMS: String(options.maxItems),
      LOG_LEVEL: 'info',
      ...setting('BUILD_CRON', options.cron),
      ...setting('FEED_ARCHIVES', options.archives),
      ...setting('WATCH_CONTENT', options.watch),
    }),
    options.serviceRoot ?? REPO_ROOT,
    NPM,
  );
}

/** Waits for `serving feeds`, attaches the node server process; returns that line and the port. */
export async function whenListening(server: ServerProcess, timeoutMs: number): Promise<{ line: LogLine; port: number }> {
  // The server listens at once (serving the last build in its feeds folder, or 503), then builds.
  const line = await server.waitFor((candidate) => candidate.msg === 'serving feeds', { timeoutMs, since: 0, what: '"serving feeds"' });
  const port = Number(line.port);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`${server.name}: "serving feeds" names no port: ${JSON.stringify(line)}`);
  server.attachDescendant(isServerScript);
  return { line, port };
}

/** Starts the service and waits for `serving feeds` and its first build. */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const server = spawnService(options);
  try {
    const { port } = await whenListening(server, options.bootTimeoutMs);
    const first = await server.waitFor((line) => isBuildFinished(line) || isBuildFailed(line), {
      timeoutMs: options.bootTimeoutMs,
      since: 0,
      what: 'the first build',
    });
    if (!isBuildFinished(first)) throw new Error(`${options.name}: the first build failed: ${JSON.stringify(first)}`);
    return {
      server,
      port,
      bootBuildMs: typeof first.durationMs === 'number' ? first.durationMs : Number.NaN,
      url: (pathname) => `http://127.0.0.1:${port}${pathname}`,
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/**
 * The server's resident set size in KB, and where it was read: `/healthz` (`memory.rssBytes`, or
 * an older service's `memory.rss`), else /proc/<pid>/status VmRSS of the node server process.
 */
export async function serverRssKb(service: RunningService): Promise<{ rssKb: number; source: 'healthz' | 'proc' }> {
  try {
    const health = await rawGet(service.url('/healthz'));
    const memory = (JSON.parse(health.body.toString('utf8')) as { memory?: { rssBytes?: unknown; rss?: unknown } }).memory;
    const bytes = memory?.rssBytes ?? memory?.rss;
    if (typeof bytes === 'number') return { rssKb: Math.round(bytes / 1024), source: 'healthz' };
  } catch {
    // Read it from /proc instead.
  }
  return { rssKb: service.server.rssKb(), source: 'proc' };
}

/** A floor server (bench/floor-*.ts) started on an ephemeral port. */
export async function startFloor(kind: 'express' | 'http', responsesFile: string, timeoutMs: number): Promise<{ server: ServerProcess; url(pathname: string): string }> {
  const server = new ServerProcess(`floor-${kind}`, nodeArgs(`bench/floor-${kind}.ts`, [responsesFile]), childEnv({}));
  const line = await server.waitFor((candidate) => candidate.msg === 'listening', { timeoutMs, since: 0, what: '"listening"' });
  const port = Number(line.port);
  return { server, url: (pathname) => `http://127.0.0.1:${port}${pathname}` };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** One GET with exactly these headers; the body as received (not decompressed). */
export function rawGet(url: string, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers, timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const flat: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
        resolve({ status: response.statusCode ?? 0, headers: flat, body: Buffer.concat(chunks) });
      });
      response.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * The topic feed (RSS, Atom or JSON, not the all-topics feed) whose size is closest to
 * `targetBytes`, from the files the build wrote at the top of the feeds folder. Topic feeds are
 * the top-level `.xml`/`.atom`/`.json` files; providers, categories and archives live in
 * sub-folders.
 */
export async function chooseTopicFeed(feedsDir: string, targetBytes: number): Promise<{ name: string; bytes: number }> {
  const candidates: { name: string; bytes: number }[] = [];
  for (const entry of await readdir(feedsDir, { withFileTypes: true })) {
    if (!entry.isFile() || entry.name.startsWith('.')) continue;
    const match = /^(.+)\.(xml|atom|json)$/.exec(entry.name);
    if (!match || match[1] === 'all' || match[1] === 'index') continue;
    candidates.push({ name: entry.name, bytes: (await stat(path.join(feedsDir, entry.name))).size });
  }
  if (candidates.length === 0) throw new Error(`no topic feed in ${feedsDir}`);
  candidates.sort((a, b) => Math.abs(a.bytes - targetBytes) - Math.abs(b.bytes - targetBytes) || (a.name < b.name ? -1 : 1));
  return candidates[0]!;
}

/**
 * Writes a revised copy of every article of `from` into `to` (a new folder): each title gets a
 * `(revision …)` suffix, so every file's bytes, size and mtime differ and every feed that lists it
 * changes. Nothing a build may have cached about the old files (parsed articles, rendered
 * documents) is valid for the new ones. 64 files at a time.
 */
export async function reviseAll(from: string, to: string, revision: string): Promise<number> {
  const entries = await readdir(from, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.md') && !entry.name.startsWith('.'))
    .map((entry) => path.relative(from, path.join(entry.parentPath, entry.name)));
  const folders = new Set(files.map((file) => path.dirname(path.join(to, file))));
  for (const folder of folders) await mkdir(folder, { recursive: true });
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const file = files[next++]!;
      const text = await readFile(path.join(from, file), 'utf8');
      await writeFile(path.join(to, file), reviseTitle(text, revision));
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  return files.length;
}

function reviseTitle(text: string, revision: string): string {
  return text.replace(/^title: "(.*?)(?: \(revision [^)]*\))?"$/m, (_line, title: string) => `title: "${title} (revision ${revision})"`);
}

/** Points the symbolic link `link` at `target` in one rename, so a reader sees the old or the new folder, never a mix. */
export async function swapSymlink(link: string, target: string): Promise<void> {
  const temporary = `${link}.swap-${process.pid}`;
  await rm(temporary, { force: true });
  await symlink(target, temporary);
  await rename(temporary, link);
}

/**
 * A real edit of one article: its title gets a revision suffix (the output changes; `revision`
 * must differ from the file's current one). Written beside it under a hidden name and renamed
 * over it, as many editors save, so a hard-linked copy (copyTree) never changes the cached corpus.
 */
export async function reviseArticle(file: string, revision: string | number): Promise<void> {
  file = await realpath(file);
  const text = await readFile(file, 'utf8');
  const revised = reviseTitle(text, String(revision));
  if (revised === text) throw new Error(`no title line to revise in ${file}, or revision ${revision} is already there`);
  await replaceFile(file, revised);
}

/** Writes `text` to `file` under a hidden name beside it, then renames it into place (one event for a watcher). */
async function replaceFile(file: string, text: string): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.bench-edit`);
  await writeFile(temporary, text);
  await rename(temporary, file);
}

/**
 * A new published article in `contentDir`, in the content format, dated `date` (whole seconds),
 * with one topic; its sourceUrl is unique per `id`. Returns the file's path.
 */
export async function writeNewArticle(contentDir: string, { id, title, topic, date }: { id: string; title: string; topic: string; date: Date }): Promise<string> {
  const file = path.join(await realpath(contentDir), `bench-new-${id}.md`);
  const iso = new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  const text = [
    '---',
    'category: news',
    `title: ${JSON.stringify(title)}`,
    `excerpt: ${JSON.stringify('An article the bench wrote to time how soon a new file is served.')}`,
    `publishedDateTime: ${iso}`,
    `sourceUrl: https://bench.example.com/new/${id}/`,
    'type: article',
    'published: true',
    '',
    'provider:',
    '  name: "Bench"',
    '  domain: bench.example.com',
    '',
    'topics:',
    `  - ${JSON.stringify(topic)}`,
    '---',
    '',
  ].join('\n');
  await replaceFile(file, text);
  return file;
}

/**
 * A copy of the corpus to edit: hard links (`cp -al`, seconds for 100k files) where the file
 * system allows, else a real copy (`cp -a`). Edits must replace files (reviseArticle) or go to a
 * new folder (reviseAll), never write into a linked file.
 */
export async function copyTree(from: string, to: string, timeoutMs: number): Promise<void> {
  try {
    await cp(['-al', from, to], timeoutMs);
  } catch {
    await rm(to, { recursive: true, force: true });
    await cp(['-a', from, to], timeoutMs);
  }
}

function cp(args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('cp', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`cp ${args.join(' ')} failed (${code}): ${stderr.trim()}`));
    });
  });
}
