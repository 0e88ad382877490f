/**
 * A small writer of GGUF version 3 files: header, metadata, tensor infos, then tensor data, each
 * tensor aligned to 32 bytes. Tensor data is produced one tensor at a time, so a file of gigabytes
 * is written without holding it in memory.
 *
 * @module
 */

/** A metadata value with its GGUF type; llama.cpp refuses some widths (a u64 context length). */
export type GgufValue =
  | { type: 'u32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: readonly string[] }
  | { type: 'i32[]'; value: readonly number[] };

/** Element types of tensors this writer produces. */
export type GgufTensorType = 'f32' | 'f16';

/** One tensor: its shape (innermost dimension first, as ggml orders them) and its values. */
export interface GgufTensor {
  name: string;
  dims: readonly number[];
  type: GgufTensorType;

  /** Fills the tensor's values, row after row; called once, when the tensor's turn comes. */
  fill: (values: Float32Array) => void;
}

/** The alignment of tensor data that llama.cpp assumes when `general.alignment` is absent. */
export const GGUF_ALIGNMENT = 32;

// GGUF value type codes (gguf_type).
const TYPE_UINT32 = 4;
const TYPE_INT32 = 5;
const TYPE_FLOAT32 = 6;
const TYPE_BOOL = 7;
const TYPE_STRING = 8;
const TYPE_ARRAY = 9;

// ggml tensor type codes (ggml_type).
const TENSOR_TYPE_CODE: Record<GgufTensorType, number> = { f32: 0, f16: 1 };
const TENSOR_ELEMENT_BYTES: Record<GgufTensorType, number> = { f32: 4, f16: 2 };

/** Appends little-endian values to a growing list of byte chunks. */
class ByteSink {
  readonly chunks: Uint8Array[] = [];
  length = 0;

  bytes(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  u32(value: number): void {
    this.fixed(4, (chunk) => chunk.writeUInt32LE(value));
  }

  i32(value: number): void {
    this.fixed(4, (chunk) => chunk.writeInt32LE(value));
  }

  u64(value: number): void {
    this.fixed(8, (chunk) => chunk.writeBigUInt64LE(BigInt(value)));
  }

  f32(value: number): void {
    this.fixed(4, (chunk) => chunk.writeFloatLE(value));
  }

  string(value: string): void {
    const encoded = Buffer.from(value, 'utf8');
    this.u64(encoded.length);
    this.bytes(encoded);
  }

  private fixed(width: number, write: (chunk: Buffer) => void): void {
    const chunk = Buffer.alloc(width);
    write(chunk);
    this.bytes(chunk);
  }

  padTo(alignment: number): void {
    const padding = (alignment - (this.length % alignment)) % alignment;
    if (padding > 0) this.bytes(new Uint8Array(padding));
  }
}

/** Writes one metadata value, its type code first. */
function writeValue(sink: ByteSink, entry: GgufValue): void {
  switch (entry.type) {
    case 'u32':
      sink.u32(TYPE_UINT32);
      sink.u32(entry.value);
      return;
    case 'f32':
      sink.u32(TYPE_FLOAT32);
      sink.f32(entry.value);
      return;
    case 'bool':
      sink.u32(TYPE_BOOL);
      sink.bytes(Uint8Array.of(entry.value ? 1 : 0));
      return;
    case 'string':
      sink.u32(TYPE_STRING);
      sink.string(entry.value);
      return;
    case 'string[]':
      sink.u32(TYPE_ARRAY);
      sink.u32(TYPE_STRING);
      sink.u64(entry.value.length);
      for (const item of entry.value) sink.string(item);
      return;
    case 'i32[]':
      sink.u32(TYPE_ARRAY);
      sink.u32(TYPE_INT32);
      sink.u64(entry.value.length);
      for (const item of entry.value) sink.i32(item);
      return;
  }
}

/** Number of values in a tensor. */
export function elementCount(dims: readonly number[]): number {
  return dims.reduce((product, dim) => product * dim, 1);
}

/** Bytes a tensor's data takes, before alignment padding. */
export function tensorByteLength(tensor: Pick<GgufTensor, 'dims' | 'type'>): number {
  return elementCount(tensor.dims) * TENSOR_ELEMENT_BYTES[tensor.type];
}

function alignUp(offset: number): number {
  return Math.ceil(offset / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
}

/**
 * The file's head: magic, version, counts, metadata and tensor infos, padded so tensor data starts
 * on the alignment boundary.
 */
export function encodeHeader(
  metadata: ReadonlyArray<readonly [string, GgufValue]>,
  tensors: readonly GgufTensor[],
): Uint8Array {
  const sink = new ByteSink();

  sink.bytes(Buffer.from('GGUF', 'latin1'));
  sink.u32(3);
  sink.u64(tensors.length);
  sink.u64(metadata.length);

  for (const [key, entry] of metadata) {
    sink.string(key);
    writeValue(sink, entry);
  }

  let offset = 0;
  for (const tensor of tensors) {
    sink.string(tensor.name);
    sink.u32(tensor.dims.length);
    for (const dim of tensor.dims) sink.u64(dim);
    sink.u32(TENSOR_TYPE_CODE[tensor.type]);
    sink.u64(offset);
    offset = alignUp(offset + tensorByteLength(tensor));
  }

  sink.padTo(GGUF_ALIGNMENT);
  return Buffer.concat(sink.chunks);
}

/** IEEE half-precision bits of a float, rounded to nearest even, as ggml's own conversion does. */
export function toHalfBits(value: number): number {
  scratchFloat[0] = value;
  return halfFromSingleBits(scratchBits[0] as number);
}

/** IEEE half-precision bits from single-precision bits (see `toHalfBits`). */
function halfFromSingleBits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const biasedExponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;

  if (biasedExponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200);

  const exponent = biasedExponent - 127 + 15;
  if (exponent >= 0x1f) return sign | 0x7c00;

  if (exponent <= 0) {
    if (exponent < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - exponent;
    return sign | roundShift(full, shift);
  }

  // A carry out of the mantissa rolls into the exponent, which is the right rounding result.
  return sign | ((exponent << 10) + roundShift(mantissa, 13));
}

const scratchFloat = new Float32Array(1);
const scratchBits = new Uint32Array(scratchFloat.buffer);

/** `value >> shift`, rounded to nearest, ties to even. */
function roundShift(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  return rest > halfway || (rest === halfway && (kept & 1) === 1) ? kept + 1 : kept;
}

/** A tensor's values encoded in its element type, padded to the alignment. */
export function encodeTensorData(tensor: GgufTensor): Uint8Array {
  const values = new Float32Array(elementCount(tensor.dims));
  tensor.fill(values);

  const length = tensorByteLength(tensor);
  const out = new Uint8Array(alignUp(length));

  if (tensor.type === 'f32') {
    out.set(new Uint8Array(values.buffer, 0, length));
  } else {
    // Reading the floats' bits through a view spares a scratch round trip per value (1B preset).
    const bits = new Uint32Array(values.buffer, 0, values.length);
    const halves = new Uint16Array(out.buffer, 0, values.length);
    for (let i = 0; i < values.length; i++) halves[i] = halfFromSingleBits(bits[i] as number);
  }

  return out;
}
