/**
 * scripts/mutations.mjs (`npm run test:mutations`, not part of CI: it takes minutes) puts one bug
 * at a time into src/ and runs the tests that must notice. Its list has to follow the code: a
 * mutation whose text no longer occurs exactly once does not apply, and guards nothing. This
 * checks the list without running it.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** [id, file, text to find, replacement, test files that must fail, why it is equivalent]. */
type Mutation = readonly [string, string, string, string, readonly string[], string?];

// A path in a variable: the compiler does not look for the plain JavaScript file's types.
const script = path.join(ROOT, 'scripts/mutations.mjs');
const { MUTATIONS } = (await import(script)) as { MUTATIONS: readonly Mutation[] };

describe('the mutation list (scripts/mutations.mjs)', () => {
  it('is there, and importing it ran nothing (no file of src/ changed)', () => {
    assert.ok(MUTATIONS.length > 100, `${MUTATIONS.length} mutations`);
  });

  it('has ids of its own', () => {
    const ids = MUTATIONS.map(([id]) => id);
    assert.deepEqual(ids.filter((id, index) => ids.indexOf(id) !== index), []);
  });

  it('each mutation finds its text exactly once in its file, and changes it', () => {
    const stale = MUTATIONS.flatMap(([id, file, find, replace]) => {
      const count = readFileSync(path.join(ROOT, file), 'utf8').split(find).length - 1;
      return count === 1 && find !== replace ? [] : [`${id}: found ${count} time(s) in ${file}`];
    });
    assert.deepEqual(stale, []);
  });

  it('each names test files that exist', () => {
    const missing = MUTATIONS.flatMap(([id, , , , tests]) => (tests.length === 0 ? [`${id}: no test`] : tests.filter((test) => !existsSync(path.join(ROOT, test))).map((test) => `${id}: ${test}`)));
    assert.deepEqual(missing, []);
  });
});
