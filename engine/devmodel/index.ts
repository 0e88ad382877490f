/**
 * The adcopy dev model: a small LLaMA-architecture GGUF with random weights that the project makes
 * itself, for tests and local runs. It writes random text; say so wherever it answers.
 *
 * @module
 */

export type { DevModelOptions, DevModelPreset } from './model.js';
export { CHATML_TEMPLATE, DEV_MODEL_DESCRIPTION, DEV_MODEL_NAME } from './model.js';
export type { WrittenDevModel } from './write.js';
export { defaultDevModelPath, ensureDevModel, writeDevModel } from './write.js';
