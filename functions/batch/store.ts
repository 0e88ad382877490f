/**
 * @module
 * Where a job reads its input and keeps its outputs, checkpoint and lease: an S3 bucket (Lambda,
 * local trigger, CLI with s3:// paths) or a local folder (CLI). Both offer multipart writes, so the
 * job never holds a whole output in memory.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

/** One uploaded part of a multipart output. */
export interface UploadedPart {
  partNumber: number;
  eTag: string;
}

/** A folder of job outputs, addressed by file name (`results.jsonl`, `_checkpoint.json`, ...). */
export interface JobStore {
  /** Where the outputs live, for logs and the CLI (`s3://bucket/prefix/` or a folder path). */
  readonly location: string;
  /** Where the output `name` lives, as {@link location} writes it. */
  locationOf(name: string): string;
  readText(name: string): Promise<string | undefined>;
  writeText(name: string, body: string): Promise<void>;
  /** Writes only when no object of that name exists; false when one does. */
  createExclusive(name: string, body: string): Promise<boolean>;
  remove(name: string): Promise<void>;
  startMultipart(name: string): Promise<string>;
  uploadPart(name: string, uploadId: string, partNumber: number, body: Buffer): Promise<string>;
  completeMultipart(name: string, uploadId: string, parts: UploadedPart[]): Promise<void>;
}

/** The input object of a job, readable from any byte offset. */
export interface InputSource {
  /** Size in bytes, for progress. */
  readonly size: number;
  open(startOffset: number): Promise<AsyncIterable<Uint8Array>>;
}

/** Identity of an S3 input object as the job names it. */
export interface S3ObjectVersion {
  bucket: string;
  key: string;
  eTag?: string;
  versionId?: string;
}

function errorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

function httpStatusOf(error: unknown): number | undefined {
  const metadata = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata;
  return metadata?.httpStatusCode;
}

function isMissing(error: unknown): boolean {
  return (
    errorName(error) === 'NoSuchKey' ||
    errorName(error) === 'NotFound' ||
    httpStatusOf(error) === 404
  );
}

/** Bytes of input fetched per GET: small enough to read whole, large enough to be few. */
const INPUT_RANGE_BYTES = 1024 * 1024;

/** Tries of one input range before the job fails (and resumes on redelivery). */
const RANGE_READ_ATTEMPTS = 3;

/** A read-back wait that lets a racing writer's PUT land before ours is confirmed. */
const LEASE_SETTLE_MS = 150;

/**
 * Job outputs under a prefix of an S3 bucket.
 *
 * @example new S3JobStore(s3, 'adcopy-local', 'batch/output/spring launch-3f2a9c1b0d4e/')
 */
export class S3JobStore implements JobStore {
  readonly location: string;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {
    this.location = `s3://${bucket}/${prefix}`;
  }

  locationOf(name: string): string {
    return `${this.location}${name}`;
  }

