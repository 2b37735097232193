import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { RelayError } from '../../errors/relay-error.ts';

/** WeChat's documents are a few levels deep; anything deeper is not a push. */
const MAX_DEPTH = 16;

const parser = new XMLParser({
  ignoreAttributes: true,
  // Values stay strings: WeChat's types drift (label 100 vs "100"), and forwarding uses the raw bytes anyway.
  parseTagValue: false,
  trimValues: true,
  processEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

/**
 * Parses a WeChat XML document without ever expanding an entity: a DOCTYPE,
 * ENTITY or processing instruction is refused before any parser sees the text,
 * and nesting is bounded before parsing.
 */
export function parseWechatXml(text: string): Record<string, unknown> {
  const withoutCdata = stripCdata(text);
  if (/<!(?!--)/.test(withoutCdata)) throw new RelayError('XML_NOT_ALLOWED', 'XML with a DOCTYPE or entity declaration is refused');
  if (/<\?(?!xml[\s?])/i.test(withoutCdata)) throw new RelayError('XML_NOT_ALLOWED', 'XML processing instructions are refused');
  if (nestingDepth(withoutCdata) > MAX_DEPTH) throw new RelayError('XML_NOT_ALLOWED', `XML nests deeper than ${MAX_DEPTH} levels`);
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new RelayError('INVALID_PUSH', `the body is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  const document = parser.parse(text) as Record<string, unknown>;
  const root = document.xml;
  if (typeof root !== 'object' || root === null || Array.isArray(root)) throw new RelayError('INVALID_PUSH', 'a WeChat XML push has one <xml> root element with fields inside');
  return root as Record<string, unknown>;
}

/** Removes CDATA sections in one linear pass (an unclosed one runs to the end). */
function stripCdata(text: string): string {
  let result = '';
  let from = 0;
  for (;;) {
    const start = text.indexOf('<![CDATA[', from);
    if (start === -1) return result + text.slice(from);
    result += text.slice(from, start);
    const end = text.indexOf(']]>', start + 9);
    if (end === -1) return result;
    from = end + 3;
  }
}

/** Deepest element nesting, counted in one linear pass without building a tree. */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let at = text.indexOf('<');
  while (at !== -1) {
    const end = text.indexOf('>', at);
    if (end === -1) break;
    const next = text.charAt(at + 1);
    if (next === '/') depth -= 1;
    else if (/[A-Za-z_]/.test(next) && text.charAt(end - 1) !== '/') deepest = Math.max(deepest, ++depth);
    at = text.indexOf('<', end);
  }
  return deepest;
}
