"""Reads RSS files with the Universal Feed Parser (feedparser) and prints what it understood.

Usage: /usr/bin/python3 test/validators/check_rss.py FILE...

Prints one JSON array with an object per file, in argument order:
  {file, bozo, bozo_exception, version, entries: [{id, title, link, published, published_parsed}],
   self_link}
`bozo` is feedparser's flag for a document that is not well-formed or that it had to guess at;
`published_parsed` is feedparser's own reading of the date as a UTC ISO string (null if it could
not parse it). test/e2e/strict-validation.test.ts asserts on this output. Exit status is 0 unless
the script itself fails; a broken feed is reported in its object, never by the exit status.
"""
import calendar
import datetime
import json
import sys

import feedparser


def iso(struct_time):
    if struct_time is None:
        return None
    seconds = calendar.timegm(struct_time)
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def self_link(feed):
    for link in feed.get('links', []):
        if link.get('rel') == 'self':
            return link.get('href')
    return None


def check(path):
    with open(path, 'rb') as handle:
        # Bytes, so feedparser does its own encoding detection from the XML declaration.
        parsed = feedparser.parse(handle.read(), sanitize_html=False)
    exception = parsed.get('bozo_exception')
    return {
        'file': path,
        'bozo': bool(parsed.get('bozo')),
        'bozo_exception': None if exception is None else '%s: %s' % (type(exception).__name__, exception),
        'version': parsed.get('version'),
        'entries': [
            {
                'id': entry.get('id'),
                'title': entry.get('title'),
                'link': entry.get('link'),
                'published': entry.get('published'),
                'published_parsed': iso(entry.get('published_parsed')),
            }
            for entry in parsed.entries
        ],
        'self_link': self_link(parsed.feed),
    }


if __name__ == '__main__':
    json.dump([check(path) for path in sys.argv[1:]], sys.stdout, ensure_ascii=True)
    sys.stdout.write('\n')
