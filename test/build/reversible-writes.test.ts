/**
 * ReversibleWrites on its own: staged files, an append and a removal put in place together, and
 * taken back byte for byte when any step fails (faults through the build's fs seam). The folder
 * is read with node:fs.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isTemporaryName, ReversibleWrites } from '../../src/build/reversible-writes.js';
import { everyFile } from '../helpers/disk-faults.js';
import { injectFault, temporaryFileOf } from '../helpers/fault-fs.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** A folder with an old file, a journal and a file to remove, and the writes a snapshot build makes to it. */
async function folderAndWrites(): Promise<{ dir: string; writes: ReversibleWrites }> {
  const dir = await makeTempDir('reversible-writes-');
  mkdirSync(path.join(dir, 'archive'));
  writeFileSync(path.join(dir, 'old.xml'), 'old bytes');
  writeFileSync(path.join(dir, 'archive', 'kept.xml'), 'kept');
  writeFileSync(path.join(dir, 'list.json'), 'header\n');
  writeFileSync(path.join(dir, 'list.json.journal'), 'row 1\n');
  const writes = new ReversibleWrites(dir);
  writes.stage('.claims', Buffer.from('claims'), { first: true });
  writes.stage('old.xml', Buffer.from('new bytes'));
  writes.makeFolder(path.join(dir, 'archive', 'new', 'deep'));
  writes.stage('archive/new/deep/1.xml', Buffer.from('a new page'), { fresh: true });
  writes.stage('list.json', Buffer.from('new header\n'));
  writes.remove('list.json.journal');
  writes.append('other.journal', 'appended\n');
  return { dir, writes };
}

const text = (files: Map<string, Buffer>) => Object.fromEntries([...files].map(([name, bytes]) => [name, bytes.toString('utf8')]));

describe('ReversibleWrites', () => {
  it('changes nothing visible while staging; apply puts everything in place; settle leaves no temporary file', async () => {
    const { dir, writes } = await folderAndWrites();
    const staged = text(everyFile(dir));
    assert.equal(staged['old.xml'], 'old bytes');
    assert.equal(Object.keys(staged).filter((name) => !name.endsWith('.tmp')).length, 4);
    writes.apply();
    assert.equal(writes.settle(), 0);
    assert.deepEqual(text(everyFile(dir)), {
      '.claims': 'claims',
      'archive/kept.xml': 'kept',
      'archive/new/deep/1.xml': 'a new page',
      'list.json': 'new header\n',
      'old.xml': 'new bytes',
      'other.journal': 'appended\n',
    });
  });

  it('a fault at the last step (the journal removal) takes every earlier step back, byte for byte, new folders too', async () => {
    const { dir, writes } = await folderAndWrites();
    const before = text(new Map([...everyFile(dir)].filter(([name]) => !name.endsWith('.tmp'))));
    const fault = injectFault({ call: 'renameSync', code: 'EIO', file: temporaryFileOf('list.json.journal') });
    try {
      assert.throws(() => writes.apply(), (error: Error & { file?: string; errno?: string }) => error.file === path.join(dir, 'list.json.journal') && error.errno === 'EIO');
    } finally {
      fault.restore();
    }
    assert.equal(fault.hits, 1);
    assert.deepEqual(text(everyFile(dir)), before);
    assert.deepEqual(everyFile(path.join(dir, 'archive', 'new')).size, 0);
    assert.equal(writes.abandon(), true);
  });

  it('an append that fails halfway is cut back; the next append starts a line of its own after a line cut short', async () => {
    const dir = await makeTempDir('reversible-writes-');
    writeFileSync(path.join(dir, 'rows.journal'), 'row 1\n');
    const failing = new ReversibleWrites(dir);
    failing.append('rows.journal', 'row 2\nrow 3\n');
    const fault = injectFault({ call: 'appendFileSync', code: 'ENOSPC', file: (file) => file.endsWith('rows.journal') });
    try {
      assert.throws(() => failing.apply(), /rows\.journal: ENOSPC/);
    } finally {
      fault.restore();
    }
    assert.equal(text(everyFile(dir))['rows.journal'], 'row 1\n');
    // A process killed mid-append leaves a line cut short: the next rows start after a newline.
    writeFileSync(path.join(dir, 'rows.journal'), 'row 1\nro');
    const next = new ReversibleWrites(dir);
    next.append('rows.journal', 'row 2\n');
    next.apply();
    next.settle();
    assert.equal(text(everyFile(dir))['rows.journal'], 'row 1\nro\nrow 2\n');
  });

  it('when the disk also fails while putting files back, it says so and keeps the claims file (the next build then trusts nothing)', async () => {
    const { dir, writes } = await folderAndWrites();
    // Every rename of old.xml fails from the journal step on: the first rename put it in place, the one putting it back fails.
    const fault = injectFault({ call: 'renameSync', code: 'EIO', file: temporaryFileOf('list.json.journal') });
    const stuck = injectFault({ call: 'renameSync', code: 'EIO', file: (file) => file === path.join(dir, 'old.xml'), nth: 2, persistent: true });
    try {
      assert.throws(() => writes.apply(), /EIO/);
    } finally {
      stuck.restore();
      fault.restore();
    }
    assert.equal(writes.abandon(), false);
    const files = text(everyFile(dir));
    assert.equal(files['.claims'], 'claims');
    assert.equal(files['list.json'], 'header\n', 'what could be put back was');
  });

  it('writeTogether puts every staged file in place, or, when a step throws, leaves the folder as it was and throws that error', async () => {
    const dir = await makeTempDir('reversible-writes-');
    writeFileSync(path.join(dir, 'a.json'), 'old a');
    ReversibleWrites.writeTogether(dir, (writes) => {
      writes.stage('a.json', Buffer.from('new a'));
      writes.stage('b.json', Buffer.from('new b'));
    });
    assert.deepEqual(text(everyFile(dir)), { 'a.json': 'new a', 'b.json': 'new b' });
    const failure = new Error('the caller failed after staging');
    assert.throws(
      () =>
        ReversibleWrites.writeTogether(dir, (writes) => {
          writes.stage('a.json', Buffer.from('newer a'));
          writes.makeFolder(path.join(dir, 'sub'));
          writes.stage('sub/c.json', Buffer.from('c'));
          throw failure;
        }),
      (error) => error === failure,
    );
    assert.deepEqual(text(everyFile(dir)), { 'a.json': 'new a', 'b.json': 'new b' }, 'no temporary file, no new folder, the old bytes');
    // b.json's rename into place fails after a.json's was done.
    const fault = injectFault({ call: 'renameSync', code: 'ENOSPC', file: (file) => file === path.join(dir, 'b.json') });
    try {
      assert.throws(() => ReversibleWrites.writeTogether(dir, (writes) => {
        writes.stage('a.json', Buffer.from('newest a'));
        writes.stage('b.json', Buffer.from('newest b'));
      }), /ENOSPC/);
    } finally {
      fault.restore();
    }
    assert.deepEqual(text(everyFile(dir)), { 'a.json': 'new a', 'b.json': 'new b' }, 'a failed apply is taken back');
  });

  it('stageText writes a text given in pieces; a disk that fills halfway through leaves the old file and no temporary one', async () => {
    const dir = await makeTempDir('reversible-writes-');
    writeFileSync(path.join(dir, 'state.json'), 'old state');
    // 1.9 MB: written in two writes, the second of which fails.
    const pieces = Array.from({ length: 100_000 }, (_, index) => `"entry ${index}":"é"\n`);
    const fault = injectFault({ call: 'writeSync', code: 'ENOSPC', nth: 2, file: temporaryFileOf('state.json') });
    try {
      assert.throws(
        () => ReversibleWrites.writeTogether(dir, (writes) => void writes.stageText('state.json', pieces)),
        (error: Error & { file?: string; errno?: string }) => error.file === path.join(dir, 'state.json') && error.errno === 'ENOSPC',
      );
      assert.equal(fault.hits, 1);
    } finally {
      fault.restore();
    }
    assert.deepEqual(text(everyFile(dir)), { 'state.json': 'old state' });
    ReversibleWrites.writeTogether(dir, (writes) => void writes.stageText('state.json', pieces));
    assert.deepEqual(text(everyFile(dir)), { 'state.json': pieces.join('') });
  });
});

