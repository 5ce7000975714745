import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { before, describe, it, mock, type TestContext } from 'node:test';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Problem } from '../../src/content/problems.js';
import { createHash } from 'node:crypto';
import { fileStat, listContent, readCandidate, readContent, readNamedFiles, sameStat, statCandidate, type ContentRead, type FileStat } from '../../src/content/read-content.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { heapGrowth } from '../helpers/heap.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const MAX_FILE_BYTES = 4096;

/** Writes `files` (relative name → contents) below a fresh temp folder and returns it. */
async function contentDir(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await makeTempDir('read-content-');
  for (const [name, contents] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), contents);
  }
  return dir;
}

function problemFor(read: ContentRead, file: string): Problem {
  const problem = read.problems.find((candidate) => candidate.file === file);
  assert.ok(problem, `expected a problem for ${file}; got ${JSON.stringify(read.problems)}`);
  return problem;
}

function assertSkipped(read: ContentRead, file: string, reason: string): void {
  const problem = problemFor(read, file);
  assert.equal(problem.code, 'ARTICLE_UNREADABLE');
  assert.deepEqual(
    problem.issues.map((issue) => issue.reason),
    [reason],
  );
  assert.equal(
    read.files.some((source: { file: string; text?: string }) => source.file === file),
    false,
    `${file} must not be read`,
  );
}

describe('readContent: Markdown files', () => {
  let read: ContentRead;
  const a = articleText(frontMatter({ title: 'A' }));
  const b = articleText(frontMatter({ title: 'B' }));
  const c = articleText(frontMatter({ title: 'C' }));

  before(async () => {
    const dir = await contentDir({ 'b.md': b, 'a.md': a, 'sub/deeper/c.md': c, 'UPPER.MD': a });
    read = await readContent(dir, { maxFileBytes: MAX_FILE_BYTES });
  });

  it('reads .md files in sub-folders too, named relative to the folder with / separators, sorted', () => {
    assert.deepEqual(
      read.files.map((source: { file: string; text?: string }) => source.file),
      ['UPPER.MD', 'a.md', 'b.md', 'sub/deeper/c.md'],
    );
  });

  it('returns each file text unchanged', () => {
    const byName = new Map(read.files.map((source: { file: string; text?: string }) => [source.file, source.text]));
    assert.equal(byName.get('a.md'), a);
    assert.equal(byName.get('b.md'), b);
    assert.equal(byName.get('sub/deeper/c.md'), c);
  });

  it('reports no problem for readable Markdown files', () => {
    assert.deepEqual(read.problems, []);
  });
});

describe('readContent: hidden files and folders', () => {
  it('ignores dot-files and everything inside dot-folders, without reporting them', async () => {
    const dir = await contentDir({
      'visible.md': articleText(),
      '.git/x.md': articleText(),
      '.git/objects/blob': 'binary\0stuff',
      '.DS_Store': Buffer.from([0, 1, 2, 3]),
      '.hidden.md': articleText(),
      'sub/.cache/y.md': articleText(),
      'sub/.hidden.md': articleText(),
      // A dot inside a name hides nothing.
      'notes.v2/x.md': articleText(),
      'sub/a.b.md': articleText(),
    });
    const read = await readContent(dir, { maxFileBytes: MAX_FILE_BYTES });
    assert.deepEqual(
      read.files.map((source: { file: string; text?: string }) => source.file),
      ['notes.v2/x.md', 'sub/a.b.md', 'visible.md'],
    );
    assert.deepEqual(read.problems, []);
  });
});

