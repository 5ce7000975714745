import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it, mock } from 'node:test';
import type { FeedFile } from '../../src/render/feed-formats.js';
import { temporaryName } from '../../src/build/reversible-writes.js';
import { buildFs } from '../../src/build/build-fs.js';
import { FeedsWriter, folderCounts, MANIFEST_NAME, noListedFileGone, readManifest, versionMtime, writeFeedFiles } from '../../src/build/write-feeds.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const OLD = new Date('2020-01-02T03:04:05Z');

function feedFile(name: string, body: string): FeedFile {
  return { name, contentType: 'application/rss+xml; charset=utf-8', body };
}

/** Backdates every named file, so a rewrite would show up as a new mtime. */
async function backdate(dir: string, names: readonly string[]): Promise<void> {
  for (const name of names) await utimes(path.join(dir, name), OLD, OLD);
}

async function mtimeOf(dir: string, name: string): Promise<number> {
  return (await stat(path.join(dir, name))).mtime.getTime();
}

describe('writeFeedFiles: writing', () => {
  it('writes every file with its exact UTF-8 bytes and reports them as written', async () => {
    const dir = await makeTempDir('write-feeds-');
    const files = [feedFile('ai.xml', '<rss>Zürich — 人工智能</rss>'), feedFile('ai.json', '{"a":1}\n')];
    const report = await writeFeedFiles(dir, files);
    assert.deepEqual(report.written, ['ai.xml', 'ai.json']);
    assert.deepEqual(report.unchanged, []);
    assert.deepEqual(report.removed, []);
    for (const file of files) {
      assert.deepEqual(await readFile(path.join(dir, file.name)), Buffer.from(file.body, 'utf8'));
    }
    assert.deepEqual(
      report.files.map((file) => [file.name, file.changed]),
      [
        ['ai.xml', true],
        ['ai.json', true],
      ],
    );
  });

  it('writes many files at once but reports them in the order given', async () => {
    const dir = await makeTempDir('write-feeds-');
    const files = Array.from({ length: 100 }, (_, index) => feedFile(`topic-${String(99 - index).padStart(2, '0')}.xml`, `<rss>${index}</rss>`));
    await writeFeedFiles(dir, files.slice(0, 50));
    const report = await writeFeedFiles(dir, files);
    assert.deepEqual(report.unchanged, files.slice(0, 50).map((file) => file.name));
    assert.deepEqual(report.written, files.slice(50).map((file) => file.name));
    assert.deepEqual(report.files.map((file) => file.name), files.map((file) => file.name));
    for (const file of files) assert.equal(await readFile(path.join(dir, file.name), 'utf8'), file.body);
  });

  it('fails when a file cannot be written, naming it, and leaves no file of the build and no temporary file', async () => {
    const dir = await makeTempDir('write-feeds-');
    // A folder where a feed file should go: the rename onto it fails, after the 40 others were put in place.
    await mkdir(path.join(dir, 'ai.xml', 'inside'), { recursive: true });
    const files = [...Array.from({ length: 40 }, (_, index) => feedFile(`t${index}.xml`, 'x')), feedFile('ai.xml', '<rss/>')];
    await assert.rejects(writeFeedFiles(dir, files), (error: Error & { code?: string; errno?: unknown; file?: unknown }) => {
      assert.equal(error.code, 'DISK_WRITE_FAILED');
      assert.ok(['EISDIR', 'ENOTEMPTY', 'EEXIST'].includes(String(error.errno)), String(error.errno));
      assert.equal(error.file, path.join(dir, 'ai.xml'));
      assert.match(error.message, new RegExp(`${path.join(dir, 'ai.xml')}: E[A-Z]+`));
      return true;
    });
    const names = await readdir(dir, { recursive: true });
    assert.deepEqual(names.sort(), ['ai.xml', path.join('ai.xml', 'inside')]);
  });

  it('creates the folder when it does not exist yet', async () => {
    const dir = path.join(await makeTempDir('write-feeds-'), 'nested', 'feeds');
    const report = await writeFeedFiles(dir, [feedFile('all.xml', '<rss/>')]);
    assert.deepEqual(report.written, ['all.xml']);
    assert.equal(await readFile(path.join(dir, 'all.xml'), 'utf8'), '<rss/>');
  });

  it('leaves no temporary files behind', async () => {
    const dir = await makeTempDir('write-feeds-');
    await writeFeedFiles(dir, [feedFile('a.xml', 'one'), feedFile('b.xml', 'two')]);
    await writeFeedFiles(dir, [feedFile('a.xml', 'one, changed'), feedFile('c.xml', 'three')]);
    const names = await readdir(dir);
    assert.deepEqual(
      names.filter((name) => name.endsWith('.tmp')),
      [],
    );
    // The manifest, and the journal of what changed since its snapshot.
    assert.deepEqual(names.sort(), [MANIFEST_NAME, `${MANIFEST_NAME}.journal`, 'a.xml', 'c.xml'].sort());
  });
});

