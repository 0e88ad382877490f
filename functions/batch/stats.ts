/**
 * @module
 * Running figures of a job (counts, latency, copies, compliance) in constant memory, carried in
 * the checkpoint across invocations and turned into `report.json` at the end.
 */

/** Upper bounds of the latency histogram's buckets, in ms (log-spaced, 1 ms to 10 min). */
const LATENCY_BOUNDS_MS = Array.from({ length: 48 }, (_, i) => Math.round(10 ** (i / 8)));

/** Counters a checkpoint carries; plain JSON. */
export interface JobCounters {
  /** Input lines read (blank ones included). */
  lines: number;
  blank: number;
  results: number;
  errors: number;
  errorsByReason: Record<string, number>;
  /** Copy variants in results. */
  variants: number;
  cached: number;
  degraded: number;
  variantsChecked: number;
  variantsCompliant: number;
  violationsByCategory: Record<string, number>;
  promptTokens: number;
  completionTokens: number;
  /** Engine faults and throttles the job backed off from (retried, not errors). */
  engineRetries: number;
  /** Invocations that worked on this job, resumed ones included. */
  runs: number;
  /** Time spent processing across runs, in ms. */
  activeMs: number;
  /** Generate latency histogram, counts per bucket of `LATENCY_BOUNDS_MS` (+1 overflow). */
  latencyBuckets: number[];
  latencySumMs: number;
  latencyMaxMs: number;
}

/** A fresh set of counters. */
export function emptyCounters(): JobCounters {
  return {
    lines: 0,
    blank: 0,
    results: 0,
    errors: 0,
    errorsByReason: {},
    variants: 0,
    cached: 0,
    degraded: 0,
    variantsChecked: 0,
    variantsCompliant: 0,
    violationsByCategory: {},
    promptTokens: 0,
    completionTokens: 0,
    engineRetries: 0,
    runs: 0,
    activeMs: 0,
    latencyBuckets: new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0),
    latencySumMs: 0,
    latencyMaxMs: 0,
  };
}

type Loose = Record<string, unknown>;

function asRecord(value: unknown): Loose | undefined {
  return typeof value === 'object' && value !== null ? (value as Loose) : undefined;
}

function numberOf(...values: unknown[]): number {
  const found = values.find((v) => typeof v === 'number' && Number.isFinite(v));
  return typeof found === 'number' ? found : 0;
}

function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

/** Adds one generate latency to the histogram. */
export function recordLatency(counters: JobCounters, ms: number): void {
  const bucket = LATENCY_BOUNDS_MS.findIndex((bound) => ms <= bound);
  const index = bucket === -1 ? LATENCY_BOUNDS_MS.length : bucket;
  counters.latencyBuckets[index] = (counters.latencyBuckets[index] ?? 0) + 1;
  counters.latencySumMs += ms;
  counters.latencyMaxMs = Math.max(counters.latencyMaxMs, ms);
}

function recordVariantCompliance(counters: JobCounters, variant: Loose): void {
  const compliance = asRecord(variant.compliance);
  if (compliance === undefined) return;

  counters.variantsChecked += 1;
  const violations = Array.isArray(compliance.violations) ? compliance.violations : [];
  const passed = compliance.passed ?? compliance.ok ?? compliance.compliant;
  if (passed === true || (passed === undefined && violations.length === 0)) {
    counters.variantsCompliant += 1;
  }
  for (const violation of violations) {
    const category = asRecord(violation)?.category;
    bump(counters.violationsByCategory, typeof category === 'string' ? category : 'unknown');
  }
}

/**
 * Counts one copy response: variants, cache and degraded flags, tokens and compliance verdicts.
 * It reads the response leniently, so a new field in the pipeline's answer never breaks a job.
 */
export function recordCopy(counters: JobCounters, response: unknown): void {
  const copy = asRecord(response) ?? {};
  const variants = Array.isArray(copy.variants) ? copy.variants : [];

  counters.results += 1;
  counters.variants += variants.length;
  if (copy.cached === true) counters.cached += 1;
  if (copy.degraded === true) counters.degraded += 1;

  const usage = asRecord(copy.usage) ?? {};
  counters.promptTokens += numberOf(usage.promptTokens, usage.prompt_tokens);
  counters.completionTokens += numberOf(usage.completionTokens, usage.completion_tokens);

  for (const variant of variants) {
    const entry = asRecord(variant);
    if (entry !== undefined) recordVariantCompliance(counters, entry);
  }
}

/** Counts one error record. */
export function recordError(counters: JobCounters, reason: string): void {
  counters.errors += 1;
  bump(counters.errorsByReason, reason);
}

function percentile(counters: JobCounters, fraction: number): number | null {
  const total = counters.latencyBuckets.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;

  const rank = Math.ceil(total * fraction);
  let seen = 0;
  for (const [index, count] of counters.latencyBuckets.entries()) {
    seen += count;
    if (seen >= rank)
      return Math.round(Math.min(LATENCY_BOUNDS_MS[index] ?? Infinity, counters.latencyMaxMs));
  }
  return Math.round(counters.latencyMaxMs);
}

/** Per-hour rate of a count over a time in ms; null before any time has passed. */
function perHour(count: number, ms: number): number | null {
  return ms > 0 ? Math.round((count * 3_600_000) / ms) : null;
}

/** The figures `report.json` and the progress object show. */
export function summarise(counters: JobCounters) {
  const compliantShare =
    counters.variantsChecked === 0 ? null : counters.variantsCompliant / counters.variantsChecked;
  return {
    counts: {
      lines: counters.lines,
      blank_lines: counters.blank,
      results: counters.results,
      errors: counters.errors,
      errors_by_reason: counters.errorsByReason,
      cached: counters.cached,
      degraded: counters.degraded,
      engine_retries: counters.engineRetries,
    },
    copies: {
      variants: counters.variants,
      copies_per_hour: perHour(counters.variants, counters.activeMs),
      briefs_per_hour: perHour(counters.results, counters.activeMs),
    },
    compliance: {
      variants_checked: counters.variantsChecked,
      variants_compliant: counters.variantsCompliant,
      compliant_share: compliantShare,
      violations_by_category: counters.violationsByCategory,
    },
    usage: { prompt_tokens: counters.promptTokens, completion_tokens: counters.completionTokens },
    latency_ms: {
      p50: percentile(counters, 0.5),
      p95: percentile(counters, 0.95),
      max: Math.round(counters.latencyMaxMs),
      mean: counters.results === 0 ? null : Math.round(counters.latencySumMs / counters.results),
    },
    runs: counters.runs,
    active_ms: Math.round(counters.activeMs),
  };
}
