import { describe, expect, it } from 'vitest';

import { parseGenerateRequest } from '../../engine/validation.js';

const LIMITS = { maxNewTokens: 1024, contextSize: 2048, maxCandidates: 8 };

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
});
