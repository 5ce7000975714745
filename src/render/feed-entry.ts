import type { Article } from '../content/article-schema.js';
import type { FeedCategory, FeedEntry } from '../feeds/feed-model.js';
import { imageTypeFromUrl } from './image-type.js';
import { renderMarkdownHtml } from './markdown-html.js';
import { entryId } from '../feeds/select-articles.js';
import { topicSlug } from '../feeds/topics.js';
import { providerSlug } from '../feeds/feed-collections.js';
import { feedUrls } from '../feeds/feed-documents.js';
import { escapeHtml } from './escape.js';

/**
 * Maps an article to a feed entry, field by field. Nothing is spread from the article, so fields
 * the entry does not name (and `secured`, which the schema already removed) cannot reach a feed.
 * `baseUrl` is where this service's feeds are (its provider's feed is linked).
 */
export function toFeedEntry(article: Article, baseUrl: string): FeedEntry {
  const updated =
    article.updatedDateTime && article.updatedDateTime > article.publishedDateTime ? article.updatedDateTime : article.publishedDateTime;
  return {
    id: entryId(article),
    title: article.title,
    link: article.sourceUrl,
    ampUrl: article.ampUrl,
    summary: article.excerpt,
    contentHtml: entryContentHtml(article),
    published: article.publishedDateTime,
    updated,
    author: article.provider && {
      name: article.provider.name,
      url: article.provider.domain === undefined ? undefined : `https://${article.provider.domain}/`,
      feedUrl: providerFeedUrl(article.provider, baseUrl),
    },
    categories: entryCategories(article),
    images: article.images.map((image) => ({
      url: image.url,
      type: imageTypeFromUrl(image.url),
      width: image.width,
      height: image.height,
      title: image.title,
    })),
    related: article.related.map((related) => ({ url: related.sourceUrl, title: related.title })),
  };
}

/** This service's RSS feed of the provider's articles; none when its name makes no slug (it has no feed). */
function providerFeedUrl(provider: NonNullable<Article['provider']>, baseUrl: string): string | undefined {
  const slug = providerSlug(provider);
  return slug === '' ? undefined : feedUrls(baseUrl, `providers/${slug}`).rss;
}

/** Topics first (in the article's order), then its category; one per slug. */
function entryCategories(article: Article): FeedCategory[] {
  const categories = new Map<string, FeedCategory>();
  for (const label of [...article.topics, ...(article.category ? [article.category] : [])]) {
    const term = topicSlug(label) || label;
    if (!categories.has(term)) categories.set(term, { term, label });
  }
  return [...categories.values()];
}

/**
 * The entry's HTML: the Markdown body, or (when the body is empty, as in most articles) the excerpt
 * as a paragraph, so readers that prefer content over summary still show the text; then the
 * related articles as a list of links, which readers display even where they ignore rel="related".
 */
function entryContentHtml(article: Article): string {
  const body = renderMarkdownHtml(article.body, article.sourceUrl) || (article.excerpt ? `<p>${escapeHtml(article.excerpt)}</p>` : '');
  if (article.related.length === 0) return body;
  const items = article.related.map((related) => {
    const provider = related.provider ? ` <small>(${escapeHtml(related.provider.name)})</small>` : '';
    return `<li><a href="${escapeHtml(related.sourceUrl)}">${escapeHtml(related.title)}</a>${provider}</li>`;
  });
  return `${body}\n<h3>Related</h3>\n<ul>\n${items.join('\n')}\n</ul>`.trim();
}
