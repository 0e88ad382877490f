/**
 * @module
 * The raw bytes of each vocabulary token. node-llama-cpp only detokenises to JavaScript strings,
 * which turns half a UTF-8 character into U+FFFD; streaming needs the bytes themselves.
 */

/** llama.cpp's vocabulary types (llama_vocab_type). */
const VOCAB_SPM = 1;
const VOCAB_BPE = 2;

/** llama.cpp's token attribute bits (llama_token_attr). */
const ATTR_UNKNOWN = 1 << 0;
const ATTR_CONTROL = 1 << 3;
const ATTR_BYTE = 1 << 5;

/** The subset of node-llama-cpp's native model that token bytes need. */
export interface NativeVocabulary {
  getVocabularyType(): number;
  getTokenString(token: number): string;
  getTokenAttributes(token: number): number;
  detokenize(tokens: Uint32Array, specialTokens?: boolean): string;
}

/** GPT-2's byte-to-printable-character table, inverted: character code to byte. */
function gpt2CharToByte(): Map<number, number> {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);

  const table = new Map<number, number>();
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    if (printable.includes(b)) table.set(b, b);
    else table.set(256 + shifted++, b);
  }

  return table;
}

const encoder = new TextEncoder();
const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;

/**
 * Makes a function from token id to its bytes, by the vocabulary's own piece encoding.
 * Control and unknown tokens have no bytes: they never appear as text.
 */
export function tokenBytesReader(vocabulary: NativeVocabulary): (token: number) => Uint8Array {
  const type = vocabulary.getVocabularyType();
  const charToByte = type === VOCAB_BPE ? gpt2CharToByte() : undefined;

  return (token) => {
    const attributes = vocabulary.getTokenAttributes(token);
    if (attributes & (ATTR_CONTROL | ATTR_UNKNOWN)) return new Uint8Array();

    const piece = vocabulary.getTokenString(token);

    if (type === VOCAB_SPM) {
      const byte = attributes & ATTR_BYTE ? BYTE_TOKEN.exec(piece) : null;
      if (byte) return Uint8Array.of(Number.parseInt(byte[1] as string, 16));
      return encoder.encode(piece.replaceAll('\u2581', ' '));
    }

    if (charToByte) {
      const bytes: number[] = [];
      for (const char of piece) {
        const byte = charToByte.get(char.codePointAt(0) as number);
        // A piece outside the byte alphabet is a user-defined token written as plain text.
        if (byte === undefined) return encoder.encode(piece);
        bytes.push(byte);
      }
      return Uint8Array.from(bytes);
    }

    return encoder.encode(vocabulary.detokenize(Uint32Array.of(token), false));
  };
}
