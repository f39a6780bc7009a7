/**
 * A command's "peak RSS" is its own: a child started by a large process (the benchmark starting
 * its tfidf and scikit-learn sides, a test runner starting a pipeline) must not report its parent's
 * peak, which Linux's getrusage carries across fork and exec.
 */
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "../helpers/run.js";
import { skipUnless, unavailable } from "../helpers/skips.js";

const CHILD = `import { peakRssMB } from ${JSON.stringify(join(ROOT, "src/util/peakRss.ts"))};
console.log(JSON.stringify({ own: peakRssMB(), rusage: process.resourceUsage().maxRSS / 1024 }));`;

describe("peakRssMB", () => {
  it("a child of a 600 MB parent reports its own peak, not the parent's", (ctx) => {
    skipUnless(ctx, unavailable.linux());
    const parent = spawnSync(process.execPath, ["-e", `
      const big = Buffer.alloc(600 * 2 ** 20, 1); // touched: resident
      const r = require("node:child_process").spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", ${JSON.stringify(CHILD)}], { cwd: ${JSON.stringify(ROOT)}, encoding: "utf8" });
      process.stdout.write(r.stdout + (big[12345] === 1 ? "" : "?"));`], { encoding: "utf8" });
    const child = JSON.parse(parent.stdout) as { own: number; rusage: number };
    expect(child.rusage, "getrusage inherits the parent's peak").toBeGreaterThan(600);
    expect(child.own).toBeGreaterThan(20);
    expect(child.own).toBeLessThan(300);
  });
});
