import { loadConfig, type Config } from '../../src/config.js';

/** A Config for tests, through the real loader, pointing at the given folders. */
export function testConfig(contentDir: string, feedsDir: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    CONTENT_DIR: contentDir,
    FEEDS_DIR: feedsDir,
    // Beside the feeds folder, so each test's builds share state and nothing lands in the repo.
    STATE_DIR: `${feedsDir.replace(/\/+$/, '')}.state`,
    PUBLIC_BASE_URL: 'https://feeds.example.org',
    LOG_LEVEL: 'silent',
    ...env,
  });
}
