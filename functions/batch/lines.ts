/**
 * @module
 * A streaming JSONL line splitter that works on bytes, so it keeps exact byte offsets for resuming
 * and never holds more than one line (capped) in memory.
 */
import { TextDecoder } from 'node:util';

/** The default cap on one input line, in bytes; a brief is a few KB at most. */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

/** Where one input line ends, so a resumed job can start reading right after it. */
interface LinePosition {
  /** 1-based line number in the whole input file. */
  line: number;
  /** Byte offset just past this line's newline (or the end of the file). */
  endOffset: number;
}

/** One item the splitter yields per input line. */
export type InputLine =
  | (LinePosition & { kind: 'text'; text: string })
  | (LinePosition & { kind: 'blank' })
  | (LinePosition & { kind: 'too_large'; bytes: number })
  | (LinePosition & { kind: 'invalid_utf8' });

/** Where to start reading and how long a line may be. */
export interface LineSplitOptions {
  /** Byte offset the byte stream starts at (a resumed job reads a range). @default 0 */
  startOffset?: number;
  /** Number of lines before `startOffset`. @default 0 */
  startLine?: number;
  /** Longest line kept, in bytes, without its newline. @default DEFAULT_MAX_LINE_BYTES */
  maxLineBytes?: number;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Collects one line's bytes until its newline, dropping them once the line passes the cap. */
class LineAccumulator {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private oversize = false;

  constructor(private readonly maxLineBytes: number) {}

  get length(): number {
    return this.bytes;
  }

  add(piece: Buffer): void {
    this.bytes += piece.length;
    if (this.oversize) return;

    // Past the cap (with room for a CR) the line is an error: stop keeping its bytes.
    if (this.bytes > this.maxLineBytes + 1) {
      this.oversize = true;
      this.chunks = [];
      return;
    }
    this.chunks.push(piece);
  }

  take(position: LinePosition, decoder: TextDecoder): InputLine {
    const line = this.finish(position, decoder);
    this.chunks = [];
    this.bytes = 0;
    this.oversize = false;
    return line;
  }

  private finish(position: LinePosition, decoder: TextDecoder): InputLine {
    let bytes = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    if (bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN) {
      bytes = bytes.subarray(0, bytes.length - 1);
    }

    const size = this.oversize ? this.bytes : bytes.length;
    if (this.oversize || size > this.maxLineBytes) {
      return { ...position, kind: 'too_large', bytes: size };
    }

    // A BOM opens a file, and also sits mid-file where files were concatenated.
    if (bytes.subarray(0, 3).equals(BOM)) bytes = bytes.subarray(3);

    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      return { ...position, kind: 'invalid_utf8' };
    }
    return text.trim() === ''
      ? { ...position, kind: 'blank' }
      : { ...position, kind: 'text', text };
  }
}

/**
 * Splits a byte stream into lines: LF or CRLF endings, a byte-order mark, blank lines, multi-byte
 * characters split across chunks, and lines over the cap (reported, never buffered whole).
 *
 * @example
 * for await (const line of splitLines(stream)) if (line.kind === 'text') JSON.parse(line.text);
 */
export async function* splitLines(
  source: AsyncIterable<Uint8Array>,
  options: LineSplitOptions = {},
): AsyncGenerator<InputLine> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const pending = new LineAccumulator(maxLineBytes);
  let offset = options.startOffset ?? 0;
  let line = options.startLine ?? 0;

  for await (const chunk of source) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    let start = 0;
    let newline = bytes.indexOf(NEWLINE, start);

    while (newline !== -1) {
      pending.add(bytes.subarray(start, newline));
      line += 1;
      offset += newline + 1 - start;
      yield pending.take({ line, endOffset: offset }, decoder);
      start = newline + 1;
      newline = bytes.indexOf(NEWLINE, start);
    }

    if (start < bytes.length) {
      pending.add(bytes.subarray(start));
      offset += bytes.length - start;
    }
  }

  // The last line may lack its newline.
  if (pending.length > 0) {
    line += 1;
    yield pending.take({ line, endOffset: offset }, decoder);
  }
}
