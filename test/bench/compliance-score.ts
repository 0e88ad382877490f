/**
 * Scores the compliance checker on the labelled set: a flagged span counts as right when an
 * expected violation of the same category overlaps it (each expected one matches once).
 */
import type { ComplianceResult } from '../../layers/compliance/index.js';
import type { LabelledText } from './compliance-set.js';

/** Counts over a labelled set, with every miss and false alarm listed. */
export interface Score {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
  mistakes: string[];
}

/** Scores one result per labelled text. */
export function score(set: readonly LabelledText[], results: readonly ComplianceResult[]): Score {
  let truePositives = 0;
  const mistakes: string[] = [];
  set.forEach((entry, i) => {
    const found = results[i]?.violations ?? [];
    const matched = new Set<number>();
    for (const v of found) {
      const hit = entry.expected.findIndex(
        (e, j) =>
          !matched.has(j) && e.category === v.category && e.start < v.end && v.start < e.end,
      );
      if (hit >= 0) matched.add(hit);
      else mistakes.push(`false alarm [${entry.kind}] ${JSON.stringify(entry.text)}: ${v.ruleId}`);
    }
    truePositives += matched.size;
    entry.expected.forEach((e, j) => {
      if (matched.has(j)) return;
      const span = JSON.stringify(entry.text.slice(e.start, e.end));
      mistakes.push(`missed [${entry.kind}] ${JSON.stringify(entry.text)}: ${e.category} ${span}`);
    });
  });

  const falsePositives = mistakes.filter((m) => m.startsWith('false alarm')).length;
  const falseNegatives = mistakes.length - falsePositives;
  return {
    truePositives,
    falsePositives,
    falseNegatives,
    precision: truePositives / Math.max(1, truePositives + falsePositives),
    recall: truePositives / Math.max(1, truePositives + falseNegatives),
    mistakes,
  };
}
