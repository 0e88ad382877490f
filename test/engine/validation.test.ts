import { describe, expect, it } from 'vitest';

import { parseGenerateRequest } from '../../engine/validation.js';

const LIMITS = { maxNewTokens: 1024, contextSize: 2048, maxCandidates: 8, vocabularySize: 32000 };

describe('Function: parseGenerateRequest', () => {
  it('refuses a JSON schema with a type JSON Schema does not define', () => {
    const request = { prompt: 'hello', json_schema: { type: 'nonsense' } };
    expect(() => parseGenerateRequest(request, LIMITS)).toThrow(
      /unknown JSON Schema type "nonsense"/,
    );
  });

  it('accepts nested types, type lists and a property named "type"', () => {
    const schema = {
      type: 'object',
      properties: {
        type: { type: 'string' },
        tags: { type: 'array', items: { type: ['string', 'null'] } },
      },
    };
    expect(
      parseGenerateRequest({ prompt: 'hello', json_schema: schema }, LIMITS).json_schema,
    ).toEqual(schema);
  });

  it.each([
    [{ 31999: -100, 7: 2.5 }, undefined],
    [{ 32000: -100 }, 'logit_bias: token 32000 is not in the vocabulary of 32000 tokens'],
    [{ '-1': 1 }, 'logit_bias.-1: keys must be token ids'],
    [{ tea: 1 }, 'logit_bias.tea: keys must be token ids'],
    [{ 5: -101 }, 'logit_bias.5: Too small'],
    [{ 5: 100.5 }, 'logit_bias.5: Too big'],
    [Object.fromEntries(Array.from({ length: 1025 }, (_, i) => [i, 1])), 'at most 1024 tokens'],
  ])('checks logit_bias %#: token ids in the vocabulary, biases in [-100, 100]', (bias, error) => {
    const parse = () => parseGenerateRequest({ prompt: 'hello', logit_bias: bias }, LIMITS);
    if (error === undefined) expect(parse().logit_bias).toEqual(bias);
    else expect(parse).toThrow(error);
  });
});