describe('writeFeedFiles: long names', () => {
  it('writes and replaces files whose names take all 255 bytes a file name may have, in a folder of a 250-byte name too', async () => {
    const dir = await makeTempDir('write-feeds-');
    const feed = 'c'.repeat(250);
    const names = [`${feed}.atom`, `${feed}.html`, `archive/${feed}/1.atom`, `${'人'.repeat(83)}.json`];
    assert.equal((await writeFeedFiles(dir, names.map((name) => feedFile(name, 'one')))).written.length, names.length);
    assert.equal((await writeFeedFiles(dir, names.map((name) => feedFile(name, 'two')))).written.length, names.length);
    for (const name of names) assert.equal(await readFile(path.join(dir, name), 'utf8'), 'two');
    assert.deepEqual((await readdir(dir, { recursive: true })).filter((name) => name.endsWith('.tmp')), []);
  });
});

describe('writeFeedFiles: unchanged bytes', () => {
  it('reports files with the same bytes as unchanged and does not touch them (mtime kept)', async () => {
    const dir = await makeTempDir('write-feeds-');
    const files = [feedFile('ai.xml', '<rss>same</rss>'), feedFile('ai.atom', '<feed>same</feed>')];
    await writeFeedFiles(dir, files);
    await backdate(dir, ['ai.xml', 'ai.atom']);

    const report = await writeFeedFiles(dir, files);
    assert.deepEqual(report.written, []);
    assert.deepEqual(report.unchanged, ['ai.xml', 'ai.atom']);
    assert.equal(await mtimeOf(dir, 'ai.xml'), OLD.getTime());
    assert.equal(await mtimeOf(dir, 'ai.atom'), OLD.getTime());
    for (const file of report.files) {
      assert.equal(file.changed, false);
      assert.equal(file.mtimeMs, OLD.getTime(), `${file.name} reports its kept mtime`);
    }
  });

  it('rewrites only the files whose bytes changed', async () => {
    const dir = await makeTempDir('write-feeds-');
    await writeFeedFiles(dir, [feedFile('ai.xml', 'v1'), feedFile('ai.atom', 'v1')]);
    await backdate(dir, ['ai.xml', 'ai.atom']);

    const report = await writeFeedFiles(dir, [feedFile('ai.xml', 'v2'), feedFile('ai.atom', 'v1')]);
    assert.deepEqual(report.written, ['ai.xml']);
    assert.deepEqual(report.unchanged, ['ai.atom']);
    assert.equal(await readFile(path.join(dir, 'ai.xml'), 'utf8'), 'v2');
    assert.notEqual(await mtimeOf(dir, 'ai.xml'), OLD.getTime());
    assert.equal(await mtimeOf(dir, 'ai.atom'), OLD.getTime());
    const changed = report.files.find((file) => file.name === 'ai.xml');
    assert.ok(changed?.changed);
    assert.ok(changed.mtimeMs > OLD.getTime());
  });

  it('trusts the manifest for a file as it records it: its bytes are not read to be compared', async () => {
    const dir = await makeTempDir('write-feeds-');
    await writeFeedFiles(dir, [feedFile('ai.xml', '<rss>v1</rss>')]);
    const recorded = readManifest(dir)?.files.get('ai.xml');
    assert.ok(recorded);
    // The bytes change behind the manifest's back, size and mtime kept: only a read would see that
    // they are the next build's already.
    await writeFile(path.join(dir, 'ai.xml'), '<rss>v2</rss>');
    await utimes(path.join(dir, 'ai.xml'), new Date(recorded.mtimeMs), new Date(recorded.mtimeMs));
    const report = await writeFeedFiles(dir, [feedFile('ai.xml', '<rss>v2</rss>')]);
    assert.deepEqual(report.written, ['ai.xml']);
    assert.equal(await readFile(path.join(dir, 'ai.xml'), 'utf8'), '<rss>v2</rss>');
  });

  it('keeps a file as the manifest records it when only its content type changed, and reports the new type', async () => {
    const dir = await makeTempDir('write-feeds-');
    await writeFeedFiles(dir, [feedFile('ai.xml', '<rss/>')]);
    const before = await mtimeOf(dir, 'ai.xml');
    const report = await writeFeedFiles(dir, [{ name: 'ai.xml', contentType: 'application/xml; charset=utf-8', body: '<rss/>' }]);
    assert.deepEqual(report.unchanged, ['ai.xml']);
    assert.equal(await mtimeOf(dir, 'ai.xml'), before);
    assert.equal(report.files[0]?.contentType, 'application/xml; charset=utf-8');
    assert.equal(readManifest(dir)?.files.get('ai.xml')?.contentType, 'application/xml; charset=utf-8');
  });

  it('treats a change of a single byte as a change', async () => {
    const dir = await makeTempDir('write-feeds-');
    await writeFeedFiles(dir, [feedFile('ai.json', '{"a":1}')]);
    const report = await writeFeedFiles(dir, [feedFile('ai.json', '{"a":2}')]);
    assert.deepEqual(report.written, ['ai.json']);
    assert.equal(await readFile(path.join(dir, 'ai.json'), 'utf8'), '{"a":2}');
  });
});

