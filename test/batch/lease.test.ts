import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { JobLease } from '../../functions/batch/checkpoint.js';
import { FsJobStore } from '../../functions/batch/store.js';

const folders: string[] = [];
afterEach(async () => {
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

/** A real folder store whose lease writes take `delayMs`, as a slow S3 PUT would. */
async function slowStore(delayMs: number) {
  const folder = await mkdtemp(join(tmpdir(), 'adcopy-lease-'));
  folders.push(folder);
  const store = new FsJobStore(folder);
  const writeText = store.writeText.bind(store);
  store.writeText = async (name, body) => {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    await writeText(name, body);
  };
  return store;
}

describe('Class: JobLease', () => {
  it('leaves no lease behind when a renewal is still being written at release', async () => {
    // GIVEN a held lease whose renewal is on its way
    const store = await slowStore(50);
    const lease = new JobLease(store);
    expect(await lease.acquire(Date.now() + 60_000)).toBe(true);
    const renewing = lease.renew(Date.now() + 60_000);

    // WHEN the job gives the lease up before that write has landed
    await lease.release();
    await renewing;

    // THEN the next delivery finds the job free
    expect(await new JobLease(store).acquire(Date.now() + 60_000)).toBe(true);
  });

  it('keeps a live lease of another worker', async () => {
    const store = await slowStore(0);
    expect(await new JobLease(store).acquire(Date.now() + 60_000)).toBe(true);

    expect(await new JobLease(store).acquire(Date.now() + 60_000)).toBe(false);
  });
});