describe('readContent: files it skips, each reported and the rest still read', () => {
  let read: ContentRead;

  before(async () => {
    const outside = await contentDir({ 'secret.md': articleText() });
    const dir = await contentDir({
      'good.md': articleText(),
      'notes.txt': 'plain text',
      'big.md': `${articleText()}${'x'.repeat(MAX_FILE_BYTES)}`,
      'binary.md': Buffer.concat([Buffer.from(articleText()), Buffer.from([0]), Buffer.from('more')]),
      'latin1.md': Buffer.from([0xff, 0xfe, 0x41]),
      'utf16.md': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(articleText(), 'utf16le')]),
      'target.md': articleText(frontMatter({ title: 'Linked' })),
    });
    await symlink(path.join(outside, 'secret.md'), path.join(dir, 'outside.md'));
    await symlink(path.join(dir, 'does-not-exist.md'), path.join(dir, 'broken.md'));
    await symlink(path.join(dir, 'target.md'), path.join(dir, 'inside.md'));
    read = await readContent(dir, { maxFileBytes: MAX_FILE_BYTES });
  });

  it("skips a non-Markdown file as 'not_markdown'", () => {
    assertSkipped(read, 'notes.txt', 'not_markdown');
  });

  it("skips a file over maxFileBytes as 'too_large'", () => {
    assertSkipped(read, 'big.md', 'too_large');
  });

  it("skips a file containing a NUL byte as 'binary'", () => {
    assertSkipped(read, 'binary.md', 'binary');
  });

  it("skips a file that is not valid UTF-8 as 'not_utf8'", () => {
    assertSkipped(read, 'latin1.md', 'not_utf8');
  });

  it("skips a UTF-16 file (Notepad's \"Unicode\") as 'not_utf8', saying it is UTF-16, not as a binary file", () => {
    assertSkipped(read, 'utf16.md', 'not_utf8');
    assert.match(problemFor(read, 'utf16.md').issues[0]?.message ?? '', /^is UTF-16 text, not UTF-8/);
  });

  it("skips a symlink to a file outside the folder as 'symlink_outside'", () => {
    assertSkipped(read, 'outside.md', 'symlink_outside');
  });

  it("skips a symlink to nothing as 'broken_symlink'", () => {
    assertSkipped(read, 'broken.md', 'broken_symlink');
  });

  it('reads a symlink to a file inside the folder, under the link name', () => {
    const linked = read.files.find((source: { file: string; text?: string }) => source.file === 'inside.md');
    assert.ok(linked);
    assert.match(linked.text ?? "", /title: Linked/);
  });

  it('still reads the good files, and reports exactly one problem per skipped file', () => {
    assert.deepEqual(
      read.files.map((source: { file: string; text?: string }) => source.file),
      ['good.md', 'inside.md', 'target.md'],
    );
    assert.deepEqual(
      read.problems.map((problem) => problem.file),
      ['big.md', 'binary.md', 'broken.md', 'latin1.md', 'notes.txt', 'outside.md', 'utf16.md'],
    );
  });

  it('never puts file contents into a problem', () => {
    assert.doesNotMatch(JSON.stringify(read.problems), /secured|c2VjcmV0/);
  });
});

describe('readContent: size limit', () => {
  it('reads a file of exactly maxFileBytes', async () => {
    const text = articleText();
    const dir = await contentDir({ 'exact.md': text });
    const read = await readContent(dir, { maxFileBytes: Buffer.byteLength(text) });
    assert.deepEqual(
      read.files.map((source: { file: string; text?: string }) => source.file),
      ['exact.md'],
    );
    assert.deepEqual(read.problems, []);
  });
});

