/**
 * The neutral model every renderer reads: one FeedDocument per feed, entries already sorted and
 * capped, all text clean, all URLs absolute. Built by pure functions from `Article`s; nothing in
 * it knows about RSS, Atom or JSON Feed.
 */

export interface FeedCategory {
  /** Machine term: the topic's slug (Atom `term`). */
  readonly term: string;
  /** Human label: the topic or category name (RSS text, Atom `label`, JSON Feed tag). */
  readonly label: string;
}

export interface FeedImage {
  readonly url: string;
  readonly type: string;
  readonly width?: number;
  readonly height?: number;
  readonly title?: string;
}

export interface FeedLink {
  readonly url: string;
  readonly title: string;
}

export interface FeedAuthor {
  readonly name: string;
  readonly url?: string;
}

export interface FeedEntry {
  /** Permanent: the same in every format and every rebuild. */
  readonly id: string;
  readonly title: string;
  readonly link: string;
  readonly ampUrl?: string;
  /** Plain text. */
  readonly summary?: string;
  /** Sanitised HTML. */
  readonly contentHtml: string;
  readonly published: Date;
  readonly updated: Date;
  readonly author?: FeedAuthor;
  readonly categories: readonly FeedCategory[];
  readonly images: readonly FeedImage[];
  readonly related: readonly FeedLink[];
}

export interface FeedUrls {
  readonly rss: string;
  readonly atom: string;
  readonly json: string;
}

export interface FeedDocument {
  /** `ai` for a topic, `all` for the all-topics feed. */
  readonly slug: string;
  /** The topic's display name, or undefined for the all-topics feed. */
  readonly topic?: string;
  readonly title: string;
  readonly description: string;
  readonly language: string;
  /** The human-facing site (RSS `<link>`, Atom rel="alternate", JSON Feed home_page_url). */
  readonly siteUrl: string;
  readonly urls: FeedUrls;
  /** The newest entry's updated date, never the clock, so unchanged content gives unchanged bytes. */
  readonly updated: Date;
  readonly entries: readonly FeedEntry[];
}

/** What the feed documents are built from; resolved once from Config. */
export interface FeedSite {
  /** Public base URL the feeds are reached at, without a trailing slash. */
  readonly baseUrl: string;
  readonly siteUrl: string;
  readonly title: string;
  /** May contain `{topic}`. */
  readonly description: string;
  readonly language: string;
  readonly maxItems: number;
}
