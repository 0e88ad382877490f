/**
 * A/B assignment: a stable hash of the caller picks the production variant, so one caller always
 * meets the same model while the weights stay as configured across callers.
 * @module
 */
import { createHash } from 'node:crypto';

/** A production variant and its share of callers. */
export interface WeightedVariant {
  name: string;
  weight: number;
}

/**
 * Reads `AB_VARIANTS`: `blue,green` (equal shares) or `blue:90,green:10`.
 *
 * @example
 * parseVariants('blue:90,green:10') // [{ name: 'blue', weight: 90 }, { name: 'green', weight: 10 }]
 */
export function parseVariants(text: string | undefined): WeightedVariant[] {
  return (text ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [name = '', weight = '1', ...rest] = entry.split(':');
      const value = Number(weight);
      if (!name || rest.length > 0 || !Number.isFinite(value) || value <= 0) {
        throw new Error(`AB_VARIANTS entries are "name" or "name:weight"; "${entry}" is neither`);
      }
      return { name, weight: value };
    })
    .map((variant, index, all) => {
      if (all.findIndex((other) => other.name === variant.name) !== index) {
        throw new Error(`AB_VARIANTS names "${variant.name}" twice`);
      }
      return variant;
    });
}

/**
 * A picker for `variants`: the same caller always gets the same variant. With no variants it
 * returns undefined, leaving the endpoint's own traffic weights to decide.
 *
 * The caller's point is salted with the variant names, so a new experiment draws its groups
 * afresh; weights are not, so with two variants a new split moves callers only towards the one
 * whose share grew.
 *
 * @example
 * const pick = variantPicker(parseVariants('blue:90,green:10'));
 * pick('team-a') // the same variant for team-a on every request
 */
export function variantPicker(variants: WeightedVariant[]): (caller: string) => string | undefined {
  const total = variants.reduce((sum, variant) => sum + variant.weight, 0);
  const salt = variants.map((variant) => variant.name).join(',');

  return (caller) => {
    if (variants.length === 0) return undefined;
    const digest = createHash('sha256').update(`${salt}\n${caller}`).digest();
    const point = (digest.readUInt32BE(0) / 2 ** 32) * total;
    let edge = 0;
    for (const variant of variants) {
      edge += variant.weight;
      if (point < edge) return variant.name;
    }
    return variants.at(-1)?.name;
  };
}