describe('readContent: what the build cache keys a file by', () => {
  it('gives each file the hash of its bytes as its key: equal bytes, equal keys', async () => {
    const dir = await makeTempDir();
    await writeFile(path.join(dir, 'a.md'), 'same text');
    await writeFile(path.join(dir, 'b.md'), 'same text');
    await writeFile(path.join(dir, 'c.md'), 'same texT');
    const read = readContent(dir, { maxFileBytes: 1000 });
    const [a, b, c] = read.files.map((file) => file.key);
    assert.equal(a, b);
    assert.notEqual(a, c);
    assert.equal(a, createHash('sha256').update('same text').digest('base64url').slice(0, 22));
  });

  it('keys a file by all of its bytes: two files that differ only in their last byte, past the front matter, get different keys', async () => {
    const dir = await makeTempDir();
    const head = `---\ntitle: Same\n---\n${'body text '.repeat(200)}`;
    await writeFile(path.join(dir, 'a.md'), `${head}A`);
    await writeFile(path.join(dir, 'b.md'), `${head}B`);
    const [a, b] = readContent(dir, { maxFileBytes: 10_000 }).files;
    assert.notEqual(a!.key, b!.key);
  });

  it('gives each file its size, mtime, ctime and inode, as statCandidate does without reading it', async () => {
    const dir = await makeTempDir();
    await writeFile(path.join(dir, 'a.md'), 'text');
    const [file] = readContent(dir, { maxFileBytes: 1000 }).files;
    const { root, candidates } = listContent(dir);
    const stat = statCandidate(root, candidates[0]!);
    assert.deepEqual(stat, file!.stat);
    assert.equal(stat?.size, 4);
    assert.ok(sameStat(stat!, file!.stat));
  });

  it('keeps a size and an inode without a heap number each (the cache keeps a stat for every file)', async () => {
    const dir = await makeTempDir();
    await writeFile(path.join(dir, 'a.md'), 'text');
    const stats = fs.statSync(path.join(dir, 'a.md'));
    // A plain object of the same four fields whose size is not an integer (a stat made by JSON.parse,
    // or sent from another thread, can be one) makes V8 box that field in every plain object of
    // that shape: a stat kept as one would have its size boxed from then on.
    assert.equal((JSON.parse('{"size":0.5,"mtimeMs":0,"ctimeMs":0,"ino":0}') as FileStat).size, 0.5);
    const kept = 100_000;
    // Each with times of its own, as files have: each time is a heap number of its own.
    const inputs = Array.from({ length: kept }, (_, index) => ({ size: stats.size, mtimeMs: stats.mtimeMs + index + 0.25, ctimeMs: stats.ctimeMs + index + 0.25, ino: stats.ino }));
    const { grown, made } = heapGrowth(() => inputs.map((input) => fileStat(input)));
    assert.deepEqual({ ...made[kept - 1] }, inputs[kept - 1]);
    // An object of four fields is 56 bytes, its slot in the array 8 and a heap number 16: the two
    // times are boxed (fractions of a millisecond), the size and the inode need not be (an inode
    // past 2^30, as some file systems give, is boxed too).
    const boxed = stats.ino < 2 ** 30 ? 2 : 3;
    assert.ok(grown / kept < 56 + 8 + 16 * boxed + 8, `${(grown / kept).toFixed(0)} bytes a stat, ${boxed} of its numbers boxed`);
  });
});

describe('readCandidate: a listed file that cannot be opened by its name', () => {
  it('tells a listed file that went before it was read (`gone`) from one it cannot read (a Problem)', async () => {
    const dir = await contentDir({ 'a.md': 'text', 'sub/b.md': 'text' });
    const { root, candidates } = listContent(dir);
    await rm(path.join(dir, 'a.md'));
    await rm(path.join(dir, 'sub'), { recursive: true });
    await writeFile(path.join(dir, 'sub'), 'a file where the folder was');
    assert.deepEqual(candidates.map((candidate) => readCandidate(root, candidate, MAX_FILE_BYTES)), ['gone', 'gone']);
    assert.deepEqual(readContent(dir, { maxFileBytes: MAX_FILE_BYTES }).problems.map((problem) => problem.file), ['sub'], 'only the new file, which is not Markdown');
  });

  it("skips a file whose name is not valid UTF-8 as 'name_not_utf8': listed, but no file has the name so decoded", async () => {
    const dir = await contentDir({ 'a.md': 'text' });
    await writeFile(Buffer.concat([Buffer.from(`${dir}/caf`), Buffer.from([0xe9]), Buffer.from('.md')]), 'text');
    const { root, candidates } = listContent(dir);
    assert.deepEqual(candidates.map((candidate) => candidate.relative), ['a.md', 'caf\uFFFD.md']);
    const result = readCandidate(root, candidates[1]!, MAX_FILE_BYTES);
    assert.ok(typeof result === 'object' && 'issues' in result, String(result));
    assert.equal(result.issues[0]!.reason, 'name_not_utf8');
    assert.match(result.issues[0]!.message, /name is not valid UTF-8/);
  });

  it("readNamedFiles (a watcher's names) reports a name that is not valid UTF-8 as a full scan does, and as gone once it is", async () => {
    const dir = await contentDir({ 'a.md': 'text' });
    const bytes = Buffer.concat([Buffer.from(`${dir}/sub/caf`), Buffer.from([0xe9]), Buffer.from('.md')]);
    await mkdir(path.join(dir, 'sub'));
    await writeFile(bytes, 'text');
    const named = readNamedFiles(dir, ['sub/caf\uFFFD.md', 'sub/gone\uFFFD.md', 'a.md'], { maxFileBytes: MAX_FILE_BYTES })!;
    const problem = named.get('sub/caf\uFFFD.md');
    assert.ok(typeof problem === 'object' && 'issues' in problem, String(problem));
    assert.deepEqual([problem.file, problem.issues[0]!.reason], ['sub/caf\uFFFD.md', 'name_not_utf8']);
    assert.equal(named.get('sub/gone\uFFFD.md'), 'gone', 'no entry of the folder decodes to that name');
    assert.equal((named.get('a.md') as { text?: string }).text, 'text');
    await rm(bytes);
    assert.equal(readNamedFiles(dir, ['sub/caf\uFFFD.md'], { maxFileBytes: MAX_FILE_BYTES })!.get('sub/caf\uFFFD.md'), 'gone');
  });

  it("readNamedFiles takes a name it cannot look up (ELOOP here; EACCES for a user) for a full scan, not as gone", async () => {
    const dir = await contentDir({ 'a.md': 'text' });
    // A folder that is a link to itself: looking up loop/b.md fails with ELOOP, not ENOENT.
    await symlink('loop', path.join(dir, 'loop'));
    assert.equal(readNamedFiles(dir, ['a.md', 'loop/b.md'], { maxFileBytes: MAX_FILE_BYTES }), undefined);
    assert.equal(readNamedFiles(dir, ['a.md', 'nothere/b.md', 'a.md/b.md'], { maxFileBytes: MAX_FILE_BYTES })?.get('nothere/b.md'), 'gone');
  });
});

