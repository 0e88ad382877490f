/**
 * The copy inside a structured answer that is still being written: the values of its copy fields
 * (headline, body, call to action) read from a JSON prefix, so streamed tokens show copy and never
 * JSON syntax or the reasoning field.
 * @module
 */

const COPY_FIELDS = new Set(['headline', 'body', 'cta']);
const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/**
 * The copy fields' text in a JSON prefix, one field a line, in the order written. Grows as the
 * prefix grows: an escape cut off at the end is left out until it is complete.
 *
 * @example
 * copyTextOf('{"reasoning":"白领犯困","body":"下午三点，来') // '下午三点，来'
 */
export function copyTextOf(prefix: string): string {
  const values: string[] = [];
  let key: string | undefined;
  let index = 0;

  while (index < prefix.length) {
    const quote = prefix.indexOf('"', index);
    if (quote < 0) break;
    const { text, end } = readString(prefix, quote + 1);
    const isKey = end < 0 ? key === undefined : /^\s*:/.test(prefix.slice(end + 1));

    if (isKey && key === undefined) {
      key = text;
    } else {
      if (key !== undefined && COPY_FIELDS.has(key)) values.push(text);
      key = undefined;
    }
    if (end < 0) break;
    index = end + 1;
  }
  return values.join('\n');
}

/** Reads a JSON string body from `start`; `end` is the closing quote, or -1 when cut off. */
function readString(json: string, start: number): { text: string; end: number } {
  let text = '';
  let index = start;
  while (index < json.length) {
    const char = json[index]!;
    if (char === '"') return { text, end: index };
    if (char !== '\\') {
      text += char;
      index += 1;
      continue;
    }

    const code = json[index + 1];
    if (code === undefined) break;
    if (code === 'u') {
      const hex = json.slice(index + 2, index + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) break;
      text += String.fromCharCode(Number.parseInt(hex, 16));
      index += 6;
    } else {
      text += SIMPLE_ESCAPES[code] ?? code;
      index += 2;
    }
  }
  return { text, end: -1 };
}