describe('FeedsWriter: a new version of a file never has the Last-Modified second of the one it replaces', () => {
  const SECOND = Date.parse('2026-03-01T10:00:00Z');
  const TYPE = 'application/rss+xml; charset=utf-8';

  /** One build that writes `body` as ai.xml; with `stagedMs`, the disk dates what it writes then (two builds within a second). */
  function writeVersion(dir: string, body: string, stagedMs?: number) {
    const fstatSync = buildFs.fstatSync;
    if (stagedMs !== undefined) buildFs.fstatSync = ((fd: number) => Object.assign(fstatSync(fd), { mtimeMs: stagedMs })) as typeof fstatSync;
    try {
      const writer = new FeedsWriter(dir, undefined);
      writer.claim(['ai.xml']);
      const file = writer.write('ai.xml', TYPE, Buffer.from(body));
      writer.finish();
      writer.settle();
      return file;
    } finally {
      buildFs.fstatSync = fstatSync;
    }
  }

  it('dates a version written in the second of the last one the next whole second, on disk and in the manifest', async () => {
    const dir = await makeTempDir('write-feeds-');
    const first = writeVersion(dir, '<rss>v1</rss>', SECOND + 100);
    const second = writeVersion(dir, '<rss>v2</rss>', SECOND + 400);
    assert.equal(new Date(first.mtimeMs).toUTCString(), 'Sun, 01 Mar 2026 10:00:00 GMT');
    assert.equal(new Date(second.mtimeMs).toUTCString(), 'Sun, 01 Mar 2026 10:00:01 GMT');
    assert.equal(await mtimeOf(dir, 'ai.xml'), SECOND + 1000);
    assert.equal(readManifest(dir)?.files.get('ai.xml')?.mtimeMs, SECOND + 1000);
  });

  it('gives two real versions written back to back different seconds, without waiting for the second to come', async () => {
    const dir = await makeTempDir('write-feeds-');
    const started = Date.now();
    const first = writeVersion(dir, '<rss>v1</rss>');
    const second = writeVersion(dir, '<rss>v2</rss>');
    const third = writeVersion(dir, '<rss>v3</rss>');
    const seconds = [first, second, third].map((file) => Math.floor(file.mtimeMs / 1000));
    assert.ok(seconds[0]! < seconds[1]! && seconds[1]! < seconds[2]!, JSON.stringify(seconds));
    assert.ok(Date.now() - started < 900, 'the writes waited for a second to come');
    assert.equal(await mtimeOf(dir, 'ai.xml'), third.mtimeMs);
  });

  const keptTimes = [
    ['the last one is from an earlier second', SECOND + 900],
    ['the last one is dated seconds ahead (a clock set back)', SECOND + 60_000],
  ] as const;
  for (const [when, previousMs] of keptTimes) {
    it(`keeps the time a version was written when ${when}`, async () => {
      const dir = await makeTempDir('write-feeds-');
      writeVersion(dir, '<rss>v1</rss>', previousMs);
      assert.equal(writeVersion(dir, '<rss>v2</rss>', SECOND + 1400).mtimeMs, SECOND + 1400);
    });
  }

  it('versionMtime: the time written, or the whole second after the last version when that is later', () => {
    assert.equal(versionMtime(SECOND + 400, SECOND + 100), SECOND + 1000);
    assert.equal(versionMtime(SECOND + 999, SECOND), SECOND + 1000);
    assert.equal(versionMtime(SECOND + 300, SECOND + 900), SECOND + 1000, 'a clock a little behind the last version');
    assert.equal(versionMtime(SECOND + 1000, SECOND + 999), SECOND + 1000);
    assert.equal(versionMtime(SECOND + 1400, SECOND + 900), SECOND + 1400);
  });
});