/** Makes a FIFO at `file` with mkfifo(1); false (the test skipped) where there is none, unless CI is set. */
function madeFifo(t: TestContext, file: string): boolean {
  try {
    execFileSync('mkfifo', [file]);
    return true;
  } catch (error) {
    if (process.env.CI === 'true') throw error;
    t.skip(`mkfifo is not available: ${String(error)}`);
    return false;
  }
}

/**
 * A thread that, after `ms`, opens `fifo` for writing (without blocking) and closes it: a read
 * blocked in opening the FIFO then returns, so a test of code that blocks fails instead of hanging.
 * Blocked or not, this thread goes on running beside the test's.
 */
function unblockAfter(fifo: string, ms: number): Worker {
  const script = `const fs = require('node:fs');
setTimeout(() => { try { fs.closeSync(fs.openSync(${JSON.stringify(fifo)}, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)); } catch {} }, ${ms});`;
  return new Worker(script, { eval: true });
}

describe('readContent: a file that is not a regular file', () => {
  it("reports a FIFO named *.md as 'not_regular' at once (opening it to read would wait for a writer for ever), and reads every other file", async (t) => {
    const dir = await contentDir({ 'a.md': articleText(), 'z.md': articleText() });
    const fifo = path.join(dir, 'pipe.md');
    if (!madeFifo(t, fifo)) return;
    const rescue = unblockAfter(fifo, 3000);
    try {
      const started = performance.now();
      const read = readContent(dir, { maxFileBytes: MAX_FILE_BYTES });
      assert.ok(performance.now() - started < 2000, 'the read waited on the FIFO');
      assertSkipped(read, 'pipe.md', 'not_regular');
      assert.match(problemFor(read, 'pipe.md').issues[0]!.message, /is not a regular file/);
      assert.deepEqual(read.files.map((file) => file.file), ['a.md', 'z.md']);
      // As a watcher names it.
      const named = readNamedFiles(dir, ['pipe.md'], { maxFileBytes: MAX_FILE_BYTES })!.get('pipe.md');
      assert.ok(typeof named === 'object' && 'issues' in named, String(named));
      assert.equal(named.issues[0]!.reason, 'not_regular');
    } finally {
      await rescue.terminate();
    }
  });

  it("reports a socket named *.md as 'not_regular'", async () => {
    const dir = await contentDir({ 'a.md': articleText() });
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path.join(dir, 'socket.md'), resolve));
    try {
      const read = readContent(dir, { maxFileBytes: MAX_FILE_BYTES });
      assertSkipped(read, 'socket.md', 'not_regular');
      assert.deepEqual(read.files.map((file) => file.file), ['a.md']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

const NOBODY = 65534;

/** What listContent throws: its code, message and details. */
interface ListingError {
  readonly code?: string;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * What listContent throws for `dir` (undefined: nothing), listed by a user whom file modes bind:
 * this process, or, when it runs as root (whom they do not bind), a child process run as the user
 * nobody. Undefined with the test skipped where neither can be had (unless CI is set).
 */
function unprivilegedListingError(t: TestContext, dir: string): ListingError | 'skipped' | undefined {
  if (process.getuid?.() !== 0) {
    try {
      listContent(dir);
      return undefined;
    } catch (error) {
      const { code, message, details } = error as ListingError;
      return { code, message, details };
    }
  }
  const module = JSON.stringify(new URL('../../src/content/read-content.ts', import.meta.url).href);
  const script = `const { listContent } = await import(${module});
try { listContent(${JSON.stringify(dir)}); console.log('null'); } catch (error) { console.log(JSON.stringify({ code: error.code, message: error.message, details: error.details })); }`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    uid: NOBODY,
    gid: NOBODY,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (child.error || child.status !== 0) {
    // No right to change user, or the user nobody cannot read this checkout.
    const why = `cannot list the folder as an unprivileged user: ${String(child.error ?? child.stderr)}`;
    if (process.env.CI === 'true') throw new Error(why);
    t.skip(why);
    return 'skipped';
  }
  return (JSON.parse(child.stdout) as ListingError | null) ?? undefined;
}

describe('listContent: a folder inside the content folder that cannot be read', () => {
  it('fails the listing (its articles are not taken as removed), naming that folder, not the content folder', async (t) => {
    const dir = await contentDir({ 'a.md': articleText(), 'locked/b.md': articleText(), 'open/c.md': articleText() });
    // Readable by the user nobody down to the content folder.
    await chmod(dir, 0o755);
    await chmod(path.join(dir, 'locked'), 0o000);
    let error;
    try {
      error = unprivilegedListingError(t, dir);
    } finally {
      await chmod(path.join(dir, 'locked'), 0o755);
    }
    if (error === 'skipped') return;
    assert.ok(error, 'the listing must fail');
    assert.equal(error.code, 'CONTENT_FOLDER_UNAVAILABLE');
    const locked = path.join(dir, 'locked');
    assert.ok(error.message.startsWith(`The folder ${locked} in the content folder is not readable (EACCES).`), error.message);
    assert.deepEqual(error.details, { errno: 'EACCES', folder: locked });
  });
});

describe('listContent: a folder that vanishes while the folder is listed', () => {
  /** readdirSync failing `times` times as if `folder` (below the content folder) was removed during the walk. */
  function vanishing(folder: () => string, times: number) {
    const real = fs.readdirSync;
    let failures = 0;
    const calls = mock.method(fs, 'readdirSync', function (this: unknown, ...args: Parameters<typeof fs.readdirSync>) {
      if (failures < times) {
        failures++;
        throw Object.assign(new Error(`ENOENT: no such file or directory, scandir '${folder()}'`), { code: 'ENOENT', path: folder() });
      }
      return real.apply(this, args);
    });
    syncBuiltinESMExports();
    return {
      calls,
      restore() {
        calls.mock.restore();
        syncBuiltinESMExports();
      },
    };
  }

  it('lists again, and gives what is there (a git pull removing a folder mid-walk is no failure)', async () => {
    const dir = await contentDir({ 'a.md': articleText(), 'kept/b.md': articleText() });
    const fault = vanishing(() => path.join(fs.realpathSync(dir), 'removed'), 1);
    try {
      const { candidates } = listContent(dir);
      assert.deepEqual(
        candidates.map((candidate) => candidate.relative),
        ['a.md', path.join('kept', 'b.md')],
      );
      assert.equal(fault.calls.mock.callCount(), 2, 'listed twice');
    } finally {
      fault.restore();
    }
  });

  it('fails as before, naming the folder, when it is missing at every try; and never retries a missing content folder', async () => {
    const dir = await contentDir({ 'a.md': articleText() });
    const fault = vanishing(() => path.join(fs.realpathSync(dir), 'flapping'), 10);
    try {
      assert.throws(() => listContent(dir), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'CONTENT_FOLDER_UNAVAILABLE');
        assert.match(error.message, /flapping/);
        return true;
      });
      assert.equal(fault.calls.mock.callCount(), 3);
    } finally {
      fault.restore();
    }
    const missing = path.join(dir, 'no-such-folder');
    assert.throws(() => listContent(missing), /missing \(ENOENT\)/);
  });
});