  async readText(name: string): Promise<string | undefined> {
    try {
      const answer = await this.s3.send(new GetObjectCommand(this.address(name)));
      return await answer.Body?.transformToString('utf-8');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async writeText(name: string, body: string): Promise<void> {
    // An explicit length: the SDK leaves it out for an empty body, and an empty errors.jsonl is common.
    const bytes = Buffer.from(body, 'utf8');
    await this.s3.send(
      new PutObjectCommand({
        ...this.address(name),
        Body: bytes,
        ContentLength: bytes.length,
        ContentType: name.endsWith('.jsonl') ? 'application/x-ndjson' : 'application/json',
      }),
    );
  }

  async createExclusive(name: string, body: string): Promise<boolean> {
    try {
      await this.s3.send(
        new PutObjectCommand({ ...this.address(name), Body: body, IfNoneMatch: '*' }),
      );
    } catch (error) {
      if (httpStatusOf(error) === 412 || httpStatusOf(error) === 409) return false;
      throw error;
    }

    // S3-compatible servers that ignore If-None-Match let two writers both succeed: the last PUT
    // wins, so each writer confirms by reading back after racing PUTs have landed.
    await sleep(LEASE_SETTLE_MS);
    return (await this.readText(name)) === body;
  }

  async remove(name: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand(this.address(name)));
  }

  async startMultipart(name: string): Promise<string> {
    const answer = await this.s3.send(new CreateMultipartUploadCommand(this.address(name)));
    if (answer.UploadId === undefined) throw new Error(`S3 gave no upload id for ${name}`);
    return answer.UploadId;
  }

  async uploadPart(
    name: string,
    uploadId: string,
    partNumber: number,
    body: Buffer,
  ): Promise<string> {
    const answer = await this.s3.send(
      new UploadPartCommand({
        ...this.address(name),
        UploadId: uploadId,
        PartNumber: partNumber,
        Body: body,
      }),
    );
    if (answer.ETag === undefined)
      throw new Error(`S3 gave no ETag for part ${partNumber} of ${name}`);
    return answer.ETag;
  }

  async completeMultipart(name: string, uploadId: string, parts: UploadedPart[]): Promise<void> {
    await this.s3.send(
      new CompleteMultipartUploadCommand({
        ...this.address(name),
        UploadId: uploadId,
        MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.eTag })) },
      }),
    );
  }

  private address(name: string): { Bucket: string; Key: string } {
    return { Bucket: this.bucket, Key: `${this.prefix}${name}` };
  }
}

/**
 * Job outputs in a local folder; multipart uploads keep their parts in a hidden sub-folder until
 * they are joined, so a resumed CLI run behaves like a resumed Lambda.
 *
 * @example new FsJobStore('./catalogue.out')
 */
export class FsJobStore implements JobStore {
  readonly location: string;

  constructor(private readonly folder: string) {
    this.location = folder;
  }

  locationOf(name: string): string {
    return join(this.folder, name);
  }