describe('writeFeedFiles: removing stale files', () => {
  it('removes a file an earlier call wrote that this call does not', async () => {
    const dir = await makeTempDir('write-feeds-');
    await writeFeedFiles(dir, [feedFile('ai.xml', 'ai'), feedFile('space.xml', 'space')]);
    const report = await writeFeedFiles(dir, [feedFile('ai.xml', 'ai')]);
    assert.deepEqual(report.removed, ['space.xml']);
    assert.deepEqual((await readdir(dir)).filter((name) => !name.startsWith(MANIFEST_NAME)).sort(), ['ai.xml']);
  });

  it('never removes a file it did not write, even after several builds', async () => {
    const dir = await makeTempDir('write-feeds-');
    await writeFile(path.join(dir, 'notes.html'), '<p>mine</p>');
    await writeFile(path.join(dir, 'old.xml'), '<rss>hand-made</rss>');
    await writeFeedFiles(dir, [feedFile('ai.xml', 'ai')]);
    const report = await writeFeedFiles(dir, [feedFile('space.xml', 'space')]);
    assert.deepEqual(report.removed, ['ai.xml']);
    assert.equal(await readFile(path.join(dir, 'notes.html'), 'utf8'), '<p>mine</p>');
    assert.equal(await readFile(path.join(dir, 'old.xml'), 'utf8'), '<rss>hand-made</rss>');
  });

  it('does not report a file removed twice', async () => {
    const dir = await makeTempDir('write-feeds-');
    await writeFeedFiles(dir, [feedFile('ai.xml', 'ai'), feedFile('space.xml', 'space')]);
    await writeFeedFiles(dir, [feedFile('ai.xml', 'ai')]);
    const report = await writeFeedFiles(dir, [feedFile('ai.xml', 'ai')]);
    assert.deepEqual(report.removed, []);
  });
});

describe('writeFeedFiles: after a crash', () => {
  it('removes temporary files a killed build left behind, but not fresh ones', async () => {
    const dir = await makeTempDir();
    await mkdir(path.join(dir, 'archive'), { recursive: true });
    // As this version names them, and as earlier ones did (the target's whole name in it).
    const abandoned = [path.join(dir, 'archive', temporaryName('ai.xml', '0123456789ab')), path.join(dir, 'archive', '.ai.xml.0123456789ab.tmp')];
    const fresh = [path.join(dir, temporaryName('all.xml', 'ba9876543210')), path.join(dir, '.all.xml.ba9876543210.tmp')];
    for (const file of abandoned) await writeFile(file, 'half a feed');
    for (const file of fresh) await writeFile(file, 'being written right now');
    const old = new Date(Date.now() - 10 * 60_000);
    for (const file of abandoned) await utimes(file, old, old);
    await writeFeedFiles(dir, [{ name: 'ai.xml', contentType: 'application/rss+xml', body: '<rss/>' }]);
    assert.deepEqual(abandoned.map((file) => existsSync(file)), [false, false]);
    assert.deepEqual(fresh.map((file) => existsSync(file)), [true, true]);
  });
});

