import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildDurationMs } from '../../bench/cold-builds.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { assertSameFiles, feedFiles, untilEntriesStored, writeManyArticles } from '../helpers/many-articles.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `npm run build:feeds` (from the sources) with these settings: its exit status, stdout and stderr. */
async function buildCli(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/build-feeds.ts'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000, encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

describe('npm run build:feeds: file names in the report', () => {
  it('prints the control characters of a file name as escapes: a name cannot forge a line or send the terminal an escape sequence', async () => {
    const contentDir = await makeTempDir('cli-content-');
    const feedsDir = path.join(await makeTempDir('cli-feeds-'), 'feeds');
    // Reported as a problem on stdout: its name holds a line of its own and a colour.
    const forged = 'evil\n  other.md: ok\x1B[31m.md';
    await writeFile(path.join(contentDir, forged), articleText(frontMatter({ sourceUrl: 'not a url' })));
    // Named in a warning on stderr (its entry alone is over FEED_MAX_BYTES): a window title, a bell, a right-to-left override.
    const titled = 'huge\x1B]0;pwned\x07\u202Egpj.md';
    await writeFile(path.join(contentDir, titled), articleText(frontMatter({ sourceUrl: 'https://news.example.com/huge' }), 'A long body. '.repeat(200)));
    await writeFile(path.join(contentDir, 'good.md'), articleText(frontMatter({ sourceUrl: 'https://news.example.com/good' })));

    const { code, stdout, stderr } = await buildCli({ CONTENT_DIR: contentDir, FEEDS_DIR: feedsDir, STATE_DIR: `${feedsDir}.state`, FEED_MAX_BYTES: '1024' });
    assert.equal(code, 0, stderr);
    for (const output of [stdout, stderr]) {
      assert.doesNotMatch(output, /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u202E]/, 'a control character other than the line ends reached the terminal');
      assert.doesNotMatch(output, /^\s*other\.md: ok/m, 'a file name forged a line');
    }
    assert.ok(stdout.includes(`  ${contentDir}/evil\\n  other.md: ok\\x1B[31m.md: sourceUrl: `), stdout);
    assert.ok(stderr.includes(`Warning: ${contentDir}/huge\\x1B]0;pwned\\x07\\u202Egpj.md: its entry alone`), stderr);
  });
});

describe('npm run build:feeds: a folder setting that names a file', () => {
  for (const setting of ['STATE_DIR', 'FEEDS_DIR'] as const) {
    it(`fails with DISK_WRITE_FAILED naming ${setting} and the path, when it is a file or inside one`, async () => {
      const contentDir = await makeTempDir('cli-content-');
      await writeFile(path.join(contentDir, 'good.md'), articleText(frontMatter({ sourceUrl: 'https://news.example.com/good' })));
      const dir = await makeTempDir('cli-folders-');
      const file = path.join(dir, 'a-file');
      await writeFile(file, '');
      for (const named of [file, path.join(file, 'below')]) {
        const folders = { FEEDS_DIR: path.join(dir, 'feeds'), STATE_DIR: path.join(dir, 'state'), [setting]: named };
        const { code, stderr } = await buildCli({ CONTENT_DIR: contentDir, ...folders });
        assert.equal(code, 1, stderr);
        assert.ok(stderr.includes(`Build failed (DISK_WRITE_FAILED): cannot write ${named}: ENOTDIR (${setting} is a file or inside one, not a folder)`), stderr);
      }
    });
  }
});

describe('npm run build:feeds interrupted while it reads (Ctrl-C, a cancelled CI job)', { timeout: 180_000 }, () => {
  it('exits 130 having written nothing and saved what it read; the next run parses only the rest, to the same feeds', async () => {
    const ARTICLES = 4000;
    const base = await makeTempDir('cli-stop-');
    const contentDir = path.join(base, 'content');
    await writeManyArticles(contentDir, ARTICLES, 'first edition');
    const env = { CONTENT_DIR: contentDir, FEEDS_DIR: path.join(base, 'feeds'), STATE_DIR: path.join(base, 'state'), PUBLIC_BASE_URL: 'https://feeds.example.org' };

    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/build-feeds.ts'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await untilEntriesStored(env.STATE_DIR);
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    assert.match(stderr, /^Stopping \(SIGINT\): keeping what this build has read in the build cache/m);
    const read = /^Stopped by SIGINT: The build was stopped during its scan, after reading (\d+) of 4000 files; the next build reads the rest\. .* holds the last build, unchanged\.$/m.exec(stderr);
    assert.ok(read, stderr);
    assert.deepEqual([...feedFiles(env.FEEDS_DIR).keys()], [], 'nothing in the feeds folder');

    const resumed = await buildCli(env);
    assert.equal(resumed.code, 0, resumed.stderr);
    const parsed = ARTICLES - Number(read[1]);
    const line = new RegExp(`^Read ${ARTICLES} article file\\(s\\) from ${contentDir}/ in (\\d+) ms \\(${parsed} parsed; the others as the build cache knew them\\)\\.$`, 'm').exec(resumed.stdout);
    assert.ok(line, resumed.stdout);
    assert.equal(buildDurationMs('ours', resumed.stdout), Number(line[1]), 'the bench reads the build time from that line');
    const reference = { ...env, FEEDS_DIR: path.join(base, 'reference'), STATE_DIR: path.join(base, 'reference-state') };
    assert.equal((await buildCli(reference)).code, 0);
    assertSameFiles(feedFiles(env.FEEDS_DIR), feedFiles(reference.FEEDS_DIR), 'the resumed build');
  });
});
