import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BEARER_TOKEN, hasBearerToken } from '../../src/http/bearer-token.js';

const TOKEN = 'k3J9-x_Q~2p+Lm/8zR0t';

describe('hasBearerToken: an Authorization header against the configured token', () => {
  it('accepts the token after the Bearer scheme, in any case and with extra spaces', () => {
    assert.equal(hasBearerToken(`Bearer ${TOKEN}`, TOKEN), true);
    assert.equal(hasBearerToken(`bearer ${TOKEN}`, TOKEN), true);
    assert.equal(hasBearerToken(`BEARER   ${TOKEN}  `, TOKEN), true);
  });

  it('refuses no header, another scheme, and any other token', () => {
    assert.equal(hasBearerToken(undefined, TOKEN), false);
    assert.equal(hasBearerToken('', TOKEN), false);
    assert.equal(hasBearerToken(TOKEN, TOKEN), false, 'the token without its scheme');
    assert.equal(hasBearerToken(`Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}`, TOKEN), false);
    assert.equal(hasBearerToken(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN), false, 'a prefix');
    assert.equal(hasBearerToken(`Bearer ${TOKEN}x`, TOKEN), false, 'a longer token');
    assert.equal(hasBearerToken(`Bearer ${TOKEN.toUpperCase()}`, TOKEN), false, 'the token is case-sensitive');
    assert.equal(hasBearerToken(`Bearer ${TOKEN} ${TOKEN}`, TOKEN), false, 'two tokens');
  });
});

describe('BEARER_TOKEN: what METRICS_TOKEN may be', () => {
  it('takes 16 or more token characters, with trailing = signs', () => {
    assert.match(TOKEN, BEARER_TOKEN);
    assert.match('0123456789abcdef', BEARER_TOKEN);
    assert.match('0123456789abcdef==', BEARER_TOKEN);
  });

  it('refuses short tokens and characters a header could not carry as they are', () => {
    assert.doesNotMatch('0123456789abcde', BEARER_TOKEN);
    assert.doesNotMatch('0123456789 abcdef', BEARER_TOKEN);
    assert.doesNotMatch('0123456789abcdef"', BEARER_TOKEN);
    assert.doesNotMatch('0123456789abcdéf', BEARER_TOKEN);
    assert.doesNotMatch('0123456789=abcdef', BEARER_TOKEN);
  });
});
