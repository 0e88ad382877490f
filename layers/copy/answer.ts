/**
 * The answer of the copy pipeline: variants, what was rejected, usage and timings.
 * @module
 */
import { randomUUID } from 'node:crypto';

import type { ComplianceResult, Violation } from '../compliance/index.js';
import type { Brief } from './brief.js';
import type { ExtractedCopy } from './variants.js';

/** One returned variant, with its measured length and compliance verdict. */
export type CopyVariant = ExtractedCopy & {
  index: number;
  length: { chars: number; width: number };
  compliance: ComplianceResult;
};

/** A generated candidate that was not returned, and why. */
export type RejectedVariant = {
  text: string;
  reasons: string[];
  violations?: Violation[];
};

/** What the pipeline answers for one brief. JSON-serialisable: it is cached as is. */
export type CopyResponse = {
  id: string;
  briefId?: string;
  sessionId?: string;
  model: string;
  productionVariant: string;
  cached: boolean;
  degraded: boolean;
  language: Brief['language'];
  channel: Brief['channel'];
  strategy: Brief['strategy'];
  /** How many variants the brief asked for. */
  requested: number;
  /** True when fewer variants than requested passed every check within the attempt budget. */
  incomplete: boolean;
  variants: CopyVariant[];
  rejected: RejectedVariant[];
  usage: {
    promptTokens: number;
    cachedPromptTokens: number;
    completionTokens: number;
    engineCalls: number;
  };
  timings: { totalMs: number; engineMs: number };
};

/** A streamed piece of a candidate as the engine writes it. */
export type TokenListener = (event: { attempt: number; candidate: number; text: string }) => void;

/** A fresh answer id. */
export function newAnswerId(): string {
  return `cpy_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
}

/** Milliseconds to two decimals, as answers report them. */
export function roundMs(ms: number): number {
  return Math.round(ms * 100) / 100;
}
