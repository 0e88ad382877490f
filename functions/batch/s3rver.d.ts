/**
 * The part of s3rver (a local S3-compatible server, shipped without types) that the local batch
 * trigger and the tests use.
 */
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory: string;
    resetOnClose?: boolean;
    configureBuckets?: Array<{ name: string; configs?: unknown[] }>;
  }

  /** One S3 notification, in AWS's shape (keys not URL-encoded, unlike AWS). */
  interface S3rverEvent {
    Records: Array<{
      eventName: string;
      s3: {
        bucket: { name: string };
        object: { key: string; size?: number; eTag?: string; sequencer?: string };
      };
    }>;
  }

  class S3rver {
    constructor(options: S3rverOptions);
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
    on(event: 'event', listener: (event: S3rverEvent) => void): this;
    off(event: 'event', listener: (event: S3rverEvent) => void): this;
  }

  export default S3rver;
  export type { S3rverEvent, S3rverOptions };
}
