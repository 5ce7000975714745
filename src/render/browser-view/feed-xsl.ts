/**
 * feed.xsl: one XSLT 1.0 stylesheet that shows an RSS 2.0 or Atom 1.0 document of ours as a
 * readable page in a browser (the server sends the feed as application/xml to a browser, which
 * then applies the `<?xml-stylesheet?>` instruction; see http/app.ts). Kept as a string so the
 * compiled service never reads src/ at run time.
 *
 * Written for the two XSLT engines browsers have: libxslt (Chromium, and xsltproc in the tests)
 * and Firefox's TransforMiiX. Hence:
 * - no `disable-output-escaping`: Firefox ignores it. RSS <description> and Atom
 *   <summary type="html"> hold plain text escaped as HTML (render-feeds.ts), so `decode-html`
 *   undoes exactly what escapeHtml did, and the result is still output as text, never as markup;
 * - no script, no inline style: the page's CSP allows only style-src 'self', so the CSS is a
 *   linked file next to this one (href taken from the xml-stylesheet instruction, else derived
 *   from the feed's self link);
 * - no extension functions (EXSLT is not in Firefox).
 */
export const FEED_XSL = `<?xml version="1.0" encoding="utf-8"?>
<!-- Renders this service's RSS 2.0 and Atom 1.0 feeds as HTML in a browser. No script. -->
<xsl:stylesheet version="1.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom"
  xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:media="http://search.yahoo.com/mrss/"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"
  exclude-result-prefixes="atom dc media content">

  <xsl:output method="html" encoding="utf-8" doctype-system="about:legacy-compat" indent="yes"/>

  <xsl:variable name="months" select="'JanFebMarAprMayJunJulAugSepOctNovDec'"/>

  <xsl:template match="/">
    <xsl:choose>
      <xsl:when test="rss/channel">
        <xsl:apply-templates select="rss/channel"/>
      </xsl:when>
      <xsl:when test="atom:feed">
        <xsl:apply-templates select="atom:feed"/>
      </xsl:when>
      <xsl:otherwise>
        <html>
          <head><title>Not a feed</title></head>
          <body><p>This document is neither RSS 2.0 nor Atom 1.0.</p></body>
        </html>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- ============================================================ the two document types -->

  <xsl:template match="channel">
    <xsl:call-template name="page">
      <xsl:with-param name="title" select="string(title)"/>
      <xsl:with-param name="description" select="string(description)"/>
      <xsl:with-param name="language" select="string(language)"/>
      <xsl:with-param name="self" select="string(atom:link[@rel = 'self']/@href)"/>
      <xsl:with-param name="site" select="string(link)"/>
      <xsl:with-param name="links" select="atom:link"/>
      <xsl:with-param name="entries" select="item"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template match="atom:feed">
    <xsl:call-template name="page">
      <xsl:with-param name="title">
        <xsl:call-template name="atom-text"><xsl:with-param name="node" select="atom:title"/></xsl:call-template>
      </xsl:with-param>
      <xsl:with-param name="description">
        <xsl:call-template name="atom-text"><xsl:with-param name="node" select="atom:subtitle"/></xsl:call-template>
      </xsl:with-param>
      <xsl:with-param name="language" select="string(@xml:lang)"/>
      <xsl:with-param name="self" select="string(atom:link[@rel = 'self']/@href)"/>
      <xsl:with-param name="site" select="string(atom:link[@rel = 'alternate' and not(@type)]/@href)"/>
      <xsl:with-param name="links" select="atom:link"/>
      <xsl:with-param name="entries" select="atom:entry"/>
    </xsl:call-template>
  </xsl:template>

  <!-- ============================================================ the page -->

  <!-- $links: the document's atom:link elements (RSS uses the Atom namespace for them too). -->
  <xsl:template name="page">
    <xsl:param name="title"/>
    <xsl:param name="description"/>
    <xsl:param name="language"/>
    <xsl:param name="self"/>
    <xsl:param name="site"/>
    <xsl:param name="links"/>
    <xsl:param name="entries"/>
    <xsl:variable name="current" select="string($links[@rel = 'current']/@href)"/>
    <html>
      <xsl:if test="$language != ''">
        <xsl:attribute name="lang"><xsl:value-of select="$language"/></xsl:attribute>
      </xsl:if>
      <head>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="$title"/></title>
        <link rel="stylesheet">
          <xsl:attribute name="href"><xsl:call-template name="css-href"><xsl:with-param name="self" select="$self"/></xsl:call-template></xsl:attribute>
        </link>
      </head>
      <body>
        <header class="feed-header">
          <p class="feed-label">Web feed</p>
          <h1><xsl:value-of select="$title"/></h1>
          <xsl:if test="$description != ''">
            <p class="feed-description"><xsl:value-of select="$description"/></p>
          </xsl:if>
          <xsl:choose>
            <xsl:when test="$current != ''">
              <p class="subscribe">This page is an archive of older entries. To subscribe, copy the current feed's address into your feed reader: <code class="feed-url"><xsl:value-of select="$current"/></code></p>
            </xsl:when>
            <xsl:when test="$self != ''">
              <p class="subscribe">Subscribe by copying this page's address into your feed reader: <code class="feed-url"><xsl:value-of select="$self"/></code></p>
            </xsl:when>
          </xsl:choose>
          <xsl:if test="$links[@rel = 'alternate' and @type] or $site != ''">
            <p class="formats">
              <xsl:text>Also available as: </xsl:text>
              <xsl:for-each select="$links[@rel = 'alternate' and @type]">
                <xsl:if test="position() != 1"><xsl:text> · </xsl:text></xsl:if>
                <a href="{@href}" type="{@type}"><xsl:call-template name="format-label"><xsl:with-param name="type" select="@type"/></xsl:call-template></a>
              </xsl:for-each>
              <xsl:if test="$site != ''">
                <xsl:if test="$links[@rel = 'alternate' and @type]"><xsl:text> · </xsl:text></xsl:if>
                <a href="{$site}">Website</a>
              </xsl:if>
            </p>
          </xsl:if>
          <xsl:call-template name="archive-nav"><xsl:with-param name="links" select="$links"/></xsl:call-template>
        </header>
        <main class="entries">
          <xsl:apply-templates select="$entries"/>
          <xsl:if test="not($entries)">
            <p class="empty">No entries yet.</p>
          </xsl:if>
        </main>
        <xsl:if test="$links[@rel = 'current' or @rel = 'prev-archive' or @rel = 'next-archive']">
          <footer class="feed-footer">
            <xsl:call-template name="archive-nav"><xsl:with-param name="links" select="$links"/></xsl:call-template>
          </footer>
        </xsl:if>
      </body>
    </html>
  </xsl:template>

  <!-- RFC 5005 paging: current, prev-archive (older), next-archive (newer), when present. -->
  <xsl:template name="archive-nav">
    <xsl:param name="links"/>
    <xsl:variable name="paging" select="$links[@rel = 'current' or @rel = 'prev-archive' or @rel = 'next-archive']"/>
    <xsl:if test="$paging">
      <nav class="archive-nav" aria-label="Archive pages">
        <xsl:if test="$links[@rel = 'next-archive']">
          <a rel="next-archive" href="{$links[@rel = 'next-archive']/@href}">Newer entries</a>
        </xsl:if>
        <xsl:if test="$links[@rel = 'current']">
          <a rel="current" href="{$links[@rel = 'current']/@href}">Current feed</a>
        </xsl:if>
        <xsl:if test="$links[@rel = 'prev-archive']">
          <a rel="prev-archive" href="{$links[@rel = 'prev-archive']/@href}">Older entries</a>
        </xsl:if>
      </nav>
    </xsl:if>
  </xsl:template>

  <!-- ============================================================ entries -->

  <xsl:template match="item">
    <xsl:variable name="title" select="string(title)"/>
    <xsl:variable name="link">
      <xsl:choose>
        <xsl:when test="link"><xsl:value-of select="link"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="guid[@isPermaLink = 'true']"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <!-- The first image: media:thumbnail (which has the size), else an image enclosure, else media:content. -->
    <xsl:variable name="image" select="(media:thumbnail | enclosure[starts-with(@type, 'image/')] | media:content[@medium = 'image' or starts-with(@type, 'image/')])[1]"/>
    <xsl:variable name="src" select="string(($image/@url)[1])"/>
    <article class="entry">
      <xsl:call-template name="entry-title">
        <xsl:with-param name="title" select="$title"/>
        <xsl:with-param name="link" select="string($link)"/>
      </xsl:call-template>
      <p class="entry-meta">
        <xsl:if test="pubDate">
          <xsl:call-template name="rfc822-time"><xsl:with-param name="date" select="normalize-space(pubDate)"/></xsl:call-template>
        </xsl:if>
        <xsl:if test="dc:creator">
          <xsl:if test="pubDate"><xsl:text> · </xsl:text></xsl:if>
          <span class="provider"><xsl:value-of select="dc:creator"/></span>
        </xsl:if>
      </p>
      <xsl:if test="$src != ''">
        <xsl:call-template name="image">
          <xsl:with-param name="src" select="$src"/>
          <xsl:with-param name="sized" select="(media:thumbnail | media:content)[@url = $src and @width and @height][1]"/>
          <xsl:with-param name="alt" select="string(media:content[@url = $src]/media:title)"/>
          <xsl:with-param name="fallback-alt" select="$title"/>
        </xsl:call-template>
      </xsl:if>
      <!-- An item without an excerpt has its content, not a summary, as description, and no
           content:encoded (entry-fragments.ts): like its Atom entry, it shows no summary. -->
      <xsl:if test="normalize-space(description) != '' and content:encoded">
        <p class="summary"><xsl:call-template name="decode-html"><xsl:with-param name="text" select="string(description)"/></xsl:call-template></p>
      </xsl:if>
    </article>
  </xsl:template>

  <xsl:template match="atom:entry">
    <xsl:variable name="title">
      <xsl:call-template name="atom-text"><xsl:with-param name="node" select="atom:title"/></xsl:call-template>
    </xsl:variable>
    <xsl:variable name="link" select="string((atom:link[@rel = 'alternate' or not(@rel)])[1]/@href)"/>
    <xsl:variable name="date">
      <xsl:choose>
        <xsl:when test="atom:published"><xsl:value-of select="normalize-space(atom:published)"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="normalize-space(atom:updated)"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <!-- The first image: an image enclosure, else media:thumbnail. -->
    <xsl:variable name="enclosure" select="atom:link[@rel = 'enclosure' and starts-with(@type, 'image/')][1]"/>
    <xsl:variable name="src">
      <xsl:choose>
        <xsl:when test="$enclosure"><xsl:value-of select="$enclosure/@href"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="media:thumbnail[1]/@url"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <article class="entry">
      <xsl:call-template name="entry-title">
        <xsl:with-param name="title" select="string($title)"/>
        <xsl:with-param name="link" select="$link"/>
      </xsl:call-template>
      <p class="entry-meta">
        <xsl:if test="$date != ''">
          <xsl:call-template name="iso-time"><xsl:with-param name="date" select="string($date)"/></xsl:call-template>
        </xsl:if>
        <xsl:if test="atom:author/atom:name">
          <xsl:if test="$date != ''"><xsl:text> · </xsl:text></xsl:if>
          <span class="provider"><xsl:value-of select="atom:author/atom:name"/></span>
        </xsl:if>
      </p>
      <xsl:if test="string($src) != ''">
        <xsl:call-template name="image">
          <xsl:with-param name="src" select="string($src)"/>
          <xsl:with-param name="sized" select="(media:thumbnail | media:content)[@url = string($src) and @width and @height][1]"/>
          <xsl:with-param name="alt" select="string((media:content[@url = string($src)]/media:title | $enclosure/@title)[1])"/>
          <xsl:with-param name="fallback-alt" select="string($title)"/>
        </xsl:call-template>
      </xsl:if>
      <xsl:if test="normalize-space(atom:summary) != ''">
        <p class="summary"><xsl:call-template name="atom-text"><xsl:with-param name="node" select="atom:summary"/></xsl:call-template></p>
      </xsl:if>
    </article>
  </xsl:template>

  <xsl:template name="entry-title">
    <xsl:param name="title"/>
    <xsl:param name="link"/>
    <h2 class="entry-title">
      <xsl:choose>
        <xsl:when test="$link != ''"><a href="{$link}"><xsl:value-of select="$title"/></a></xsl:when>
        <xsl:otherwise><xsl:value-of select="$title"/></xsl:otherwise>
      </xsl:choose>
    </h2>
  </xsl:template>

  <!-- $sized: a media:thumbnail or media:content for the same URL that gives width and height. -->
  <xsl:template name="image">
    <xsl:param name="src"/>
    <xsl:param name="sized"/>
    <xsl:param name="alt"/>
    <xsl:param name="fallback-alt" select="''"/>
    <img class="entry-image" src="{$src}" loading="lazy" decoding="async">
      <xsl:attribute name="alt">
        <xsl:choose>
          <xsl:when test="$alt != ''"><xsl:value-of select="$alt"/></xsl:when>
          <xsl:otherwise><xsl:value-of select="$fallback-alt"/></xsl:otherwise>
        </xsl:choose>
      </xsl:attribute>
      <xsl:if test="$sized">
        <xsl:attribute name="width"><xsl:value-of select="$sized/@width"/></xsl:attribute>
        <xsl:attribute name="height"><xsl:value-of select="$sized/@height"/></xsl:attribute>
      </xsl:if>
    </img>
  </xsl:template>

  <!-- ============================================================ text -->

  <!-- An Atom text construct as plain text: type="html" is decoded (never output as markup). -->
  <xsl:template name="atom-text">
    <xsl:param name="node"/>
    <xsl:choose>
      <xsl:when test="$node/@type = 'html'">
        <xsl:call-template name="decode-html"><xsl:with-param name="text" select="string($node)"/></xsl:call-template>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$node"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!--
    Undoes escapeHtml (src/render/escape.ts): &amp; &lt; &gt; &quot; &#39; (and &apos;, &#x27;)
    become characters, in one left-to-right pass so "&amp;lt;" stays "&lt;". The result is text.
  -->
  <xsl:template name="decode-html">
    <xsl:param name="text"/>
    <xsl:choose>
      <xsl:when test="contains($text, '&amp;')">
        <xsl:value-of select="substring-before($text, '&amp;')"/>
        <xsl:variable name="rest" select="substring-after($text, '&amp;')"/>
        <xsl:choose>
          <xsl:when test="starts-with($rest, 'amp;')">
            <xsl:text>&amp;</xsl:text>
            <xsl:call-template name="decode-html"><xsl:with-param name="text" select="substring($rest, 5)"/></xsl:call-template>
          </xsl:when>
          <xsl:when test="starts-with($rest, 'lt;')">
            <xsl:text>&lt;</xsl:text>
            <xsl:call-template name="decode-html"><xsl:with-param name="text" select="substring($rest, 4)"/></xsl:call-template>
          </xsl:when>
          <xsl:when test="starts-with($rest, 'gt;')">
            <xsl:text>&gt;</xsl:text>
            <xsl:call-template name="decode-html"><xsl:with-param name="text" select="substring($rest, 4)"/></xsl:call-template>
          </xsl:when>
          <xsl:when test="starts-with($rest, 'quot;')">
            <xsl:text>"</xsl:text>
            <xsl:call-template name="decode-html"><xsl:with-param name="text" select="substring($rest, 6)"/></xsl:call-template>
          </xsl:when>
          <xsl:when test="starts-with($rest, '#39;')">
            <xsl:text>'</xsl:text>
            <xsl:call-template name="decode-html"><xsl:with-param name="text" select="substring($rest, 5)"/></xsl:call-template>
          </xsl:when>
          <xsl:when test="starts-with($rest, 'apos;') or starts-with($rest, '#x27;')">
            <xsl:text>'</xsl:text>
            <xsl:call-template name="decode-html"><xsl:with-param name="text" select="substring($rest, 6)"/></xsl:call-template>
          </xsl:when>
          <xsl:otherwise>
            <xsl:text>&amp;</xsl:text>
            <xsl:call-template name="decode-html"><xsl:with-param name="text" select="$rest"/></xsl:call-template>
          </xsl:otherwise>
        </xsl:choose>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$text"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="format-label">
    <xsl:param name="type"/>
    <xsl:choose>
      <xsl:when test="$type = 'application/rss+xml'">RSS</xsl:when>
      <xsl:when test="$type = 'application/atom+xml'">Atom</xsl:when>
      <xsl:when test="$type = 'application/feed+json'">JSON Feed</xsl:when>
      <xsl:when test="$type = 'text/html'">Web page</xsl:when>
      <xsl:otherwise><xsl:value-of select="$type"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!--
    feed.css, beside this stylesheet: the xml-stylesheet instruction's href with feed.xsl replaced
    (relative, so it stays same-origin for CSP style-src 'self' whatever host the page was reached
    at), else from the self link: everything before /feeds/ + /feeds/feed.css.
  -->
  <xsl:template name="css-href">
    <xsl:param name="self"/>
    <xsl:variable name="instruction" select="string(/processing-instruction('xml-stylesheet')[contains(., 'feed.xsl')][1])"/>
    <xsl:variable name="xsl-href" select="substring-before(substring-after($instruction, 'href=&quot;'), '&quot;')"/>
    <xsl:choose>
      <xsl:when test="$xsl-href != '' and substring($xsl-href, string-length($xsl-href) - 7) = 'feed.xsl'">
        <xsl:value-of select="concat(substring($xsl-href, 1, string-length($xsl-href) - 8), 'feed.css')"/>
      </xsl:when>
      <xsl:when test="contains($self, '/feeds/')">
        <xsl:value-of select="concat(substring-before($self, '/feeds/'), '/feeds/feed.css')"/>
      </xsl:when>
      <xsl:otherwise>feed.css</xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- ============================================================ dates, shown in UTC -->

  <!-- "Mon, 03 Nov 2025 14:00:00 GMT" → <time datetime="2025-11-03T14:00:00Z">3 Nov 2025, 14:00 UTC</time> -->
  <xsl:template name="rfc822-time">
    <xsl:param name="date"/>
    <xsl:variable name="s">
      <xsl:choose>
        <xsl:when test="contains($date, ',')"><xsl:value-of select="normalize-space(substring-after($date, ','))"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="$date"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:variable name="day" select="substring-before($s, ' ')"/>
    <xsl:variable name="r1" select="substring-after($s, ' ')"/>
    <xsl:variable name="month" select="substring-before($r1, ' ')"/>
    <xsl:variable name="r2" select="substring-after($r1, ' ')"/>
    <xsl:variable name="year" select="substring-before($r2, ' ')"/>
    <xsl:variable name="r3" select="substring-after($r2, ' ')"/>
    <xsl:variable name="time" select="substring-before($r3, ' ')"/>
    <xsl:variable name="zone" select="substring-after($r3, ' ')"/>
    <xsl:variable name="m" select="string-length(substring-before($months, $month)) div 3 + 1"/>
    <xsl:choose>
      <xsl:when test="string-length($month) = 3 and contains($months, $month) and string-length($year) = 4 and string-length($time) = 8 and ($zone = 'GMT' or $zone = 'UT' or $zone = 'Z' or $zone = '+0000')">
        <time datetime="{concat($year, '-', format-number($m, '00'), '-', format-number($day, '00'), 'T', $time, 'Z')}">
          <xsl:value-of select="concat(number($day), ' ', $month, ' ', $year, ', ', substring($time, 1, 5), ' UTC')"/>
        </time>
      </xsl:when>
      <xsl:otherwise><time><xsl:value-of select="$date"/></time></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- "2025-11-03T14:00:00.000Z" → <time datetime="2025-11-03T14:00:00.000Z">3 Nov 2025, 14:00 UTC</time> -->
  <xsl:template name="iso-time">
    <xsl:param name="date"/>
    <xsl:variable name="m" select="number(substring($date, 6, 2))"/>
    <time datetime="{$date}">
      <xsl:choose>
        <xsl:when test="substring($date, string-length($date)) = 'Z' and $m &gt;= 1 and $m &lt;= 12 and substring($date, 11, 1) = 'T'">
          <xsl:value-of select="concat(number(substring($date, 9, 2)), ' ', substring($months, ($m - 1) * 3 + 1, 3), ' ', substring($date, 1, 4), ', ', substring($date, 12, 5), ' UTC')"/>
        </xsl:when>
        <xsl:otherwise><xsl:value-of select="$date"/></xsl:otherwise>
      </xsl:choose>
    </time>
  </xsl:template>
</xsl:stylesheet>
`;
