/**
 * The BASELINE the cold build is compared with: what a straightforward implementation does, kept
 * deliberately naive and kept here so the comparison cannot drift with src/.
 *
 * - reads every `*.md` file with fs, one after the other;
 * - gray-matter called WITH an options object (`matter(text, {})`), as issue 9 specifies: with
 *   any options object gray-matter skips its process-wide cache, which would otherwise keep every
 *   file's text and result for the life of the process (gray-matter 4.0.3, index.js);
 * - leaves out drafts (`published: false`), groups by topic, newest first;
 * - the `feed` package, `--max-items` items per topic feed plus the all-topics feed, rss2, atom1
 *   and json1 written to disk; no caching between runs, no Markdown rendering (the body or the
 *   excerpt goes in as it is), no archives, no provider or category feeds.
 *
 * Run as its own process by bench/run.ts:
 *   node --import tsx bench/baseline.ts --content DIR --out DIR [--max-items 50] [--base-url URL]
 * It prints one JSON line: {"bench":"baseline","durationMs":…,"articles":…,"feeds":…,"files":…}.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Feed } from 'feed';
import matter from 'gray-matter';

interface Options {
  readonly contentDir: string;
  readonly outDir: string;
  readonly maxItems: number;
  readonly baseUrl: string;
}

interface Post {
  readonly title: string;
  readonly url: string;
  readonly date: Date;
  readonly excerpt: string;
  readonly content: string;
  readonly topics: readonly string[];
  readonly provider?: { name: string; domain?: string };
  readonly image?: string;
  readonly category?: string;
}

export function runBaseline({ contentDir, outDir, maxItems, baseUrl }: Options): { articles: number; feeds: number; files: number } {
  const posts: Post[] = [];
  for (const name of readdirSync(contentDir)) {
    if (!name.endsWith('.md')) continue;
    // An options object, even empty, turns off gray-matter's process-wide cache (issue 9).
    const { data, content } = matter(readFileSync(path.join(contentDir, name), 'utf8'), {});
    if (data.published === false) continue;
    const excerpt = typeof data.excerpt === 'string' ? data.excerpt : '';
    posts.push({
      title: String(data.title),
      url: String(data.sourceUrl),
      date: new Date(data.publishedDateTime),
      excerpt,
      content: content.trim() || excerpt,
      topics: Array.isArray(data.topics) ? data.topics.map(String) : [],
      provider: data.provider,
      image: Array.isArray(data.images) && data.images[0]?.url ? String(data.images[0].url) : undefined,
      category: typeof data.category === 'string' ? data.category : undefined,
    });
  }
  posts.sort((a, b) => b.date.getTime() - a.date.getTime());

  const byTopic = new Map<string, { name: string; posts: Post[] }>();
  for (const post of posts) {
    for (const topic of post.topics) {
      const slug = topic.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'topic';
      const group = byTopic.get(slug) ?? { name: topic, posts: [] };
      group.posts.push(post);
      byTopic.set(slug, group);
    }
  }

  mkdirSync(outDir, { recursive: true });
  const groups: [string, { name: string; posts: Post[] }][] = [['all', { name: 'All topics', posts }], ...byTopic];
  let files = 0;
  for (const [slug, group] of groups) {
    const items = group.posts.slice(0, maxItems);
    const feed = new Feed({
      title: `Syndicated news: ${group.name}`,
      description: `The latest articles about ${group.name}.`,
      id: `${baseUrl}/feeds/${slug}`,
      link: `${baseUrl}/feeds/`,
      language: 'en',
      updated: items[0]?.date,
      generator: 'baseline',
      copyright: '',
      feedLinks: { rss: `${baseUrl}/feeds/${slug}.xml`, atom: `${baseUrl}/feeds/${slug}.atom`, json: `${baseUrl}/feeds/${slug}.json` },
    });
    for (const post of items) {
      feed.addItem({
        title: post.title,
        id: post.url,
        link: post.url,
        date: post.date,
        published: post.date,
        description: post.excerpt,
        content: post.content,
        author: post.provider ? [{ name: post.provider.name, link: post.provider.domain ? `https://${post.provider.domain}/` : undefined }] : undefined,
        category: [...post.topics, ...(post.category ? [post.category] : [])].map((name) => ({ name })),
        image: post.image,
      });
    }
    writeFileSync(path.join(outDir, `${slug}.xml`), feed.rss2());
    writeFileSync(path.join(outDir, `${slug}.atom`), feed.atom1());
    writeFileSync(path.join(outDir, `${slug}.json`), feed.json1());
    files += 3;
  }
  return { articles: posts.length, feeds: groups.length, files };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      content: { type: 'string' },
      out: { type: 'string' },
      'max-items': { type: 'string', default: '50' },
      'base-url': { type: 'string', default: 'http://127.0.0.1:8080' },
    },
    strict: true,
  });
  if (!values.content || !values.out) throw new TypeError('baseline: --content and --out are required');
  const started = performance.now();
  const counts = runBaseline({
    contentDir: values.content,
    outDir: values.out,
    maxItems: Number(values['max-items']),
    baseUrl: values['base-url']!.replace(/\/+$/, ''),
  });
  process.stdout.write(`${JSON.stringify({ bench: 'baseline', durationMs: Math.round(performance.now() - started), ...counts })}\n`);
}

main();
