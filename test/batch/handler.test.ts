import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  BatchIncompleteError,
  createBatchHandler,
  jobIdentity,
  runBatchJob,
  S3InputSource,
  S3JobStore,
  type BatchJobOptions,
  type JobStore,
} from '../../functions/batch/index.js';
import { BriefRejectedError } from '../../layers/copy/index.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';
import {
  brief,
  engineDown,
  engineThrottled,
  jsonl,
  quietLogger,
  readJsonl,
  s3Event,
  scriptedPipeline,
  sqsEvent,
  type ScriptedPipeline,
} from './fixtures.js';

let s3: LocalS3;

beforeAll(async () => {
  s3 = await startLocalS3();
});

afterAll(async () => {
  await s3.close();
});

function handlerFor(pipeline: ScriptedPipeline, jobOptions: BatchJobOptions = {}) {
  return createBatchHandler({ s3: s3.client, pipeline, logger: quietLogger, jobOptions });
}

/** Runs one input through a fresh handler and returns its outputs. */
async function runInput(key: string, body: string, pipeline = scriptedPipeline(), jobOptions = {}) {
  await s3.put(key, body);
  const result = await handlerFor(pipeline, jobOptions)(s3Event(s3.bucket, key));
  return { result, pipeline, ...(await outputsOf(result.objects[0]?.job ?? '')) };
}

async function outputsOf(job: string) {
  const folder = `batch/output/${job}/`;
  return {
    folder,
    results: readJsonl(await s3.get(`${folder}results.jsonl`)),
    errors: readJsonl(await s3.get(`${folder}errors.jsonl`)),
    report: JSON.parse((await s3.get(`${folder}report.json`)) ?? 'null'),
    files: (await s3.list(folder)).map((file) => file.slice(folder.length)),
  };
}

