/**
 * @module compliance/schemas
 * zod schemas of the checker's answers, for OpenAPI documents and for tests that hold the wire
 * shape fixed.
 */
import { z } from 'zod';

/** 'block' or 'warn'. */
export const severitySchema = z.enum(['block', 'warn']);

/** One violation, as `checkText` returns it. */
export const violationSchema = z
  .object({
    ruleId: z.string(),
    category: z.string(),
    severity: severitySchema,
    term: z.string(),
    start: z.number().int().min(0).describe('UTF-16 offset into the original text'),
    end: z.number().int().min(0).describe('end offset, exclusive'),
    reason: z.string(),
    suggestion: z.string(),
  })
  .strict()
  .meta({ id: 'Violation' });

/**
 * The verdict on one text.
 * @example complianceResultSchema.parse(checkText('最好喝'))
 */
export const complianceResultSchema = z
  .object({
    passed: z.boolean().describe("false when any violation has severity 'block'"),
    violations: z.array(violationSchema),
  })
  .strict()
  .meta({ id: 'ComplianceResult' });
