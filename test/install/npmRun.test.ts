/**
 * The first thing `npm run <command>` prints is the command's own output: no warning about the
 * project's npm configuration (npm ≥ 11.2 warns about every `.npmrc` key it does not know), on
 * whichever npm runs the tests (`.ci/run`: the system's; README "Set-up": checked on npm 10 and 11).
 */
import { describe, it, expect } from "vitest";
import { NPM_WARN, PIPELINE_SCRIPTS, runNpm } from "./userShell.js";

describe("npm run <command> -- --help", () => {
  it.each(PIPELINE_SCRIPTS)("%s: the help, and no npm warning", (cmd) => {
    const r = runNpm("npm", ["run", cmd, "--", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(NPM_WARN);
    expect(r.stdout).toMatch(/Options:/);
  });
});

describe("the project's npm configuration", () => {
  it("npm reads ignore-scripts=true from .npmrc, without a warning", () => {
    const r = runNpm("npm", ["config", "get", "ignore-scripts"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("true");
    expect(r.stdout + r.stderr).not.toMatch(NPM_WARN);
  });

  it("npm run setup still runs its script (ignore-scripts skips only install and pre/post scripts): checks everything, no warning", () => {
    const r = runNpm("npm", ["run", "setup"]);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(NPM_WARN);
    expect(r.stderr).toMatch(/^poolblend setup: models\/minilm-l6, models\/minilm-l6-int8, data up to date/m);
  });
});