describe('Function: createBatchHandler (real s3rver, real S3 client)', () => {
  it('reads a key with spaces, plus signs and Chinese; outputs take the decoded name', async () => {
    // case 1
    const key = 'batch/input/春季 新品+限定.jsonl';
    const out = await runInput(key, jsonl([brief('sku-1'), brief('sku-2')]));

    expect(out.result.objects).toEqual([
      {
        bucket: s3.bucket,
        key,
        status: 'completed',
        job: expect.stringMatching(/^春季 新品\+限定-[0-9a-f]{12}$/),
      },
    ]);
    expect(out.results.map((r) => [r.line, r.id])).toEqual([
      [1, 'sku-1'],
      [2, 'sku-2'],
    ]);
    expect(out.errors).toEqual([]);
    expect(out.files).toEqual(['errors.jsonl', 'progress.json', 'report.json', 'results.jsonl']);
    expect(out.report.counts).toMatchObject({ lines: 2, results: 2, errors: 0 });
    expect(out.report.copies.variants).toBe(6);
    expect(out.report.compliance).toMatchObject({ variants_checked: 6, variants_compliant: 4 });
    expect(out.report.compliance.violations_by_category).toEqual({ absolute_terms: 2 });
  });

  it('loses no line to a byte-order mark, CRLF endings or blank lines', async () => {
    // cases 5 and 6
    const body = `\uFEFF${JSON.stringify(brief('a'))}\r\n\r\n   \r\n${JSON.stringify(brief('b'))}`;
    const out = await runInput('batch/input/bom crlf.jsonl', body);

    expect(out.results.map((r) => [r.line, r.id])).toEqual([
      [1, 'a'],
      [4, 'b'],
    ]);
    expect(out.errors).toEqual([]);
    expect(out.report.counts).toMatchObject({ lines: 4, blank_lines: 2, results: 2 });
  });

  it('records a truncated line and an invalid brief as errors and goes on', async () => {
    // case 7
    const body = [
      JSON.stringify(brief('good-1')),
      '{"brand":"山茶","product":"冷泡',
      JSON.stringify(brief('good-2')),
      JSON.stringify(brief('blank-brand', { brand: '' })),
    ].join('\n');
    const out = await runInput('batch/input/mixed.jsonl', body);

    expect(out.result.batchItemFailures).toEqual([]);
    expect(out.results.map((r) => r.line)).toEqual([1, 3]);
    expect(out.errors).toEqual([
      { line: 2, reason: 'invalid_json', message: expect.any(String) },
      {
        line: 4,
        id: 'blank-brand',
        reason: 'invalid_brief',
        message: expect.stringContaining('brand'),
        issues: [{ path: 'brand', message: expect.any(String) }],
      },
    ]);
    expect(out.report.counts.errors_by_reason).toEqual({ invalid_json: 1, invalid_brief: 1 });
  });

  it('reports a 9 MB line as line_too_large and processes the next line', async () => {
    // case 8
    const huge = JSON.stringify(brief('huge', { features: ['x'.repeat(9 * 1024 * 1024)] }));
    const out = await runInput(
      'batch/input/huge.jsonl',
      `${huge}\n${JSON.stringify(brief('after'))}\n`,
    );

    expect(out.errors).toEqual([
      {
        line: 1,
        reason: 'line_too_large',
        message: `line is ${Buffer.byteLength(huge)} bytes; the limit is 1048576`,
      },
    ]);
    expect(out.results.map((r) => [r.line, r.id])).toEqual([[2, 'after']]);
  });

  it('applies the brief rule for numbers sent as strings on the batch path', async () => {
    // case 12, batch half
    const body = jsonl([
      brief('digits', { variants: '2' }),
      brief('exponent', { variants: '1e3' }),
    ]);
    const out = await runInput('batch/input/numbers.jsonl', body);

    expect(out.results.map((r) => r.id)).toEqual(['digits']);
    expect((out.results[0]?.copy as { variants: unknown[] }).variants).toHaveLength(2);
    expect(out.errors).toEqual([
      expect.objectContaining({ line: 2, id: 'exponent', reason: 'invalid_brief' }),
    ]);
  });

  it('records a brief the pipeline rejects (422) as an error record', async () => {
    const rejected = new BriefRejectedError(
      ['全国第一'],
      [{ path: 'keywords[0]', message: 'unlawful' }],
    );
    const pipeline = scriptedPipeline((b) => (b.id === 'unlawful' ? rejected : undefined));
    const out = await runInput(
      'batch/input/unlawful.jsonl',
      jsonl([brief('unlawful'), brief('fine')]),
      pipeline,
    );

    expect(out.errors).toEqual([
      { line: 1, id: 'unlawful', reason: 'brief_rejected', message: rejected.message },
    ]);
    expect(out.results.map((r) => r.id)).toEqual(['fine']);
  });

  it('does nothing for removals and for keys outside batch/input/', async () => {
    // cases 3 and 4
    const pipeline = scriptedPipeline();
    await s3.put('batch/output/x/results.jsonl', jsonl([brief('loop')]));
    const handler = handlerFor(pipeline);

    const removed = await handler(
      s3Event(s3.bucket, 'batch/input/spring launch.jsonl', 'ObjectRemoved:Delete'),
    );
    const outside = await handler(s3Event(s3.bucket, 'batch/output/x/results.jsonl'));

    expect(removed).toEqual({ batchItemFailures: [], objects: [] });
    expect(outside).toEqual({ batchItemFailures: [], objects: [] });
    expect(pipeline.totalCalls()).toBe(0);
  });

  it('gives one set of outputs and no second engine call for a repeated event', async () => {
    // case 2, the second delivery after the first finished
    const key = 'batch/input/twice.jsonl';
    const pipeline = scriptedPipeline();
    await s3.put(key, jsonl([brief('t1'), brief('t2'), brief('t3')]));
    const handler = handlerFor(pipeline);

    const first = await handler(s3Event(s3.bucket, key));
    const again = await handlerFor(pipeline)(s3Event(s3.bucket, key));

    expect(first.objects[0]?.status).toBe('completed');
    expect(again.objects[0]).toMatchObject({
      status: 'already_completed',
      job: first.objects[0]?.job,
    });
    expect(pipeline.totalCalls()).toBe(3);
    expect((await outputsOf(first.objects[0]!.job!)).results).toHaveLength(3);
  });

  it('gives one run when the repeated event arrives while the first still runs', async () => {
    // case 2, two workers at once (two handler instances stand for two Lambda environments)
    const key = 'batch/input/racing.jsonl';
    const pipeline = scriptedPipeline(() => undefined, 20);
    await s3.put(key, jsonl(Array.from({ length: 30 }, (_, i) => brief(`r${i}`))));

    const [one, two] = await Promise.all([
      handlerFor(pipeline)(s3Event(s3.bucket, key)),
      handlerFor(pipeline)(s3Event(s3.bucket, key)),
    ]);

    const statuses = [one.objects[0]?.status, two.objects[0]?.status].sort();
    expect(statuses).toEqual(['busy', 'completed']);
    expect(pipeline.totalCalls()).toBe(30);
    expect((await outputsOf(one.objects[0]!.job!)).results).toHaveLength(30);
  });

  it('backs off through engine throttles without turning a line into an error', async () => {
    const pipeline = scriptedPipeline((_, call) => (call <= 2 ? engineThrottled() : undefined));
    const out = await runInput(
      'batch/input/throttled.jsonl',
      jsonl([brief('h1'), brief('h2')]),
      pipeline,
    );

    expect(out.results.map((r) => r.id)).toEqual(['h1', 'h2']);
    expect(out.errors).toEqual([]);
    expect(out.report.counts.engine_retries).toBe(4);
  });
});

