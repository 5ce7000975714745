import MarkdownIt from 'markdown-it';
import { Parser } from 'htmlparser2';
import sanitizeHtml from 'sanitize-html';
import { stripXmlUnsafeCharacters, toPlainText } from '../content/plain-text.js';
import { escapeHtml } from './escape.js';

/**
 * markdown-it renders CommonMark; raw HTML in the Markdown is allowed through the renderer and
 * then cleaned by sanitize-html, which is the only gate: nothing it does not allow reaches a feed
 * (embedsAsLinks, before it, only turns players into plain links for it to clean like the rest).
 */
const markdown = new MarkdownIt({ html: true, linkify: true, typographer: false });

const ALLOWED_SCHEMES = ['http', 'https', 'mailto'];

/** Resolves a link against the article's URL; returns undefined for anything not http(s)/mailto. */
export function toAbsoluteUrl(href: string | undefined, base: string): string | undefined {
  if (href === undefined) return undefined;
  const trimmed = href.trim();
  if (!URL.canParse(trimmed, base)) return undefined;
  const url = new URL(trimmed, base);
  return ALLOWED_SCHEMES.includes(url.protocol.slice(0, -1)) ? url.href : undefined;
}

/** The elements that embed a player; a feed may carry none of them (see embedsAsLinks). */
const EMBED_TAGS: ReadonlySet<string> = new Set(['iframe', 'video', 'audio', 'embed']);
/** A quick test that spares the second parse of a body that embeds nothing. */
const MAY_EMBED = /<(?:iframe|video|audio|embed)/i;
/** Elements whose text sanitize-html drops (its nonTextTags): no part of a link's name. */
const HIDDEN_TEXT_TAGS: ReadonlySet<string> = new Set(['script', 'style', 'textarea', 'option', 'noscript']);

/** One embedding element in the HTML: where it starts and ends, where it points, what names it. */
interface Embed {
  start: number;
  end: number;
  href: string;
  title: string;
  fallback: string;
  /** Whether it sits inside an `<a>`, where a second link would nest. */
  inLink: boolean;
  /** The elements open inside it (its fallback markup), innermost last. */
  inside: string[];
}

/** The embedding elements with an http(s) `src` in document order, outermost ones only. */
function findEmbeds(html: string, base: string): Embed[] {
  const found: Embed[] = [];
  let open: Embed | undefined;
  let links = 0;
  // htmlparser2's endIndex of an end tag with a space before its `>` falls one short; the
  // tokenizer itself ends the tag at the first `>`.
  const endTagEnd = (): number => html.indexOf('>', parser.startIndex) + 1 || html.length;
  // The options sanitize-html parses with, so both see the same elements.
  const parser: Parser = new Parser(
    {
      onopentag(name, attribs) {
        if (open !== undefined) {
          open.inside.push(name);
          open.end = parser.endIndex + 1;
          return;
        }
        if (name === 'a') links++;
        const href = EMBED_TAGS.has(name) ? toAbsoluteUrl(attribs.src, base) : undefined;
        if (href === undefined || !/^https?:/.test(href)) return;
        open = { start: parser.startIndex, end: parser.endIndex + 1, href, title: attribs.title ?? '', fallback: '', inLink: links > 0, inside: [] };
      },
      ontext(text) {
        if (open === undefined) return;
        if (!open.inside.some((name) => HIDDEN_TEXT_TAGS.has(name))) open.fallback += text;
        open.end = parser.endIndex + 1;
      },
      onclosetag(name, isImplied) {
        if (open === undefined) {
          if (name === 'a') links--;
          return;
        }
        // An element closed by its parent's end tag ends with the last thing inside it.
        if (!isImplied) open.end = endTagEnd();
        if (open.inside.pop() !== undefined) return;
        found.push(open);
        open = undefined;
      },
    },
    { decodeEntities: true },
  );
  parser.end(html);
  return found;
}

/**
 * An embedded player (a YouTube `<iframe>`, `<video src>`, `<audio src>`) is no element a feed may
 * carry (readers drop it, the W3C Feed Validator reports it), but dropping it left "Watch this:"
 * followed by nothing: it becomes a link to what it embeds, named by its title, else by the text
 * of its fallback markup (what a browser without the player shows: "download", often itself a
 * link), else by its URL. The fallback's own markup goes, so no link ends up inside the link
 * (HTML forbids `<a>` in `<a>`, and sanitize-html left an empty one there); inside a link, the
 * name alone stays. One with no http(s) `src` (a `<video>` of `<source>` elements) is left to
 * sanitize-html, which removes the element and keeps its fallback.
 */
function embedsAsLinks(html: string, base: string): string {
  if (!MAY_EMBED.test(html)) return html;
  let result = '';
  let at = 0;
  for (const embed of findEmbeds(html, base)) {
    const name = escapeHtml(toPlainText(embed.title) || toPlainText(embed.fallback) || embed.href);
    result += html.slice(at, embed.start) + (embed.inLink ? name : `<a href="${escapeHtml(embed.href)}">${name}</a>`);
    at = embed.end;
  }
  return result + html.slice(at);
}

function sanitizeOptions(base: string): sanitizeHtml.IOptions {
  const absolutize =
    (attribute: 'href' | 'src'): sanitizeHtml.Transformer =>
    (tagName, attribs) => {
      const url = toAbsoluteUrl(attribs[attribute], base);
      const { [attribute]: _dropped, ...rest } = attribs;
      return { tagName, attribs: url === undefined ? rest : { ...rest, [attribute]: url } };
    };
  return {
    allowedTags: [...sanitizeHtml.defaults.allowedTags, 'img', 'del', 'ins'],
    allowedAttributes: {
      a: ['href', 'title'],
      img: ['src', 'alt', 'title', 'width', 'height'],
      td: ['colspan', 'rowspan'],
      th: ['colspan', 'rowspan', 'scope'],
      ol: ['start'],
      time: ['datetime'],
    },
    allowedSchemes: ALLOWED_SCHEMES,
    allowedSchemesByTag: { img: ['http', 'https'] },
    allowProtocolRelative: false,
    // Readers and e-mail bridges ignore xml:base, so relative links are resolved here.
    transformTags: { a: absolutize('href'), img: absolutize('src') },
    exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
  };
}

/**
 * An article's Markdown body as safe HTML with absolute links: no script, no event handlers, no
 * javascript: or data: URLs. Returns '' for an empty body.
 */
export function renderMarkdownHtml(body: string, baseUrl: string): string {
  if (body.trim() === '') return '';
  const html = markdown.render(stripXmlUnsafeCharacters(body));
  // Character references such as &#1; become raw characters again when sanitised: strip them
  // here too, so JSON Feed carries the same text as RSS and Atom.
  return stripXmlUnsafeCharacters(sanitizeHtml(embedsAsLinks(html, baseUrl), sanitizeOptions(baseUrl))).trim();
}
