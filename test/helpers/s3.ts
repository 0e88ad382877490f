/**
 * A real S3-compatible server (s3rver) for tests, on a free 127.0.0.1 port in a temporary folder,
 * and a real `@aws-sdk/client-s3` client pointed at it (only the endpoint is overridden).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import S3rver from 's3rver';

import { localS3ClientFor } from '../../functions/batch/index.js';

/** A running local S3 with one bucket. */
export interface LocalS3 {
  server: S3rver;
  client: S3Client;
  bucket: string;
  endpoint: string;
  /** Uploads a text or bytes object. */
  put(key: string, body: string | Uint8Array): Promise<void>;
  /** Reads an object as text, or undefined when it does not exist. */
  get(key: string): Promise<string | undefined>;
  /** Lists keys under a prefix. */
  list(prefix: string): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * Starts s3rver with one bucket on a free loopback port.
 * @example const s3 = await startLocalS3(); afterAll(() => s3.close());
 */
export async function startLocalS3(bucket = 'adcopy-test'): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), 'adcopy-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localS3ClientFor(endpoint);

  return {
    server,
    client,
    bucket,
    endpoint,
    async put(key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async get(key) {
      try {
        const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return await answer.Body?.transformToString('utf-8');
      } catch (error) {
        if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
    async list(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        keys.push(...(page.Contents ?? []).map((item) => item.Key ?? ''));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      return keys.sort();
    },
    async close() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
