import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryFile } from '../../src/http/feed-snapshot.js';
import { ServedFiles } from '../../src/http/served-files.js';

const RSS = 'application/rss+xml; charset=utf-8';
const ATOM = 'application/atom+xml; charset=utf-8';
const HTML = 'text/html; charset=utf-8';
const T = Date.UTC(2025, 0, 1, 12, 0, 0, 123);

const feed = (name: string, body = `<rss>${name}</rss>`) => memoryFile({ name, contentType: RSS, lastModified: new Date(T), hash: `hash-of-${body}`, identity: Buffer.from(body) });

/** Each file, as a request gets it, in key order. */
const filesOf = (files: ServedFiles) => [...files.keys()].map((name) => files.get(name)!);

/** Each file as [name, kind, content type, time, hash], in key order. */
const listed = (files: ServedFiles) => filesOf(files).map((file) => [file.name, file.kind, file.contentType, file.lastModified.getTime(), file.hash]);

describe('ServedFiles', () => {
  it('serves files from memory, feeds from disk until read, and archive and HTML pages from disk, each with its type and time', () => {
    const files = new ServedFiles();
    files.set(feed('ai.xml'));
    files.setOnDisk('ai.atom', ATOM, T + 1, 'hash-of-ai.atom');
    files.setOnDisk('archive/ai/1.xml', RSS, T + 2, 'hash-of-page');
    files.setOnDisk('ai.html', HTML, T + 3);
    assert.equal(files.size, 4);
    assert.deepEqual(listed(files).sort(), [
      ['ai.atom', 'disk', ATOM, T + 1, 'hash-of-ai.atom'],
      ['ai.html', 'disk', HTML, T + 3, undefined],
      ['ai.xml', 'memory', RSS, T, 'hash-of-<rss>ai.xml</rss>'],
      ['archive/ai/1.xml', 'disk', RSS, T + 2, undefined],
    ]);
    const page = files.get('archive/ai/1.xml');
    assert.equal(page?.kind === 'disk' && page.keepInMemory, false);
    const atom = files.get('ai.atom');
    assert.equal(atom?.kind === 'disk' && atom.keepInMemory, true);
    assert.equal(files.get('ai.atom'), atom, 'a feed read from disk stays one object, so the store can tell whether a build replaced it');
    assert.ok(files.has('archive/ai/1.xml') && files.has('ai.xml'));
    assert.ok(!files.has('archive/ai/2.xml') && files.get('archive/ai/2.xml') === undefined);
  });

  it('replaces a name whichever way it was held, and counts it once', () => {
    const files = new ServedFiles();
    files.setOnDisk('archive/ai/1.xml', RSS, T);
    files.set(feed('archive/ai/1.xml'));
    assert.equal(files.size, 1);
    assert.deepEqual([...files.keys()], ['archive/ai/1.xml']);
    assert.equal(files.get('archive/ai/1.xml')?.kind, 'memory');
    files.setOnDisk('archive/ai/1.xml', ATOM, T + 5);
    assert.equal(files.size, 1);
    assert.deepEqual(listed(files), [['archive/ai/1.xml', 'disk', ATOM, T + 5, undefined]]);
    files.setOnDisk('archive/ai/1.xml', RSS, T + 6);
    assert.deepEqual(listed(files), [['archive/ai/1.xml', 'disk', RSS, T + 6, undefined]]);
  });

  it('keeps every page’s type and time through deletions, slots taken again and the arrays’ growth', () => {
    const files = new ServedFiles();
    const expected = new Map<string, [string, number]>();
    const put = (name: string, contentType: string, time: number) => {
      files.setOnDisk(name, contentType, time);
      expected.set(name, [contentType, time]);
    };
    for (let page = 1; page <= 100; page++) put(`archive/ai/${page}.xml`, page % 2 ? RSS : ATOM, T + page);
    for (let page = 1; page <= 100; page += 3) {
      assert.equal(files.delete(`archive/ai/${page}.xml`), true);
      expected.delete(`archive/ai/${page}.xml`);
    }
    assert.equal(files.delete('archive/ai/1.xml'), false, 'deleted once');
    for (let page = 1; page <= 300; page++) put(`archive/all/${page}.html`, HTML, T - page);
    assert.equal(files.size, expected.size);
    assert.deepEqual(new Map(filesOf(files).map((file) => [file.name, [file.contentType, file.lastModified.getTime()]])), expected);
  });

  it('serves a page of a type the build does not write with that type', () => {
    const files = new ServedFiles();
    files.setOnDisk('archive/ai/1.txt', 'text/plain; charset=utf-8', T);
    assert.equal(files.get('archive/ai/1.txt')?.contentType, 'text/plain; charset=utf-8');
  });
});