  async readText(name: string): Promise<string | undefined> {
    try {
      return await readFile(join(this.folder, name), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async writeText(name: string, body: string): Promise<void> {
    // Write then rename, so a reader (or a crash) never sees half a checkpoint.
    const path = join(this.folder, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.tmp`, body);
    await rename(`${path}.tmp`, path);
  }

  async createExclusive(name: string, body: string): Promise<boolean> {
    await mkdir(this.folder, { recursive: true });
    try {
      await writeFile(join(this.folder, name), body, { flag: 'wx' });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  }

  async remove(name: string): Promise<void> {
    await rm(join(this.folder, name), { force: true });
  }

  async startMultipart(name: string): Promise<string> {
    const uploadId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    await mkdir(this.partsFolder(name, uploadId), { recursive: true });
    return uploadId;
  }

  async uploadPart(
    name: string,
    uploadId: string,
    partNumber: number,
    body: Buffer,
  ): Promise<string> {
    await writeFile(join(this.partsFolder(name, uploadId), String(partNumber)), body);
    return `${partNumber}:${body.length}`;
  }

  async completeMultipart(name: string, uploadId: string, parts: UploadedPart[]): Promise<void> {
    const path = join(this.folder, name);
    const partPaths = parts.map((part) =>
      join(this.partsFolder(name, uploadId), String(part.partNumber)),
    );
    await pipeline(Readable.from(chainFiles(partPaths)), createWriteStream(`${path}.tmp`));
    await rename(`${path}.tmp`, path);
    await this.dropParts(name, uploadId);
  }

  private async dropParts(name: string, uploadId: string): Promise<void> {
    await rm(this.partsFolder(name, uploadId), { recursive: true, force: true });

    // Leave no empty folders behind; ones still holding another upload's parts stay.
    const partsRoot = join(this.folder, '.parts');
    await rmdir(join(partsRoot, name)).catch(() => undefined);
    await rmdir(partsRoot).catch(() => undefined);
  }

  private partsFolder(name: string, uploadId: string): string {
    return join(this.folder, '.parts', name, uploadId);
  }
}

/**
 * Reads an S3 input object from any offset, pinned to the version the job was named after: a
 * newer upload under the same key is a different job (it has its own event).
 */
export class S3InputSource implements InputSource {
  private constructor(
    private readonly s3: S3Client,
    readonly object: Required<Pick<S3ObjectVersion, 'bucket' | 'key' | 'eTag'>> & S3ObjectVersion,
    readonly size: number,
  ) {}

  /**
   * Looks the object up (its ETag, version and size) and returns a source pinned to it.
   * @example const input = await S3InputSource.open(s3, { bucket, key, eTag });
   */
  static async open(s3: S3Client, object: S3ObjectVersion): Promise<S3InputSource> {
    const head = await s3.send(
      new HeadObjectCommand({
        Bucket: object.bucket,
        Key: object.key,
        ...(object.versionId === undefined ? {} : { VersionId: object.versionId }),
      }),
    );
    const eTag = (head.ETag ?? object.eTag ?? '').replace(/"/g, '');
    const versioned = object.versionId ?? head.VersionId;
    const pinned = {
      ...object,
      eTag,
      ...(versioned === undefined ? {} : { versionId: versioned }),
    };
    return new S3InputSource(s3, pinned, head.ContentLength ?? 0);
  }

  async open(startOffset: number): Promise<AsyncIterable<Uint8Array>> {
    return this.ranges(startOffset);
  }

  /**
   * The object from an offset on, one ranged GET at a time, each read whole before it is handed
   * on. A single GET held open for the length of a job is cut by the server (s3rver after 5
   * minutes, S3 on slow reads); short ones never are, and memory stays at one range.
   */
  private async *ranges(startOffset: number): AsyncGenerator<Uint8Array> {
    for (let offset = startOffset; offset < this.size; offset += INPUT_RANGE_BYTES) {
      const last = Math.min(this.size, offset + INPUT_RANGE_BYTES) - 1;
      yield await this.readRange(offset, last);
    }
  }

  private async readRange(first: number, last: number): Promise<Uint8Array> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const answer = await this.s3.send(
          new GetObjectCommand({
            Bucket: this.object.bucket,
            Key: this.object.key,
            Range: `bytes=${first}-${last}`,
            ...(this.object.versionId === undefined
              ? { IfMatch: `"${this.object.eTag}"` }
              : { VersionId: this.object.versionId }),
          }),
        );
        if (answer.Body === undefined)
          throw new Error(`S3 returned no body for ${this.object.key}`);
        return await answer.Body.transformToByteArray();
      } catch (error) {
        // The SDK retries a failed request, not a body cut off while it was read.
        if (attempt >= RANGE_READ_ATTEMPTS || httpStatusOf(error) === 412) throw error;
        await sleep(200 * attempt);
      }
    }
  }
}

/** Reads a local input file from any offset. */
export class FileInputSource implements InputSource {
  private constructor(
    private readonly path: string,
    readonly size: number,
    readonly modifiedMs: number,
  ) {}

  /** @example const input = await FileInputSource.open('./catalogue.jsonl'); */
  static async open(path: string): Promise<FileInputSource> {
    const info = await stat(path);
    if (!info.isFile()) throw new Error(`input ${path} is not a file`);
    return new FileInputSource(path, info.size, info.mtimeMs);
  }

  async open(startOffset: number): Promise<AsyncIterable<Uint8Array>> {
    if (startOffset >= this.size) return emptyStream();
    return createReadStream(this.path, { start: startOffset, highWaterMark: 256 * 1024 });
  }
}

/** The bytes of several files, one after another, read in chunks. */
async function* chainFiles(paths: string[]): AsyncGenerator<Buffer> {
  for (const path of paths) yield* createReadStream(path);
}

async function* emptyStream(): AsyncGenerator<Uint8Array> {
  // Nothing left to read: a resumed job that had reached the end of its input.
}
