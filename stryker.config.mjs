// Mutation testing (`npm run mutation`, not part of CI): StrykerJS changes one operator or
// constant at a time in the folders below and counts a mutant as killed when a test fails on it.
// README "Tests" says how to run one folder.
export default {
  mutate: ["src/validation/**/*.ts", "src/folds/**/*.ts", "src/ensemble/**/*.ts", "src/lexical/**/*.ts", "src/optim/**/*.ts", "src/finetune/**/*.ts"],
  testRunner: "vitest",
  plugins: [import.meta.resolve("@stryker-mutator/vitest-runner")],
  vitest: { configFile: "vitest.mutation.config.ts", related: true },
  // each mutant runs only the tests that executed its code in the first, unmutated run
  coverageAnalysis: "perTest",
  // two cores: one Stryker worker each; ORT inside a test already uses both
  concurrency: 2,
  timeoutFactor: 3,
  timeoutMS: 20000,
  // the model and the bundled competitions are built in the sandbox by the tests' global set-up
  ignorePatterns: ["/runs", "/models/*/", "/data", "/.cache", "/submissions/*.csv", "/bench/results.json", "/scratch", "/test-results", "/coverage", "/reports"],
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  incrementalFile: "reports/mutation/stryker-incremental.json",
  clearTextReporter: { allowColor: false, reportTests: false, reportMutants: true },
};
