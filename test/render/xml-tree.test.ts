import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serializeXml, xmlElement, xmlTextElement, type XmlElement } from '../../src/render/xml-tree.js';
import { parseXmlDocument, textOf } from '../helpers/xml.js';

/** A document whose root is `<root>` holding `children`. */
function documentOf(...children: XmlElement[]): XmlElement {
  return { elements: [xmlElement('root', {}, children)] };
}

function cdataElement(name: string, cdata: string): XmlElement {
  return { type: 'element', name, elements: [{ type: 'cdata', cdata }] };
}

/** Serializes, then reads back with fast-xml-parser; fails if the XML is not well-formed. */
function roundTrip(...children: XmlElement[]) {
  return parseXmlDocument(serializeXml(documentOf(...children))).root;
}

describe('serializeXml', () => {
  it('starts with the UTF-8 XML declaration', () => {
    assert.ok(serializeXml(documentOf()).startsWith('<?xml version="1.0" encoding="utf-8"?>\n'));
  });

  describe('attributes', () => {
    it('escapes &, <, > and "', () => {
      const xml = serializeXml(documentOf(xmlElement('a', { title: 'Tom & "Jerry" <3 >' })));
      assert.ok(xml.includes('title="Tom &amp; &quot;Jerry&quot; &lt;3 &gt;"'), xml);
    });

    it('round-trips &, <, > and " exactly', () => {
      const value = 'Tom & "Jerry" <3 > &amp;';
      assert.equal(roundTrip(xmlElement('a', { title: value })).a['@_title'], value);
    });

    it('leaves out undefined attributes', () => {
      assert.equal(serializeXml(documentOf(xmlElement('a', { href: 'x', title: undefined }))).includes('title'), false);
    });

    it('removes XML-forbidden characters', () => {
      assert.equal(roundTrip(xmlElement('a', { title: 'a\u0001b\uFFFEc' })).a['@_title'], 'abc');
    });
  });

  describe('text', () => {
    it('escapes &, < and > as hexadecimal character references (the RSS profile\'s advice)', () => {
      const xml = serializeXml(documentOf(xmlTextElement('t', 'a & b < c > d')));
      assert.ok(xml.includes('<t>a &#x26; b &#x3C; c &#x3E; d</t>'), xml);
    });

    it('round-trips &, < and > exactly', () => {
      assert.equal(textOf(roundTrip(xmlTextElement('t', 'a & b < c > d')).t), 'a & b < c > d');
    });

    it('keeps a literal &amp; as the text "&amp;"', () => {
      assert.equal(textOf(roundTrip(xmlTextElement('t', 'Fish &amp; Chips')).t), 'Fish &amp; Chips');
    });

    it('keeps "]]>" in text', () => {
      assert.equal(textOf(roundTrip(xmlTextElement('t', 'a ]]> b')).t), 'a ]]> b');
    });

    it('removes XML-forbidden characters', () => {
      assert.equal(textOf(roundTrip(xmlTextElement('t', 'a\u0000b\u0008c\u001Fd\uD800e\uDFFFf\uFFFFg')).t), 'abcdefg');
    });

    it('keeps a valid surrogate pair', () => {
      assert.equal(textOf(roundTrip(xmlTextElement('t', 'rocket 🚀')).t), 'rocket 🚀');
    });

    it('keeps tab and line feed', () => {
      assert.equal(textOf(roundTrip(xmlTextElement('t', 'a\tb\nc')).t), 'a\tb\nc');
    });
  });

  describe('CDATA', () => {
    it('keeps markup characters unescaped inside CDATA', () => {
      const xml = serializeXml(documentOf(cdataElement('c', '<p>A &amp; B</p>')));
      assert.ok(xml.includes('<c><![CDATA[<p>A &amp; B</p>]]></c>'), xml);
    });

    it('round-trips a text with one "]]>"', () => {
      assert.equal(textOf(roundTrip(cdataElement('c', 'one ]]> two')).c), 'one ]]> two');
    });

    it('round-trips a text with two "]]>" exactly', () => {
      const text = '<b>one</b> ]]> two ]]> three & <four>';
      assert.equal(textOf(roundTrip(cdataElement('c', text)).c), text);
    });

    it('round-trips a text that is only "]]>]]>"', () => {
      assert.equal(textOf(roundTrip(cdataElement('c', ']]>]]>')).c), ']]>]]>');
    });

    it('removes XML-forbidden characters', () => {
      assert.equal(textOf(roundTrip(cdataElement('c', 'a\u0001b\u000Bc')).c), 'abc');
    });
  });

  describe('structure', () => {
    it('writes an element without children as self-closing', () => {
      assert.ok(serializeXml(documentOf(xmlElement('empty', { a: 1 }))).includes('<empty a="1"/>'));
    });

    it('keeps the order of child elements', () => {
      const root = roundTrip(xmlTextElement('item', 'one'), xmlTextElement('item', 'two'), xmlTextElement('item', 'three'));
      assert.deepEqual(root.item, ['one', 'two', 'three']);
    });
  });
});