describe('ReversibleWrites: temporary names', () => {
  // Names of 255 bytes, the most a file name may have (ext4, tmpfs, APFS, NTFS in UTF-16 units):
  // longer than any feed's (a slug is at most 200 bytes), so the temporary names have room.
  const LATIN = `${'c'.repeat(250)}.atom`;
  const CJK = `${'人'.repeat(83)}.html`; // 249 + 5 bytes of UTF-8
  const temporaryFiles = (dir: string) => [...everyFile(dir).keys()].map((name) => path.basename(name)).filter(isTemporaryName);

  it('names every temporary and backup file in 42 bytes whatever its target, so 255-byte names are written, replaced and taken back', async () => {
    const dir = await makeTempDir('reversible-writes-');
    mkdirSync(path.join(dir, 'c'.repeat(250)));
    writeFileSync(path.join(dir, LATIN), 'old bytes');
    const writes = new ReversibleWrites(dir);
    writes.stage(LATIN, Buffer.from('new bytes'));
    writes.stage(CJK, Buffer.from('new page'), { fresh: true });
    writes.stage(`${'c'.repeat(250)}/${LATIN}`, Buffer.from('an archive page'), { fresh: true });
    const staged = temporaryFiles(dir);
    assert.equal(staged.length, 3);
    for (const name of staged) assert.equal(Buffer.byteLength(name), 42, name);
    writes.apply();
    assert.equal(writes.settle(), 0);
    assert.deepEqual(text(everyFile(dir)), { [LATIN]: 'new bytes', [CJK]: 'new page', [`${'c'.repeat(250)}/${LATIN}`]: 'an archive page' });

    // Replaced (the old file kept as a backup), then taken back.
    const failing = new ReversibleWrites(dir);
    failing.stage(LATIN, Buffer.from('newer bytes'));
    failing.remove(CJK);
    failing.apply();
    assert.equal(failing.rollback(), true);
    assert.deepEqual(text(everyFile(dir)), { [LATIN]: 'new bytes', [CJK]: 'new page', [`${'c'.repeat(250)}/${LATIN}`]: 'an archive page' });
  });

  it('gives two names their own temporary files, and two writers theirs', async () => {
    const dir = await makeTempDir('reversible-writes-');
    const one = new ReversibleWrites(dir);
    const other = new ReversibleWrites(dir);
    const names = new Set([one.temporaryPath('a.xml'), one.temporaryPath('b.xml'), other.temporaryPath('a.xml')]);
    assert.equal(names.size, 3);
    for (const name of names) assert.equal(path.dirname(name), dir);
  });
});
