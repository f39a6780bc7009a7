/**
 * The tests `npm run mutation` (stryker.config.mjs) runs against each mutant: the in-process tests
 * of the mutated folders. A test file that starts a pipeline runs the code in a child process,
 * where Stryker cannot switch a mutant on (and it takes minutes), so such files are left out.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

const FOLDERS = ["validation", "ensemble", "lexical", "finetune", "reference"];
const STARTS_A_PIPELINE = /\b(runPipeline|runAndKill|spawn|spawnSync|execFile|fork)\s*\(/;
// end-to-end trainings that take seconds each: every mutant they cover would run them; faster
// tests of the same folders cover that code (test/lexical/*.test.ts)
const SECONDS_PER_MUTANT = new Set([join("test", "lexical", "model.test.ts")]);

const testFiles = FOLDERS.flatMap((d) =>
  readdirSync(join("test", d), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".test.ts"))
    .map((f) => join("test", d, f)),
);

export default defineConfig({
  test: {
    include: testFiles.filter((f) => !SECONDS_PER_MUTANT.has(f) && !STARTS_A_PIPELINE.test(readFileSync(f, "utf8"))),
    // builds models/ and data/ in Stryker's sandbox, as on a fresh clone
    globalSetup: ["./test/install/globalSetup.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
