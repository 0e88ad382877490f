/**
 * Compliance benchmark: precision and recall on the labelled set, and throughput on mixed
 * Chinese and English copy (the labelled texts joined into documents of about 4 KB, so about one
 * violation every 50 bytes: denser than real copy). Writes test/bench/results/compliance.json.
 *
 * Throughput is UTF-8 megabytes per second of this process's CPU time (`mb_per_s`), because the
 * team's shared two-core machine is often busy and wall-clock figures then measure the queue for
 * the CPU, not the checker; the wall-clock figure is recorded beside it (`mb_per_s_wall`).
 *
 * Run: npm run bench:compliance
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';

import {
  BUNDLED_RULES_DIR,
  Checker,
  checkText,
  defaultChecker,
  loadRuleDirectory,
  type RuleDefinition,
} from '../../layers/compliance/index.js';
import { score } from './compliance-score.js';
import { labelledSet } from './compliance-set.js';

const RESULT_FILE = resolve('test/bench/results/compliance.json');
const DOCUMENT_BYTES = 4096;
const MEASURE_MS = 3000;

function documents(texts: readonly string[]): string[] {
  const docs: string[] = [];
  let current = '';
  for (let round = 0; docs.length < 256; round++) {
    for (const text of texts) {
      current += `${text} `;
      if (Buffer.byteLength(current) >= DOCUMENT_BYTES) {
        docs.push(current);
        current = '';
      }
    }
  }
  return docs;
}

interface Throughput {
  mbPerS: number;
  mbPerSWall: number;
  bytes: number;
  cpuSeconds: number;
  wallSeconds: number;
  rounds: number;
}

// 20,000 made-up Chinese terms (deterministic), to show the cost per character barely moves with
// rule count; past the dense table's memory budget the automaton switches to sparse transitions.
function checkerWithExtraTerms(count: number): Checker {
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 48271) % 2147483647;
    return seed % n;
  };
  const term = () =>
    Array.from({ length: 3 + random(3) }, () => String.fromCharCode(0x4e00 + random(20000))).join(
      '',
    );
  const extra: RuleDefinition = {
    id: 'bench.extra_terms',
    category: 'bench',
    severity: 'warn',
    reason: 'Benchmark filler.',
    suggestion: 'None.',
    terms: Array.from({ length: count }, term),
    language: 'zh',
  };
  return new Checker([...loadRuleDirectory(BUNDLED_RULES_DIR), extra]);
}

function throughput(docs: readonly string[], checker: Checker = defaultChecker()): Throughput {
  const docBytes = docs.map((d) => Buffer.byteLength(d));

  // Warm up the JIT before timing.
  for (let round = 0; round < 5; round++) for (const doc of docs) checker.check(doc);

  let bytes = 0;
  let rounds = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  while (performance.now() - started < MEASURE_MS) {
    docs.forEach((doc, i) => {
      checker.check(doc);
      bytes += docBytes[i] as number;
    });
    rounds += 1;
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    mbPerS: bytes / 1e6 / cpuSeconds,
    mbPerSWall: bytes / 1e6 / wallSeconds,
    bytes,
    cpuSeconds,
    wallSeconds,
    rounds,
  };
}

function main(): void {
  const set = labelledSet();
  const result = score(
    set,
    set.map((entry) => checkText(entry.text)),
  );
  for (const mistake of result.mistakes) console.log(mistake);

  const docs = documents(set.map((entry) => entry.text));
  const speed = throughput(docs);
  // Texts parsed from JSON, as the API receives them: flat strings, one check per ad text.
  const shortTexts = set.map((entry) => JSON.parse(JSON.stringify(entry.text)) as string);
  const shortSpeed = throughput(shortTexts);
  const extraChecker = checkerWithExtraTerms(20_000);
  const extraSpeed = throughput(docs, extraChecker);
  const cjkShare = docs.join('').match(/[\u4e00-\u9fff]/g)?.length ?? 0;

  const figures = {
    precision: Number(result.precision.toFixed(4)),
    recall: Number(result.recall.toFixed(4)),
    mb_per_s: Number(speed.mbPerS.toFixed(1)),
    mb_per_s_basis: 'UTF-8 MB per second of process CPU time (user + system)',
    mb_per_s_wall: Number(speed.mbPerSWall.toFixed(1)),
    mb_per_s_short_texts: Number(shortSpeed.mbPerS.toFixed(1)),
    mb_per_s_with_20000_extra_terms: Number(extraSpeed.mbPerS.toFixed(1)),
    automaton_states: defaultChecker().stateCount,
    automaton_states_with_extra_terms: extraChecker.stateCount,
    short_text_checks_per_s: Math.round(set.length / (shortSpeed.cpuSeconds / shortSpeed.rounds)),
    load_average_1m: Number(loadavg()[0]?.toFixed(2)),
    texts: set.length,
    expected_violations: result.truePositives + result.falseNegatives,
    true_positives: result.truePositives,
    false_positives: result.falsePositives,
    false_negatives: result.falseNegatives,
    throughput_bytes: speed.bytes,
    throughput_cpu_seconds: Number(speed.cpuSeconds.toFixed(2)),
    throughput_wall_seconds: Number(speed.wallSeconds.toFixed(2)),
    document_bytes: DOCUMENT_BYTES,
    han_characters_per_document: Math.round(cjkShare / docs.length),
    rules: defaultChecker().rules.length,
    node: process.version,
    measured_at: new Date().toISOString(),
  };
  console.log(`precision ${figures.precision}  recall ${figures.recall}`);
  console.log(`${figures.mb_per_s} MB/s of CPU time (${figures.mb_per_s_wall} MB/s wall clock)`);
  console.log(`${figures.mb_per_s_short_texts} MB/s checking the set's short texts one by one`);
  console.log(`${figures.mb_per_s_with_20000_extra_terms} MB/s with 20,000 more terms`);

  mkdirSync(dirname(RESULT_FILE), { recursive: true });
  writeFileSync(RESULT_FILE, `${JSON.stringify(figures, null, 2)}\n`);
  console.log(`wrote ${RESULT_FILE}`);
}

main();
