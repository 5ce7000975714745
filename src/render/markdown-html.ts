import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';
import { stripXmlUnsafeCharacters } from '../content/plain-text.js';

/**
 * markdown-it renders CommonMark; raw HTML in the Markdown is allowed through the renderer and
 * then cleaned by sanitize-html, which is the only gate: nothing it does not allow reaches a feed.
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

/**
 * An embedded player (a YouTube `<iframe>`, `<video src>`, `<audio src>`) is no element a feed may
 * carry (readers drop it, the W3C Feed Validator reports it), but dropping it left "Watch this:"
 * followed by nothing: it becomes a link to what it embeds, named by its title. One with no
 * http(s) `src` (a `<video>` of `<source>` elements) is left to be removed as before.
 */
function embedLink(base: string): sanitizeHtml.Transformer {
  return (tagName, attribs) => {
    const href = toAbsoluteUrl(attribs.src, base);
    if (href === undefined || !/^https?:/.test(href)) return { tagName, attribs };
    return { tagName: 'a', attribs: { href }, text: attribs.title?.trim() || href };
  };
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
    transformTags: { a: absolutize('href'), img: absolutize('src'), iframe: embedLink(base), video: embedLink(base), audio: embedLink(base), embed: embedLink(base) },
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
  return stripXmlUnsafeCharacters(sanitizeHtml(html, sanitizeOptions(baseUrl))).trim();
}
