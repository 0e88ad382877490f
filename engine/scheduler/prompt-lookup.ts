/**
 * @module
 * Draft tokens for speculative decoding by prompt lookup (the "n-gram" drafts of vLLM and
 * TensorRT-LLM): ad copy repeats the brand, the product and the selling points of its brief, so
 * the tokens that followed the last few tokens' earlier occurrence are a free guess at what comes
 * next. The model checks every guess in one decode; only the tokens it would have chosen anyway
 * are kept, so the output is the same with or without drafts.
 */

/** Lengths of the run of last tokens looked up, longest first. */
const LOOKUP_SIZES = [3, 2];

/**
 * Up to `most` tokens that followed the latest earlier occurrence of the last 3 (else 2) tokens
 * of prompt + generated; empty when there is none.
 * @example
 * lookupDraft([5, 6, 7, 8, 9], [5, 6, 7], 2); // [8, 9]
 */
export function lookupDraft(prompt: readonly number[], generated: readonly number[],
  most: number): number[] {
  const length = prompt.length + generated.length;
  const at = (i: number) =>
    (i < prompt.length ? prompt[i] : generated[i - prompt.length]) as number;

  for (const size of LOOKUP_SIZES) {
    if (most <= 0 || length <= size) continue;

    // Latest first: in repetitive text the match is near the end, and newer text is the better
    // guess.
    for (let start = length - size - 1; start >= 0; start--) {
      let matches = true;
      for (let j = 0; j < size && matches; j++) {
        matches = at(start + j) === at(length - size + j);
      }
      if (!matches) continue;

      const draft: number[] = [];
      for (let i = start + size; i < length && draft.length < most; i++) draft.push(at(i));
      return draft;
    }
  }

  return [];
}