describe('Function: createBatchHandler, resuming (real s3rver, real S3 client)', () => {
  const lines = Array.from({ length: 40 }, (_, i) =>
    brief(`p${i}`, { product: `冷泡乌龙 ${i}号` }),
  );
  const body = `${jsonl(lines.slice(0, 20))}\n${jsonl(lines.slice(20))}{"broken":\n`;
  // Parts of ~600 bytes: the outputs take several parts and checkpoints carry tails.
  const small = { partBytes: 600, concurrency: 4 };
  let uninterrupted: Awaited<ReturnType<typeof runInput>>;

  beforeAll(async () => {
    uninterrupted = await runInput('batch/input/whole.jsonl', body, scriptedPipeline(), small);
  });

  it('writes the uninterrupted run as multipart outputs', () => {
    expect(uninterrupted.results).toHaveLength(40);
    expect(uninterrupted.errors).toEqual([
      expect.objectContaining({ line: 42, reason: 'invalid_json' }),
    ]);
    expect(uninterrupted.report.counts).toMatchObject({ lines: 42, blank_lines: 1, results: 40 });
  });

  it('resumes a run stopped mid-job to outputs equal to an uninterrupted run', async () => {
    const key = 'batch/input/stopped.jsonl';
    await s3.put(key, body);
    const stop = new AbortController();
    const pipeline = scriptedPipeline((b) => {
      if (b.id === 'p17') stop.abort();
      return undefined;
    });

    const event = sqsEvent('msg-stop', s3Event(s3.bucket, key));
    const first = await handlerFor(pipeline, { ...small, signal: stop.signal })(event);
    const between = await outputsOf(first.objects[0]!.job!);
    const second = await handlerFor(pipeline, small)(event);
    const resumed = await outputsOf(second.objects[0]!.job!);

    expect(first.objects[0]).toMatchObject({ status: 'interrupted', reason: 'stopped' });
    expect(between.files).toContain('_checkpoint.json');
    expect(between.files).not.toContain('results.jsonl');
    expect(second.objects[0]).toMatchObject({ status: 'completed' });
    expect(resumed.results).toEqual(uninterrupted.results);
    expect(resumed.errors).toEqual(uninterrupted.errors);
    expect(resumed.files).not.toContain('_checkpoint.json');
    expect(resumed.report.runs).toBe(2);
    // Lines after the stop that were in flight are redone, never written twice.
    expect(pipeline.totalCalls()).toBeLessThanOrEqual(40 + small.concurrency * 4);
  });

  it('checkpoints on an engine fault, fails the SQS message, and resumes on redelivery', async () => {
    const key = 'batch/input/engine down.jsonl';
    await s3.put(key, body);
    let engineUp = false;
    const pipeline = scriptedPipeline((b) =>
      b.id === 'p25' && !engineUp ? engineDown() : undefined,
    );
    const options = { ...small, engineAttempts: 2, retryBaseMs: 5 };

    const first = await handlerFor(pipeline, options)(sqsEvent('msg-1', s3Event(s3.bucket, key)));
    const between = await outputsOf(first.objects[0]!.job!);
    engineUp = true;
    const redelivered = await handlerFor(
      pipeline,
      options,
    )(sqsEvent('msg-1', s3Event(s3.bucket, key)));
    const resumed = await outputsOf(redelivered.objects[0]!.job!);

    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'msg-1' }]);
    expect(first.objects[0]).toMatchObject({
      status: 'interrupted',
      reason: 'engine_fault: engine_unavailable',
    });
    expect(between.errors).toEqual([]);
    expect(redelivered.batchItemFailures).toEqual([]);
    expect(resumed.results).toEqual(uninterrupted.results);
    expect(resumed.errors).toEqual(uninterrupted.errors);
  });

  it('stops before the Lambda deadline, throws for a retry, and resumes on the next one', async () => {
    const key = 'batch/input/deadline.jsonl';
    await s3.put(key, body);
    const pipeline = scriptedPipeline(() => undefined, 50);
    const options = { ...small, stopMarginMs: 100 };
    const invocation = (budgetMs: number) => {
      const startedAt = Date.now();
      return { getRemainingTimeInMillis: () => budgetMs - (Date.now() - startedAt) };
    };

    const first = await handlerFor(pipeline, options)(
      s3Event(s3.bucket, key),
      invocation(600),
    ).catch((error: unknown) => error);
    const between = await s3.list('batch/output/deadline-');
    const second = await handlerFor(pipeline, options)(
      s3Event(s3.bucket, key),
      invocation(600_000),
    );
    const resumed = await outputsOf(second.objects[0]!.job!);

    expect(first).toBeInstanceOf(BatchIncompleteError);
    expect((first as BatchIncompleteError).objects[0]).toMatchObject({
      status: 'interrupted',
      reason: 'deadline',
    });
    expect(between.some((file) => file.endsWith('/_checkpoint.json'))).toBe(true);
    expect(second.objects[0]).toMatchObject({ status: 'completed' });
    expect(resumed.results).toEqual(uninterrupted.results);
    expect(resumed.errors).toEqual(uninterrupted.errors);
  });

  it('resumes after a crash between a part upload and its checkpoint, writing no line twice', async () => {
    const key = 'batch/input/crash.jsonl';
    await s3.put(key, body);
    const input = await S3InputSource.open(s3.client, { bucket: s3.bucket, key });
    const job = jobIdentity({ bucket: s3.bucket, key, eTag: input.object.eTag });
    const store = new S3JobStore(s3.client, s3.bucket, `batch/output/${job.name}/`);
    // The second checkpoint write fails, as if the process died right after uploading a part.
    let checkpoints = 0;
    const crashing: JobStore = Object.assign(Object.create(store) as JobStore, {
      writeText: async (name: string, text: string) => {
        if (name === '_checkpoint.json' && ++checkpoints === 2) throw new Error('process killed');
        return store.writeText(name, text);
      },
    });
    const deps = { job, input, pipeline: scriptedPipeline(), logger: quietLogger, options: small };

    const crashed = await runBatchJob({ ...deps, store: crashing }).catch((error: Error) => error);
    const resumed = await runBatchJob({ ...deps, store });
    const out = await outputsOf(job.name);

    expect(crashed).toEqual(new Error('process killed'));
    expect(resumed.status).toBe('completed');
    expect(out.results).toEqual(uninterrupted.results);
    expect(out.errors).toEqual(uninterrupted.errors);
  });

  it('fails only the SQS messages whose job stopped', async () => {
    await s3.put('batch/input/fine.jsonl', jsonl([brief('f1')]));
    await s3.put('batch/input/stuck.jsonl', jsonl([brief('stuck')]));
    const pipeline = scriptedPipeline((b) => (b.id === 'stuck' ? engineDown() : undefined));
    const event = {
      Records: [
        ...sqsEvent('ok-msg', s3Event(s3.bucket, 'batch/input/fine.jsonl')).Records,
        ...sqsEvent('stuck-msg', s3Event(s3.bucket, 'batch/input/stuck.jsonl')).Records,
      ],
    };

    const answer = await handlerFor(pipeline, { engineAttempts: 1 })(event);

    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: 'stuck-msg' }]);
    expect(answer.objects.map((o) => o.status)).toEqual(['completed', 'interrupted']);
  });

  it('starts over when a resumed job finds its output upload gone', async () => {
    const key = 'batch/input/upload lost.jsonl';
    await s3.put(key, body);
    const input = await S3InputSource.open(s3.client, { bucket: s3.bucket, key });
    const job = jobIdentity({ bucket: s3.bucket, key, eTag: input.object.eTag });
    const store = new S3JobStore(s3.client, s3.bucket, `batch/output/${job.name}/`);
    // What S3 answers once a lifecycle rule has aborted the upload (s3rver cannot abort one).
    const gone = Object.assign(new Error('The specified upload does not exist.'), {
      name: 'NoSuchUpload',
    });
    const aborted: JobStore = Object.assign(Object.create(store) as JobStore, {
      uploadPart: async () => Promise.reject(gone),
      completeMultipart: async () => Promise.reject(gone),
    });
    const stop = new AbortController();
    const stopping = scriptedPipeline((b) =>
      b.id === 'p30' ? (stop.abort(), undefined) : undefined,
    );
    const deps = { job, input, logger: quietLogger };

    await runBatchJob({
      ...deps,
      store,
      pipeline: stopping,
      options: { ...small, signal: stop.signal },
    });
    const lost = await runBatchJob({
      ...deps,
      store: aborted,
      pipeline: scriptedPipeline(),
      options: small,
    }).catch((error: Error) => error);
    const checkpointAfter = await s3.get(`batch/output/${job.name}/_checkpoint.json`);
    const restarted = await runBatchJob({
      ...deps,
      store,
      pipeline: scriptedPipeline(),
      options: small,
    });
    const out = await outputsOf(job.name);

    expect(lost).toBe(gone);
    expect(checkpointAfter).toBeUndefined();
    expect(restarted.status === 'completed' && restarted.report.runs).toBe(1);
    expect(out.results).toEqual(uninterrupted.results);
    expect(out.errors).toEqual(uninterrupted.errors);
  });
});
