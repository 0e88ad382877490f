/**
 * Reading back the first metadata of a GGUF file, enough to tell whether a cached dev model was
 * made by the current generator.
 *
 * @module
 */

import { open } from 'node:fs/promises';

// The generator writes its version among the first few keys; this much head always holds them.
const HEAD_BYTES = 64 * 1024;
const GENERATOR_KEY = 'adcopy.dev_model.generator_version';

// Byte widths of GGUF's fixed-size value types, by type code.
const FIXED_WIDTH: Record<number, number> = {
  0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8,
};
const TYPE_STRING = 8;
const TYPE_ARRAY = 9;
const TYPE_UINT32 = 4;

/** A cursor over the head of the file; reading past its end throws a RangeError. */
class Cursor {
  offset = 0;

  constructor(private readonly head: Buffer) {}

  u32(): number {
    const value = this.head.readUInt32LE(this.offset);
    this.offset += 4;
    return value;
  }

  u64(): number {
    const value = Number(this.head.readBigUInt64LE(this.offset));
    this.offset += 8;
    return value;
  }

  string(): string {
    const length = this.u64();
    if (this.offset + length > this.head.length) throw new RangeError('string past the head');
    const value = this.head.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  skipValue(type: number): void {
    if (type === TYPE_STRING) {
      this.string();
    } else if (type === TYPE_ARRAY) {
      const itemType = this.u32();
      const count = this.u64();
      const width = FIXED_WIDTH[itemType];
      if (width !== undefined) this.advance(count * width);
      else for (let i = 0; i < count; i++) this.skipValue(itemType);
    } else {
      const width = FIXED_WIDTH[type];
      if (width === undefined) throw new RangeError(`unknown GGUF value type ${type}`);
      this.advance(width);
    }
  }

  private advance(bytes: number): void {
    if (this.offset + bytes > this.head.length) throw new RangeError('value past the head');
    this.offset += bytes;
  }
}

/** Reads up to the first `HEAD_BYTES` of a file; undefined when it does not exist. */
async function readHead(path: string): Promise<Buffer | undefined> {
  const file = await open(path, 'r').catch(() => undefined);
  if (file === undefined) return undefined;

  try {
    const head = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await file.read(head, 0, HEAD_BYTES, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/**
 * The dev model generator version stored in a GGUF file, or undefined when the file is missing,
 * is not GGUF, or was not written by this generator.
 */
export async function readGeneratorVersion(path: string): Promise<number | undefined> {
  const head = await readHead(path);
  if (head === undefined || head.toString('latin1', 0, 4) !== 'GGUF') return undefined;

  try {
    const cursor = new Cursor(head);
    cursor.offset = 4 + 4 + 8;
    const metadataCount = cursor.u64();

    for (let i = 0; i < metadataCount; i++) {
      const key = cursor.string();
      const type = cursor.u32();
      if (key === GENERATOR_KEY && type === TYPE_UINT32) return cursor.u32();
      cursor.skipValue(type);
    }
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
  }

  return undefined;
}
