/**
 * vitest globalSetup: the default model, its int8 variant and the bundled competitions, built
 * once before any test file runs (a fresh clone's `npm ci && npm test`: no install script builds
 * them), exactly as the first `npm run <command>` would. Built already: a few stats.
 */
import { ensureSetup } from "../../src/setup.js";

export default async function setup(): Promise<void> {
  await ensureSetup();
}
