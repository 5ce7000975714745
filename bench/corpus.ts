/**
 * A deterministic corpus in the content format (README "Content format"): the same N and seed
 * always give the same bytes, so runs on different days and machines compare.
 *
 * Shape (issue 5): ~40 topics and ~200 providers with a Zipf-like spread (a few big, a long
 * tail), ~8 categories, 0–3 images and related links, ~5 % drafts, a `secured` blob on every
 * article, about 40 % with a short Markdown body (the rest carry their text in `excerpt`, like
 * the sample). Dates lie between 2016 and 2025, never in the future.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mulberry32 } from '../test/helpers/random.js';

/** Bump when the generated text changes, so cached corpora of an older shape are not reused. */
export const CORPUS_VERSION = 1;
export const DEFAULT_SEED = 20_240_917;

export interface CorpusManifest {
  readonly version: number;
  readonly n: number;
  readonly seed: number;
  readonly drafts: number;
  readonly bytes: number;
  /** The newest published article: it is in the all-topics feed, so changing it changes output. */
  readonly newestPublished: string;
  /** A few more published files, newest first, for repeated one-file changes. */
  readonly recentPublished: readonly string[];
}

/** Where the corpus of this size and seed lives; the `.manifest.json` marks it complete. */
export function corpusDir(n: number, seed = DEFAULT_SEED, root = os.tmpdir()): string {
  return path.join(root, `feed-bench-corpus-${n}-${seed}`);
}

const MANIFEST = '.manifest.json';