describe('readManifest: the names it trusts', () => {
  const row = (name: string) => JSON.stringify([name, 'application/rss+xml; charset=utf-8', 'h'.repeat(27), 10, OLD.getTime()]);
  const SAFE = ['ai.xml', 'archive/ai/2.xml', 'providers/acme-corp.atom', '.x', 'a/./b.xml', 'x..y.json'];
  const UNSAFE = ['../escape.xml', 'archive/../../escape.xml', '/etc/passwd', '..', '.', '', 'a/..'];

  async function manifestWith(names: readonly string[]): Promise<string> {
    const dir = await makeTempDir('manifest-');
    await writeFile(path.join(dir, MANIFEST_NAME), `${JSON.stringify({ version: 3, generation: 'g' })}\n${names.map(row).join('\n')}\n`);
    return dir;
  }

  it('keeps the names inside the folder and drops those that would leave it', async () => {
    const manifest = readManifest(await manifestWith([...SAFE, ...UNSAFE]));
    assert.deepEqual([...manifest!.files.keys()].sort(), [...SAFE].sort());
  });

  it('reads plain names (as builds write them) without resolving a path for each: start-up reads 35k of them at 100k articles', async () => {
    const names = Array.from({ length: 200 }, (_, index) => `archive/topic-${index}/${index}.xml`);
    const dir = await manifestWith(names);
    const resolve = mock.method(path, 'resolve');
    try {
      assert.equal(readManifest(dir)!.files.size, 200);
      assert.ok(resolve.mock.callCount() < 10, `path.resolve called ${resolve.mock.callCount()} times for 200 names`);
    } finally {
      resolve.mock.restore();
    }
  });
});

describe('noListedFileGone: a file deleted from the feeds folder since its manifest, told from the folders', () => {
  /** A written folder (top, archive/ai/, providers/) and what its manifest accounts for. */
  async function written(): Promise<{ dir: string; counts: [string, number][]; manifestMtimeMs: number }> {
    const dir = await makeTempDir('folder-counts-');
    await writeFeedFiles(dir, [feedFile('ai.xml', 'a'), feedFile('archive/ai/1.xml', 'b'), feedFile('archive/ai/2.xml', 'c'), feedFile('providers/orbit.xml', 'd')]);
    // Every folder older than the manifest, as a build leaves those it wrote before it.
    for (const folder of ['', 'archive', 'archive/ai', 'providers']) await utimes(path.join(dir, folder), OLD, OLD);
    const manifest = readManifest(dir)!;
    return { dir, counts: folderCounts(manifest), manifestMtimeMs: await mtimeOf(dir, MANIFEST_NAME) };
  }

  it('counts the files each folder holds and the folders below it', async () => {
    const { counts } = await written();
    assert.deepEqual(new Map(counts), new Map([['', 3], ['archive', 1], ['archive/ai', 2], ['providers', 1]]));
  });

  it('says nothing went when nothing did, and with a file of its own added', async () => {
    const { dir, counts, manifestMtimeMs } = await written();
    assert.equal(noListedFileGone(dir, counts, manifestMtimeMs), true);
    await writeFile(path.join(dir, 'archive', 'ai', 'notes.txt'), 'a file of the publisher');
    assert.equal(noListedFileGone(dir, counts, manifestMtimeMs), true);
  });

  for (const [what, gone] of [['a file of a subfolder', 'archive/ai/2.xml'], ['a file at the top (where the manifest is)', 'ai.xml'], ['a whole folder', 'providers']] as const) {
    it(`sees ${what} deleted`, async () => {
      const { dir, counts, manifestMtimeMs } = await written();
      await rm(path.join(dir, gone), { recursive: true });
      assert.equal(noListedFileGone(dir, counts, manifestMtimeMs), false);
    });
  }
});
