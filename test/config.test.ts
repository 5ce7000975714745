import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.js';
import { ConfigError, FeedServiceError } from '../src/errors.js';

/** Runs loadConfig and returns the ConfigError it must throw. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail(`loadConfig(${JSON.stringify(env)}) did not throw`);
}

describe('loadConfig: defaults', () => {
  it('fills every setting with its documented default when the environment is empty', () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.host, undefined);
    assert.equal(config.contentDir, 'content');
    assert.equal(config.feedsDir, 'feeds');
    assert.equal(config.buildCron, '*/5 * * * *');
    assert.equal(config.strict, false);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.cacheMaxAgeSeconds, 300);
    assert.equal(config.maxFileBytes, 1024 * 1024);
    assert.equal(config.site.baseUrl, 'http://localhost:3000');
    assert.equal(config.site.siteUrl, 'http://localhost:3000/feeds/');
    assert.equal(config.site.maxItems, 50);
    assert.equal(config.site.maxBytes, 1024 * 1024);
    assert.equal(config.site.language, 'en');
  });

  it('counts empty-string variables as unset', () => {
    const config = loadConfig({
      PORT: '',
      PUBLIC_BASE_URL: '',
      FEED_MAX_ITEMS: '',
      BUILD_CRON: '',
      CONTENT_DIR: '',
      FEEDS_DIR: '',
      LOG_LEVEL: '',
      FEED_LANGUAGE: '',
      STRICT: '',
    });
    assert.deepEqual(config, loadConfig({}));
  });

  it('ignores variables it does not know', () => {
    assert.deepEqual(loadConfig({ HOME: '/root', PATH: '/usr/bin' }), loadConfig({}));
  });
});

describe('loadConfig: the result is frozen', () => {
  it('freezes the config and the nested site object', () => {
    const config = loadConfig({});
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.site));
  });

  it('throws on an attempt to change a setting (ESM code is strict mode)', () => {
    const config = loadConfig({});
    assert.throws(() => {
      (config as { port: number }).port = 1;
    }, TypeError);
    assert.throws(() => {
      (config.site as { maxItems: number }).maxItems = 1;
    }, TypeError);
    assert.equal(config.port, 3000);
    assert.equal(config.site.maxItems, 50);
  });
});

describe('loadConfig: valid settings', () => {
  it('derives the site URLs from PUBLIC_BASE_URL without a trailing slash', () => {
    const config = loadConfig({ PUBLIC_BASE_URL: 'https://feeds.example.com/' });
    assert.equal(config.site.baseUrl, 'https://feeds.example.com');
    assert.equal(config.site.siteUrl, 'https://feeds.example.com/feeds/');
  });

  it('derives the default base URL from PORT', () => {
    const config = loadConfig({ PORT: '8080' });
    assert.equal(config.port, 8080);
    assert.equal(config.site.baseUrl, 'http://localhost:8080');
  });

  it('reads numbers, the cron pattern, the folders and the language', () => {
    const config = loadConfig({
      FEED_MAX_ITEMS: '10',
      BUILD_CRON: '* * * * * *',
      CONTENT_DIR: 'in',
      FEEDS_DIR: 'out',
      FEED_LANGUAGE: 'en-GB',
      CACHE_MAX_AGE: '0',
      LOG_LEVEL: 'silent',
    });
    assert.equal(config.site.maxItems, 10);
    assert.equal(config.buildCron, '* * * * * *');
    assert.equal(config.contentDir, 'in');
    assert.equal(config.feedsDir, 'out');
    assert.equal(config.site.language, 'en-GB');
    assert.equal(config.cacheMaxAgeSeconds, 0);
    assert.equal(config.logLevel, 'silent');
  });

  it('reads the byte budget of a feed document from FEED_MAX_BYTES', () => {
    assert.equal(loadConfig({ FEED_MAX_BYTES: '5000000' }).site.maxBytes, 5_000_000);
  });
});

describe('loadConfig: strict mode', () => {
  it('turns strict on with STRICT=true or STRICT=1', () => {
    assert.equal(loadConfig({ STRICT: 'true' }).strict, true);
    assert.equal(loadConfig({ STRICT: '1' }).strict, true);
    assert.equal(loadConfig({ STRICT: 'false' }).strict, false);
    assert.equal(loadConfig({ STRICT: '0' }).strict, false);
  });

  it('lets the overrides argument win over STRICT in either direction', () => {
    assert.equal(loadConfig({}, { strict: true }).strict, true);
    assert.equal(loadConfig({ STRICT: 'true' }, { strict: false }).strict, false);
    assert.equal(loadConfig({ STRICT: 'true' }, {}).strict, true);
  });

  it('rejects a STRICT value that is not a boolean word', () => {
    const error = configError({ STRICT: 'yes' });
    assert.deepEqual(
      error.issues.map((issue) => issue.setting),
      ['STRICT'],
    );
  });
});

describe('loadConfig: invalid settings', () => {
  const cases: [string, Record<string, string>][] = [
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: '-1' }],
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'ftp://x' }],
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'not a url' }],
    ['FEED_MAX_ITEMS', { FEED_MAX_ITEMS: '0' }],
    ['FEED_MAX_ITEMS', { FEED_MAX_ITEMS: '1.5' }],
    ['FEED_MAX_BYTES', { FEED_MAX_BYTES: '1023' }],
    ['FEED_MAX_BYTES', { FEED_MAX_BYTES: '1MiB' }],
    ['BUILD_CRON', { BUILD_CRON: 'not a cron' }],
    ['BUILD_CRON', { BUILD_CRON: '61 * * * *' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['FEED_LANGUAGE', { FEED_LANGUAGE: 'english language' }],
  ];
  for (const [setting, env] of cases) {
    it(`throws ConfigError naming ${setting} for ${JSON.stringify(env[setting])}`, () => {
      const error = configError(env);
      assert.ok(error instanceof FeedServiceError);
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.equal(error.name, 'ConfigError');
      assert.deepEqual(
        error.issues.map((issue) => issue.setting),
        [setting],
      );
      assert.ok(error.issues[0]!.message.length > 0);
      assert.match(error.message, new RegExp(`\\b${setting}: `));
    });
  }

  it('lists every bad setting when several are wrong at once', () => {
    const error = configError({ PORT: 'abc', LOG_LEVEL: 'loud', BUILD_CRON: 'x', FEED_MAX_ITEMS: '0', PUBLIC_BASE_URL: 'ftp://x' });
    assert.deepEqual(
      error.issues.map((issue) => issue.setting).sort(),
      ['BUILD_CRON', 'FEED_MAX_ITEMS', 'LOG_LEVEL', 'PORT', 'PUBLIC_BASE_URL'],
    );
    for (const setting of ['PORT', 'LOG_LEVEL', 'BUILD_CRON', 'FEED_MAX_ITEMS', 'PUBLIC_BASE_URL']) {
      assert.ok(error.message.includes(`${setting}: `), `message names ${setting}`);
    }
  });

  it('keeps good settings from hiding a bad one', () => {
    const error = configError({ PORT: '8080', FEED_LANGUAGE: 'en', LOG_LEVEL: 'loud' });
    assert.deepEqual(
      error.issues.map((issue) => issue.setting),
      ['LOG_LEVEL'],
    );
  });
});

