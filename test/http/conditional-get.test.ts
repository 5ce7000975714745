/**
 * evaluateConditions: the four preconditions of a GET or HEAD, in the order of RFC 9110 §13.2.2,
 * against one file's validators.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateConditions, type ConditionalHeaders } from '../../src/http/conditional-get.js';

const FILE = { hash: 'abc123', lastModified: new Date('2026-03-01T10:00:00.700Z') };
const AT = 'Sun, 01 Mar 2026 10:00:00 GMT';
const BEFORE = 'Sun, 01 Mar 2026 09:59:59 GMT';
const AFTER = 'Sun, 01 Mar 2026 10:00:01 GMT';

const answer = (headers: ConditionalHeaders) => evaluateConditions(headers, FILE);

describe('evaluateConditions: If-Match (§13.1.1)', () => {
  it('lets the request through when a tag in it is the file\'s, or it is *', () => {
    for (const ifMatch of ['"abc123"', '"other", "abc123"', '*', '"abc123.gzip"', '"abc123.br"']) assert.equal(answer({ ifMatch }), 'full', ifMatch);
  });

  it('fails (412) when no tag in it is the file\'s', () => {
    for (const ifMatch of ['"other"', '"abc12"', '"abc1234"', '""', 'abc123']) assert.equal(answer({ ifMatch }), 'precondition-failed', ifMatch);
  });

  it('compares strongly: the file\'s tag in weak form does not match', () => {
    assert.equal(answer({ ifMatch: 'W/"abc123"' }), 'precondition-failed');
  });
});

describe('evaluateConditions: If-Unmodified-Since (§13.1.4)', () => {
  it('lets the request through when the file has not changed after that date', () => {
    for (const ifUnmodifiedSince of [AT, AFTER]) assert.equal(answer({ ifUnmodifiedSince }), 'full', ifUnmodifiedSince);
  });

  it('fails (412) when the file changed after that date', () => {
    assert.equal(answer({ ifUnmodifiedSince: BEFORE }), 'precondition-failed');
  });

  it('is ignored when it is not an HTTP-date', () => {
    assert.equal(answer({ ifUnmodifiedSince: '2020-01-01' }), 'full');
  });

  it('is ignored when If-Match is sent too', () => {
    assert.equal(answer({ ifMatch: '"abc123"', ifUnmodifiedSince: BEFORE }), 'full');
  });
});

describe('evaluateConditions: the order of §13.2.2', () => {
  it('fails If-Match before If-None-Match could give a 304', () => {
    assert.equal(answer({ ifMatch: '"other"', ifNoneMatch: '"abc123"' }), 'precondition-failed');
  });

  it('fails If-Unmodified-Since before If-Modified-Since could give a 304', () => {
    assert.equal(answer({ ifUnmodifiedSince: BEFORE, ifModifiedSince: AT }), 'precondition-failed');
  });

  it('answers 304 to a matching If-None-Match once If-Match holds', () => {
    assert.equal(answer({ ifMatch: '"abc123"', ifNoneMatch: 'W/"abc123"' }), 'not-modified');
  });

  it('answers 304 to If-Modified-Since once If-Unmodified-Since holds', () => {
    assert.equal(answer({ ifUnmodifiedSince: AFTER, ifModifiedSince: AT }), 'not-modified');
  });

  it('lets If-None-Match win over If-Modified-Since', () => {
    assert.equal(answer({ ifNoneMatch: '"other"', ifModifiedSince: AFTER }), 'full');
    assert.equal(answer({ ifNoneMatch: '"abc123"', ifModifiedSince: BEFORE }), 'not-modified');
  });

  it('answers If-Modified-Since by whole seconds', () => {
    assert.equal(answer({ ifModifiedSince: AT }), 'not-modified');
    assert.equal(answer({ ifModifiedSince: BEFORE }), 'full');
  });

  it('sends the file when no precondition is given', () => {
    assert.equal(answer({}), 'full');
  });
});
