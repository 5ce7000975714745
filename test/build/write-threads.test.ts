import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DiskWriteError } from '../../src/build/disk-write-error.js';
import { EntryStoreCorrupt, SegmentWriter, type EntryLocation } from '../../src/build/entry-store.js';
import { DocumentWriteThread, type DocumentFileJob, type StagedFile } from '../../src/build/write-threads.js';
import type { EntryFragments } from '../../src/render/entry-fragments.js';
import { DOCUMENT_FORMATS, fillFrame, type DocumentFrame } from '../../src/render/render-document.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** Three stored entries, each format's text telling which entry it is (with some multi-byte text). */
async function storedEntries(): Promise<{ dir: string; fragments: EntryFragments[]; locations: EntryLocation[] }> {
  const dir = await makeTempDir('write-thread-entries-');
  const writer = new SegmentWriter(dir);
  const fragments = [0, 1, 2].map((index) => ({
    rss: `<item>${index} Ünïcödé</item>`,
    atom: `<entry>${index}</entry>`,
    json: `{"id":"${index} ✓"}`,
    html: `<article>${index}</article>`,
  }));
  const locations = fragments.map((entry) => writer.append(entry));
  writer.close();
  return { dir, fragments, locations };
}

function frame(name: string): DocumentFrame {
  return { name, contentType: 'text/plain', head: `head of ${name}\n`, first: '[', between: ', ', last: ']\n', empty: '(none)\n' };
}

/** A document's four files, to be written into `out` under temporary names. */
function fileJobs(out: string, document: string): DocumentFileJob[] {
  return DOCUMENT_FORMATS.map((format) => ({
    format,
    frame: frame(`${document}.${format}`),
    target: path.join(out, `${document}.${format}`),
    temporaryPath: path.join(out, `.${document}.${format}.tmp`),
  }));
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64url').slice(0, 27);

describe('DocumentWriteThread: documents written by a helper thread of the write stage', () => {
  it("writes each file's frame filled with the stored entries, and answers with its hash, size and mtime", async () => {
    const { dir, fragments, locations } = await storedEntries();
    const out = await makeTempDir('write-thread-out-');
    const thread = new DocumentWriteThread(dir);
    const answers = new Map<string, readonly StagedFile[]>();
    const documents = { a: [2, 0], b: [1], c: [] as number[] };
    for (const [document, order] of Object.entries(documents)) {
      const entries = order.map((index) => locations[index]!);
      thread.give({ files: fileJobs(out, document), entries, checked: entries.map(() => false) }, (staged) => answers.set(document, staged));
    }
    thread.finish();
    assert.deepEqual([...answers.keys()].sort(), ['a', 'b', 'c']);
    for (const [document, order] of Object.entries(documents)) {
      const jobs = fileJobs(out, document);
      jobs.forEach((job, index) => {
        const bytes = readFileSync(job.temporaryPath);
        // The same text as the in-memory renderer joins from the fragments.
        const expected = fillFrame(
          job.frame,
          order.map((entry) => fragments[entry]![job.format]),
        );
        assert.equal(bytes.toString('utf8'), expected, job.frame.name);
        const staged = answers.get(document)![index]!;
        assert.equal(staged.size, bytes.length, job.frame.name);
        assert.equal(staged.hash, sha256(bytes), job.frame.name);
        assert.ok(Math.abs(staged.mtimeMs - Date.now()) < 60_000, `${job.frame.name}: mtime ${staged.mtimeMs}`);
      });
    }
  });

  it('fails with a DiskWriteError naming the file (not its temporary name), leaving no temporary file for it', async () => {
    const { dir, locations } = await storedEntries();
    const out = await makeTempDir('write-thread-out-');
    const thread = new DocumentWriteThread(dir);
    const good = fileJobs(out, 'good');
    // The third file's folder does not exist: its open fails with ENOENT.
    const jobs = fileJobs(out, 'bad').map((job, index) => (index === 2 ? { ...job, temporaryPath: path.join(out, 'missing', 'x.tmp') } : job));
    let goodAnswered = false;
    thread.give({ files: good, entries: locations, checked: [true, true, true] }, () => (goodAnswered = true));
    thread.give({ files: jobs, entries: locations, checked: [true, true, true] }, () => assert.fail('a failed document must not be answered as written'));
    assert.throws(
      () => thread.finish(),
      (error: unknown) => error instanceof DiskWriteError && error.file === jobs[2]!.target && error.errno === 'ENOENT',
    );
    assert.ok(goodAnswered, 'the document given before the failing one is answered');
    assert.equal(existsSync(path.join(out, 'missing', 'x.tmp')), false);
    // What it wrote before the failure stays for the build's rollback to remove (it reserved the names).
    assert.ok(existsSync(jobs[0]!.temporaryPath));
  });

  it('checks the digest of an entry the calling thread has not checked, and fails with EntryStoreCorrupt', async () => {
    const { dir, locations } = await storedEntries();
    const out = await makeTempDir('write-thread-out-');
    const location = locations[1]!;
    const segment = path.join(dir, location.segment);
    const bytes = readFileSync(segment);
    bytes[location.offset + 3]! ^= 0x20;
    writeFileSync(segment, bytes);
    const trusted = new DocumentWriteThread(dir);
    let written = false;
    // Trusted (written by this process, as the calling thread says): copied as it is.
    trusted.give({ files: fileJobs(out, 'trusted'), entries: [location], checked: [true] }, () => (written = true));
    trusted.finish();
    assert.ok(written);
    const checking = new DocumentWriteThread(dir);
    checking.give({ files: fileJobs(out, 'checked'), entries: [location], checked: [false] }, () => assert.fail('a corrupt entry must not be written'));
    assert.throws(() => checking.finish(), EntryStoreCorrupt);
    assert.equal(existsSync(fileJobs(out, 'checked')[0]!.temporaryPath), false, 'nothing written for a document with a corrupt entry');
  });

  it('close() returns only once every document given is written: a rollback after it finds all their temporary files', async () => {
    const { dir, locations } = await storedEntries();
    const out = await makeTempDir('write-thread-out-');
    const thread = new DocumentWriteThread(dir);
    const documents = ['one', 'two', 'three'];
    for (const document of documents) thread.give({ files: fileJobs(out, document), entries: locations, checked: [true, true, true] }, () => {});
    thread.close();
    for (const document of documents) for (const job of fileJobs(out, document)) assert.ok(existsSync(job.temporaryPath), job.temporaryPath);
  });
});
