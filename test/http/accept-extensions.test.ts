import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withoutAcceptExtensions } from '../../src/http/accept-extensions.js';

describe('withoutAcceptExtensions', () => {
  it('removes the parameters after a media range\'s weight', () => {
    assert.equal(withoutAcceptExtensions('application/rss+xml; q=0.5; type=feed'), 'application/rss+xml; q=0.5');
    assert.equal(withoutAcceptExtensions('application/atom+xml;q=0.9;charset=utf-8;x=y'), 'application/atom+xml;q=0.9');
  });

  it('keeps the media type\'s own parameters, those before the weight', () => {
    assert.equal(withoutAcceptExtensions('application/atom+xml;type=feed;q=0.9;x=1'), 'application/atom+xml;type=feed;q=0.9');
  });

  it('keeps a range without a weight as it is', () => {
    assert.equal(withoutAcceptExtensions('application/atom+xml; charset=utf-8; type=feed'), 'application/atom+xml; charset=utf-8; type=feed');
  });

  it('cuts each range of a list on its own', () => {
    assert.equal(withoutAcceptExtensions('text/html;q=0.1;a=b, application/rss+xml;x=1, */*;q=0.2;c'), 'text/html;q=0.1, application/rss+xml;x=1, */*;q=0.2');
  });

  it('takes the weight\'s name in any case, with spaces around it', () => {
    assert.equal(withoutAcceptExtensions('application/rss+xml; Q=0.5; type=feed'), 'application/rss+xml; Q=0.5');
    assert.equal(withoutAcceptExtensions('application/rss+xml; q =0.5; type=feed'), 'application/rss+xml; q =0.5');
  });

  it('does not take a parameter whose name only starts with q for the weight', () => {
    assert.equal(withoutAcceptExtensions('application/rss+xml;qs=1;type=feed'), 'application/rss+xml;qs=1;type=feed');
  });

  it('does not split at a comma or semicolon inside a quoted string', () => {
    assert.equal(withoutAcceptExtensions('application/atom+xml;x="a,b;q=1";q=0.9;y="c,d", text/html'), 'application/atom+xml;x="a,b;q=1";q=0.9, text/html');
    assert.equal(withoutAcceptExtensions('text/html;q=0.5;x="a\\",b", application/json'), 'text/html;q=0.5, application/json');
  });

  it('returns a header it cannot cut unchanged, an unclosed quote included', () => {
    for (const header of ['', '*/*', 'text/html;x="a,;q=1', ',,;;', 'text/html;x="\\']) assert.equal(withoutAcceptExtensions(header), header);
  });
});