/** Reuses a complete cached corpus (same version) or generates it; returns its folder and manifest. */
export async function ensureCorpus(n: number, seed = DEFAULT_SEED, root = os.tmpdir()): Promise<{ dir: string; manifest: CorpusManifest; generated: boolean }> {
  const dir = corpusDir(n, seed, root);
  const manifestPath = path.join(dir, MANIFEST);
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as CorpusManifest;
    if (manifest.version === CORPUS_VERSION && manifest.n === n && manifest.seed === seed) return { dir, manifest, generated: false };
  }
  // Generate beside the final folder and rename, so an interrupted run never leaves a half corpus
  // that looks complete.
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  const manifest = await writeCorpus(partial, n, seed);
  await writeFile(path.join(partial, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
  return { dir, manifest, generated: true };
}

/** The seeded PRNG the tests use too (mulberry32). */
export const createRandom = mulberry32;

/** Picks index k of `count` with weight 1/(k+1)^s: a Zipf-like spread. */
export function zipfPicker(count: number, s: number, random: () => number): () => number {
  const cumulative: number[] = [];
  let total = 0;
  for (let k = 0; k < count; k++) {
    total += 1 / (k + 1) ** s;
    cumulative.push(total);
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = count - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cumulative[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

export const TOPICS = [
  'AI', 'Machine Learning', 'Fintech', 'Cybersecurity', 'Climate Tech', 'Robotics', 'Space', 'Payments',
  'Cloud', 'Semiconductors', 'Open Source', 'Privacy', 'Healthtech', 'Energy Storage', 'Electric Vehicles', 'Quantum Computing',
  'Biotech', 'E-commerce', 'Gaming', 'Social Media', 'Telecom', 'Drones', 'Agritech', 'Edtech',
  'Insurtech', 'Regulation', 'Startups', 'Venture Capital', 'Supply Chain', 'Smart Cities', 'Wearables', 'AR and VR',
  'Blockchain', 'Data Centers', 'Developer Tools', 'Mobility', 'Retail Tech', 'Zürich', 'São Paulo', 'R&D',
];

export const CATEGORIES = ['news', 'analysis', 'review', 'opinion', 'feature', 'interview', 'explainer', 'report'];

const PROVIDER_WORDS = [
  'tech', 'wire', 'daily', 'times', 'post', 'journal', 'review', 'insider', 'beat', 'desk', 'pulse', 'signal', 'ledger', 'orbit',
  'circuit', 'byte', 'frontier', 'digest', 'herald', 'monitor',
];
const TLDS = ['com', 'net', 'org', 'io', 'co.uk', 'de', 'com.br', 'in'];

const WORDS = (
  'model data market network platform launch report study team city bank chip robot satellite grid battery ' +
  'payment privacy policy rule audit cloud startup fund round device sensor trial pilot forecast risk fraud ' +
  'energy solar wind storage vehicle drone lab research open source code release update security breach patch ' +
  'customer service retail supply chain factory warehouse health patient clinic drug gene crop farm school ' +
  'student teacher game player stream video audio voice search engine browser phone carrier signal tower fiber ' +
  'ocean port train airline airport carbon capture plant reactor fusion quantum qubit error benchmark leaderboard ' +
  'regulator court ruling law bill vote agency minister council mayor budget tax tariff export import growth ' +
  'quarter revenue profit loss layoff hiring talent skill training safety test standard protocol framework'
).split(' ');
const VERBS = ['launches', 'expands', 'cuts', 'tests', 'reports', 'weighs', 'backs', 'delays', 'unveils', 'doubles', 'wins', 'faces', 'adds', 'drops', 'opens'];

interface Provider {
  readonly name: string;
  readonly domain: string;
}

function makeProviders(random: () => number): Provider[] {
  const providers: Provider[] = [];
  for (let index = 0; index < 200; index++) {
    const first = PROVIDER_WORDS[index % PROVIDER_WORDS.length]!;
    const second = PROVIDER_WORDS[Math.floor(random() * PROVIDER_WORDS.length)]!;
    const tld = TLDS[Math.floor(random() * TLDS.length)]!;
    const stem = `${first}${second}${index}`;
    providers.push({ name: `${capitalize(first)} ${capitalize(second)} ${index}`, domain: `${stem}.example.${tld}` });
  }
  return providers;
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

const quote = (value: string) => JSON.stringify(value);

async function writeCorpus(dir: string, n: number, seed: number): Promise<CorpusManifest> {
  const random = createRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const words = (min: number, max: number) => Array.from({ length: int(min, max) }, () => pick(WORDS));
  const sentence = (min: number, max: number) => {
    const text = words(min, max).join(' ');
    return `${capitalize(text)}.`;
  };
  const providers = makeProviders(random);
  const topicOf = zipfPicker(TOPICS.length, 1.0, random);
  const providerOf = zipfPicker(providers.length, 1.1, random);
  const categoryOf = zipfPicker(CATEGORIES.length, 0.8, random);
  const start = Date.UTC(2016, 0, 1);
  const span = Date.UTC(2025, 0, 1) - start;

  let drafts = 0;
  let bytes = 0;
  const published: { file: string; time: number }[] = [];
  const pending: Promise<void>[] = [];
  for (let index = 0; index < n; index++) {
    const titleWords = words(3, 7);
    const title = `${capitalize(pick(WORDS))} ${pick(VERBS)} ${titleWords.join(' ')}`;
    const slug = `${title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}-${index}`;
    const file = `${slug}.md`;
    // Whole seconds, so the YAML dates are plain ISO strings.
    const time = start + Math.floor((random() * span) / 1000) * 1000;
    const date = new Date(time).toISOString().replace('.000Z', 'Z');
    const provider = providers[providerOf()]!;
    const isDraft = random() < 0.05;
    const topicCount = random() < 0.6 ? 1 : random() < 0.75 ? 2 : 3;
    const topics = new Set<string>();
    while (topics.size < topicCount) topics.add(TOPICS[topicOf()]!);
    const year = date.slice(0, 4);
    const month = date.slice(5, 7);
    const sourceUrl = `https://${provider.domain}/${year}/${month}/${slug}/`;

    const lines = ['---', `category: ${CATEGORIES[categoryOf()]!}`, `title: ${quote(title)}`, `excerpt: ${quote(`${sentence(12, 30)} ${sentence(8, 20)}`)}`];
    lines.push(`publishedDateTime: ${date}`);
    if (random() < 0.2) lines.push(`updatedDateTime: ${new Date(time + int(1, 72) * 3_600_000).toISOString().replace('.000Z', 'Z')}`);
    lines.push(`sourceUrl: ${sourceUrl}`);
    if (random() < 0.5) lines.push(`ampUrl: ${sourceUrl}amp/`);
    lines.push('type: article', `quality: ${int(1, 100)}`, `heat: ${int(0, 100)}`, `published: ${isDraft ? 'false' : 'true'}`, '');
    lines.push('provider:', `  name: ${quote(provider.name)}`, `  domain: ${provider.domain}`, '');
    lines.push('topics:', ...[...topics].map((topic) => `  - ${quote(topic)}`), '');
    const imageCount = int(0, 3);
    if (imageCount > 0) {
      lines.push('images:');
      for (let image = 0; image < imageCount; image++) {
        // Some image URLs have no extension, like the sample's.
        const url = random() < 0.3 ? `https://img.example.net/th?id=OBS.${index}x${image}` : `https://img.example.net/${year}/${index}-${image}.jpg`;
        lines.push(`  - url: ${url}`, `    width: ${int(200, 1600)}`, `    height: ${int(150, 1200)}`, `    title: ${quote(sentence(3, 8))}`);
      }
      lines.push('');
    }
    const relatedCount = int(0, 3);
    if (relatedCount > 0) {
      lines.push('related:');
      for (let related = 0; related < relatedCount; related++) {
        const other = providers[providerOf()]!;
        const relatedDate = new Date(time + int(1, 96) * 3_600_000).toISOString().replace('.000Z', 'Z');
        lines.push(
          `  - title: ${quote(sentence(4, 10))}`,
          `    excerpt: ${quote(sentence(10, 25))}`,
          `    publishedDateTime: ${relatedDate}`,
          `    sourceUrl: https://${other.domain}/news/${index}-${related}/`,
          '    type: article',
          '    provider:',
          `      name: ${quote(other.name)}`,
          `      domain: ${other.domain}`,
          `    quality: ${int(1, 100)}`,
        );
      }
      lines.push('');
    }
    const blob = Buffer.from(Array.from({ length: 150 }, () => Math.floor(random() * 256))).toString('base64');
    const iv = Buffer.from(Array.from({ length: 16 }, () => Math.floor(random() * 256))).toString('base64');
    lines.push(`secured: ${quote(`${blob};${iv}`)}`, '---', '');
    if (random() < 0.4) {
      lines.push(
        `${sentence(10, 25)} The **${pick(WORDS)} ${pick(WORDS)}** ${sentence(6, 14).toLowerCase()}`,
        '',
        `${sentence(8, 20)} See [the ${pick(WORDS)} report](https://${provider.domain}/reports/${index}/) and *${pick(WORDS)}* notes.`,
        '',
      );
    }
    const text = lines.join('\n');
    bytes += Buffer.byteLength(text);
    if (isDraft) drafts++;
    else published.push({ file, time });
    pending.push(writeFile(path.join(dir, file), text));
    if (pending.length >= 256) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  published.sort((a, b) => b.time - a.time || (a.file < b.file ? -1 : 1));
  return {
    version: CORPUS_VERSION,
    n,
    seed,
    drafts,
    bytes,
    newestPublished: published[0]?.file ?? '',
    recentPublished: published.slice(0, 10).map((entry) => entry.file),
  };
}
