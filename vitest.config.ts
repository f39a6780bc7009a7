import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // builds models/ and data/ on a fresh clone (npm install runs no install script: .npmrc)
    globalSetup: ["./test/install/globalSetup.ts"],
    reporters: ["default", "./test/helpers/countReporter.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
    // ORT already uses both cores; two test files at once is the useful maximum
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
