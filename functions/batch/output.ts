/**
 * @module
 * A JSONL output written as a multipart upload, one part at a time, whose state fits in a
 * checkpoint: a resumed job carries on with the same upload and never writes a line twice.
 */
import type { JobStore, UploadedPart } from './store.js';

/** S3's smallest part (except the last); parts must be at least this big. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

/** The default part size: over S3's minimum, small enough to keep memory flat. */
export const DEFAULT_PART_BYTES = 8 * 1024 * 1024;

/** What a checkpoint keeps of one output. */
export interface OutputState {
  /** The multipart upload, once the first part was sent. */
  uploadId?: string;
  parts: UploadedPart[];
  /** Lines written since the last part, not uploaded yet. */
  tail: string;
  /** True once the object is complete. */
  done?: boolean;
}

/**
 * Appends JSON lines to one output object. Lines are held until a part's worth is there, then
 * sent as the next part; the tail goes into the checkpoint, so nothing depends on this process.
 *
 * @example
 * const results = new JsonlOutput(store, 'results.jsonl', DEFAULT_PART_BYTES);
 * const flushed = await results.append({ line: 1, copy });
 */
export class JsonlOutput {
  private uploadId: string | undefined;
  private parts: UploadedPart[];
  // Lines are kept as UTF-8 bytes outside the JS heap: half the size of UTF-16 strings for CJK copy.
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private done: boolean;

  constructor(
    private readonly store: JobStore,
    readonly name: string,
    private readonly partBytes: number,
    state?: OutputState,
  ) {
    this.uploadId = state?.uploadId;
    this.parts = [...(state?.parts ?? [])];
    this.done = state?.done ?? false;
    if (state !== undefined && state.tail !== '') this.push(state.tail);
  }

  /** Adds one record as a line; true when that sent a part (the caller then checkpoints). */
  async append(record: unknown): Promise<boolean> {
    this.push(`${JSON.stringify(record)}\n`);
    if (this.tailBytes < this.partBytes) return false;

    await this.sendPart(this.takeTail());
    return true;
  }

  /** This output's state for a checkpoint. */
  snapshot(): OutputState {
    const bytes = Buffer.concat(this.tail);
    this.tail = bytes.length === 0 ? [] : [bytes];
    const state: OutputState = { parts: [...this.parts], tail: bytes.toString('utf8') };
    if (this.uploadId !== undefined) state.uploadId = this.uploadId;
    if (this.done) state.done = true;
    return state;
  }

  /** Writes what is left and completes the object; calling it again after success does nothing. */
  async finish(): Promise<void> {
    if (this.done) return;

    const tail = this.takeTail();
    if (this.uploadId === undefined) {
      // Small outputs never reached a part: one plain PUT.
      await this.store.writeText(this.name, tail.toString('utf8'));
    } else {
      if (tail.length > 0 || this.parts.length === 0) await this.sendPart(tail);
      await this.store.completeMultipart(this.name, this.uploadId, this.parts);
    }
    this.done = true;
  }

  private push(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    this.tail.push(bytes);
    this.tailBytes += bytes.length;
  }

  private takeTail(): Buffer {
    const body = Buffer.concat(this.tail, this.tailBytes);
    this.tail = [];
    this.tailBytes = 0;
    return body;
  }

  private async sendPart(body: Buffer): Promise<void> {
    this.uploadId ??= await this.store.startMultipart(this.name);

    // A part number is reused after a crash between the upload and the checkpoint: S3 keeps the
    // last upload of a part number, and the checkpoint's list is the one completed.
    const partNumber = this.parts.length + 1;
    const eTag = await this.store.uploadPart(this.name, this.uploadId, partNumber, body);
    this.parts.push({ partNumber, eTag });
  }
}
