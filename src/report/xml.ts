/**
 * A small XML writer: elements, attributes and text, escaped for XML 1.0. Enough for JUnit
 * reports, with the attributes the readers need (`file`, `line`) that general builders omit.
 */
export interface XmlElement {
  name: string;
  attrs?: Record<string, string | number | undefined>;
  children?: XmlElement[];
  /** Text content; an element has text or children, not both. */
  text?: string;
}

/**
 * Characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates, U+FFFE/FFFF):
 * replaced, since no escape makes them legal and one stray byte of output would make the
 * whole report unreadable.
 */
const INVALID = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function xmlText(s: string): string {
  return s
    .replace(INVALID, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** Attribute values keep their line breaks and tabs (a parser would otherwise turn them into spaces). */
export function xmlAttr(s: string): string {
  return xmlText(s)
    .replace(/"/g, '&quot;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

export function renderXml(root: XmlElement): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const walk = (e: XmlElement, depth: number) => {
    const pad = '  '.repeat(depth);
    const attrs = Object.entries(e.attrs ?? {})
      .filter((a): a is [string, string | number] => a[1] !== undefined)
      .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
      .join('');
    if (e.text !== undefined && e.text !== '') {
      lines.push(`${pad}<${e.name}${attrs}>${xmlText(e.text)}</${e.name}>`);
    } else if (e.children?.length) {
      lines.push(`${pad}<${e.name}${attrs}>`);
      for (const c of e.children) walk(c, depth + 1);
      lines.push(`${pad}</${e.name}>`);
    } else {
      lines.push(`${pad}<${e.name}${attrs}/>`);
    }
  };
  walk(root, 0);
  return `${lines.join('\n')}\n`;
}
