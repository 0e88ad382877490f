import { describe, expect, it } from 'vitest';

import { jobIdentity } from '../../functions/batch/index.js';

describe('Function: jobIdentity', () => {
  it('names a job after its key below batch/input/, without the extension', () => {
    const job = jobIdentity({ bucket: 'b', key: 'batch/input/spring launch.jsonl', eTag: 'e1' });
    expect(job.name).toBe(`spring launch-${job.id}`);
  });

  it('drops dot segments, so no job writes outside batch/output/', () => {
    const job = jobIdentity({ bucket: 'b', key: 'batch/input/../../secret.jsonl', eTag: 'e1' });
    expect(job.name).toBe(`secret-${job.id}`);
    expect(job.name).not.toContain('..');
  });

  it('gives different objects and versions different ids', () => {
    const a = jobIdentity({ bucket: 'b', key: 'batch/input/a.jsonl', eTag: 'e1' });
    const b = jobIdentity({ bucket: 'b', key: 'batch/input/a.jsonl', eTag: 'e2' });
    expect(a.id).not.toBe(b.id);
  });
});
