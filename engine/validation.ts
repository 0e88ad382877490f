/**
 * @module
 * The request schema of `/invocations` (PROTOCOL.md) and its checks against the engine's limits.
 * A request that passes becomes a {@link ValidGenerateRequest}; one that does not becomes a
 * {@link ValidationError} that says which field or limit.
 */

import { z } from 'zod';

/** The engine's per-request limits. */
export interface EngineLimits {
  /** Largest `max_new_tokens`. */
  maxNewTokens: number;
  /** KV cells per slot: prompt plus `max_new_tokens` must fit. */
  contextSize: number;
  /** Largest `n`. */
  maxCandidates: number;
  /** Tokens of the model: `logit_bias` names ids below it. */
  vocabularySize: number;
}

/** Most entries of `logit_bias`, as many as `bad_words` may have phrases. */
const MAX_LOGIT_BIASES = 1024;

const message = z.strictObject({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});

/** The wire schema of a generation request. */
export const generateRequestSchema = z
  .strictObject({
    prompt: z.string().min(1).optional(),
    messages: z.array(message).min(1).optional(),
    max_new_tokens: z.int().min(1).default(128),
    temperature: z.number().min(0).max(100).default(0.8),
    top_p: z.number().gt(0).max(1).optional(),
    top_k: z.int().min(0).optional(),
    min_p: z.number().min(0).max(1).optional(),
    repetition_penalty: z.number().gt(0).optional(),
    presence_penalty: z.number().min(-2).max(2).optional(),
    frequency_penalty: z.number().min(-2).max(2).optional(),
    seed: z.int().min(0).max(0xffffffff).optional(),
    stop: z.array(z.string().min(1)).max(16).default([]),
    n: z.int().min(1).max(8).default(1),
    bad_words: z.array(z.string().min(1)).max(1024).default([]),
    logit_bias: z
      .record(z.string().regex(/^\d+$/), z.number().min(-100).max(100), {
        error: (issue) => (issue.code === 'invalid_key' ? 'keys must be token ids' : undefined),
      })
      .refine((bias) => Object.keys(bias).length <= MAX_LOGIT_BIASES, {
        error: `at most ${MAX_LOGIT_BIASES} tokens`,
      })
      .optional(),
    json_schema: z
      .record(z.string(), z.unknown())
      .refine((schema) => unknownTypes(schema).length === 0, {
        error: (issue) =>
          `unknown JSON Schema type ${unknownTypes(issue.input as object).join(', ')}; ` +
          `use ${[...JSON_TYPES].join(', ')}`,
      })
      .optional(),
    ignore_eos: z.boolean().default(false),
    stream: z.boolean().default(false),
    deadline_ms: z.int().min(1).optional(),
  })
  .refine((body) => (body.prompt === undefined) !== (body.messages === undefined), {
    message: 'exactly one of prompt or messages is required',
    path: ['prompt'],
  });

/** A request that passed the schema (limits that need the tokenizer come later). */
export type GenerateRequestBody = z.infer<typeof generateRequestSchema>;

/** A request that passed every check, with its prompt tokenised. */
export interface ValidGenerateRequest {
  body: GenerateRequestBody;
  promptTokens: number[];
}

/** A request the engine refuses with a 400; `message` names the field or limit. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`)
    .join('; ');
}

/**
 * Parses a JSON body against the schema.
 * @throws {ValidationError} naming every bad field
 */
export function parseGenerateRequest(json: unknown, limits: EngineLimits): GenerateRequestBody {
  const parsed = generateRequestSchema.safeParse(json);
  if (!parsed.success) throw new ValidationError(describeIssues(parsed.error));

  const body = parsed.data;
  if (body.max_new_tokens > limits.maxNewTokens) {
    throw new ValidationError(
      `max_new_tokens: ${body.max_new_tokens} is over the engine limit of ${limits.maxNewTokens}`,
    );
  }
  if (body.n > limits.maxCandidates) {
    throw new ValidationError(`n: ${body.n} is over the engine limit of ${limits.maxCandidates}`);
  }
  const outside = Object.keys(body.logit_bias ?? {})
    .find((id) => Number(id) >= limits.vocabularySize);
  if (outside !== undefined) {
    throw new ValidationError(
      `logit_bias: token ${outside} is not in the vocabulary of ${limits.vocabularySize} tokens`,
    );
  }

  return body;
}

/**
 * Checks that the tokenised prompt and the requested tokens fit one slot's context.
 * @throws {ValidationError} with the token counts and the limit
 */
export function checkPromptFits(promptTokens: number, maxNewTokens: number, limits: EngineLimits) {
  if (promptTokens >= limits.contextSize) {
    throw new ValidationError(
      `prompt: ${promptTokens} tokens is longer than the context of ` +
        `${limits.contextSize} tokens`,
    );
  }
  if (promptTokens + maxNewTokens > limits.contextSize) {
    throw new ValidationError(
      `max_new_tokens: prompt of ${promptTokens} tokens plus ` +
        `max_new_tokens ${maxNewTokens} is over the context of ${limits.contextSize} tokens`,
    );
  }
}

const JSON_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);

/**
 * Every `type` in a JSON schema that JSON Schema does not define. node-llama-cpp compiles such a
 * schema loosely (to `null`), so it is refused here instead.
 */
function unknownTypes(schema: unknown, found: string[] = [], depth = 0): string[] {
  if (schema === null || typeof schema !== 'object' || depth > 32) return found;
  for (const [key, value] of Object.entries(schema)) {
    // A property may itself be named "type": only a string or a list of strings is a type.
    const isTypeKeyword = key === 'type' && (typeof value === 'string' || Array.isArray(value));
    if (!isTypeKeyword) {
      if (typeof value === 'object') unknownTypes(value, found, depth + 1);
      continue;
    }
    for (const type of [value].flat()) {
      if (typeof type !== 'string' || !JSON_TYPES.has(type)) found.push(JSON.stringify(type));
    }
  }
  return found;
}
