/**
 * @module engine-client/sse
 * Server-sent-event parsing over raw byte chunks, shared by the HTTP client (response body) and the
 * SageMaker client (`PayloadPart` bytes). Chunks may split a UTF-8 character or an event anywhere.
 */

/** One parsed server-sent event. */
export interface SseEvent {
  /** The `event:` field; `message` when absent, as the SSE standard says. */
  event: string;
  /** The `data:` lines joined with newlines. */
  data: string;
}

/** SSE allows \r\n, \r or \n as a line break; the parser works on \n only. */
function normaliseBreaks(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/** Parses one event block (the lines between blank lines); undefined when it holds no data. */
function parseBlock(block: string): SseEvent | undefined {
  let event = 'message';
  const data: string[] = [];

  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    // one space after the colon belongs to the syntax, not to the value
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    if (field === 'data') data.push(value);
  }

  return data.length === 0 ? undefined : { event, data: data.join('\n') };
}

/**
 * Yields the events of a byte stream. A streaming `TextDecoder` holds back the bytes of a character
 * that a chunk boundary cut (case 18), so no event ever contains U+FFFD from a split.
 * @param chunks the body, in chunks of any size
 * @example
 * for await (const { event, data } of parseSse(response.body)) handle(event, JSON.parse(data));
 */
export async function* parseSse(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder('utf-8');
  let buffer = '';

  // a chunk may end between the \r and \n of one line break: hold a trailing \r back
  let heldCr = '';

  for await (const chunk of chunks) {
    const text = heldCr + decoder.decode(chunk, { stream: true });
    heldCr = text.endsWith('\r') ? '\r' : '';
    buffer += normaliseBreaks(heldCr ? text.slice(0, -1) : text);
    yield* drainBlocks();
  }

  buffer += normaliseBreaks(heldCr + decoder.decode());
  const last = parseBlock(buffer);
  if (last) yield last;

  function* drainBlocks(): Generator<SseEvent> {
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const parsed = parseBlock(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (parsed) yield parsed;
      end = buffer.indexOf('\n\n');
    }
  }
}
