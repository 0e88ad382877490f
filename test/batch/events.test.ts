import { describe, expect, it } from 'vitest';

import {
  decodeBatchEvent,
  decodeS3EventKey,
  encodeS3EventKey,
} from '../../functions/batch/index.js';

function s3Record(
  key: string,
  eventName = 'ObjectCreated:Put',
  extra: Record<string, unknown> = {},
) {
  return {
    eventSource: 'aws:s3',
    eventName,
    s3: {
      bucket: { name: 'adcopy-local' },
      object: { key, eTag: 'abc123', sequencer: '01', ...extra },
    },
  };
}

describe('Function: decodeS3EventKey', () => {
  it.each([
    ['batch/input/spring+launch.jsonl', 'batch/input/spring launch.jsonl'],
    ['batch/input/a%2Bb.jsonl', 'batch/input/a+b.jsonl'],
    ['batch/input/%E6%98%A5%E5%AD%A3+%E6%96%B0%E5%93%81.jsonl', 'batch/input/春季 新品.jsonl'],
  ])('decodes %s to %s', (encoded, decoded) => {
    expect(decodeS3EventKey(encoded)).toBe(decoded);
    expect(encodeS3EventKey(decoded)).toBe(encoded);
  });
});

describe('Function: decodeBatchEvent', () => {
  it('takes created objects under batch/input/, multipart completions and copies included', () => {
    // cases 1 and 3
    const [message] = decodeBatchEvent({
      Records: [
        s3Record('batch/input/spring+launch.jsonl'),
        s3Record('batch/input/big.jsonl', 'ObjectCreated:CompleteMultipartUpload', {
          eTag: 'd41d-3',
        }),
        s3Record('batch/input/copied.jsonl', 'ObjectCreated:Copy', { versionId: 'v7' }),
      ],
    });

    expect(message?.messageId).toBeUndefined();
    expect(message?.decisions).toEqual([
      {
        job: {
          bucket: 'adcopy-local',
          key: 'batch/input/spring launch.jsonl',
          eTag: 'abc123',
          sequencer: '01',
          eventName: 'ObjectCreated:Put',
        },
      },
      {
        job: {
          bucket: 'adcopy-local',
          key: 'batch/input/big.jsonl',
          eTag: 'd41d-3',
          sequencer: '01',
          eventName: 'ObjectCreated:CompleteMultipartUpload',
        },
      },
      {
        job: {
          bucket: 'adcopy-local',
          key: 'batch/input/copied.jsonl',
          eTag: 'abc123',
          versionId: 'v7',
          sequencer: '01',
          eventName: 'ObjectCreated:Copy',
        },
      },
    ]);
  });

  it('skips removals, keys outside batch/input/ (the job outputs too) and undecodable keys', () => {
    // cases 3 and 4
    const [message] = decodeBatchEvent({
      Records: [
        s3Record('batch/input/gone.jsonl', 'ObjectRemoved:Delete'),
        s3Record('batch/output/spring+launch-0123/results.jsonl'),
        s3Record('batch/input/bad%E6.jsonl'),
        s3Record('batch/input/'),
      ],
    });

    expect(message?.decisions.map((d) => ('skipped' in d ? d.skipped.reason : 'job'))).toEqual([
      'not_object_created',
      'outside_input_prefix',
      'undecodable_key',
      'outside_input_prefix',
    ]);
  });

  it('unwraps S3 events carried in SQS messages and keeps each message id', () => {
    const event = {
      Records: [
        {
          eventSource: 'aws:sqs',
          messageId: 'm-1',
          body: JSON.stringify({ Records: [s3Record('batch/input/a.jsonl')] }),
        },
        {
          eventSource: 'aws:sqs',
          messageId: 'm-2',
          body: JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent' }),
        },
        { eventSource: 'aws:sqs', messageId: 'm-3', body: 'not json' },
      ],
    };

    const messages = decodeBatchEvent(event);

    expect(messages.map((m) => m.messageId)).toEqual(['m-1', 'm-2', 'm-3']);
    expect(messages[0]?.decisions).toEqual([
      {
        job: {
          bucket: 'adcopy-local',
          key: 'batch/input/a.jsonl',
          eTag: 'abc123',
          sequencer: '01',
          eventName: 'ObjectCreated:Put',
        },
      },
    ]);
    expect(messages[1]?.decisions).toEqual([]);
    expect(messages[2]?.decisions).toEqual([{ skipped: { reason: 'not_s3_record' } }]);
  });
});
