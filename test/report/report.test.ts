import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { makeSentimentCompetition, type TempCompetition } from "../helpers/competition.js";
import { runPipeline, ROOT } from "../helpers/run.js";
import { CHROMIUM, skipUnless, unavailable } from "../helpers/skips.js";
import { folkloreCheck, pairGains, pearson } from "../../src/report/diversity.js";

describe("diversity math", () => {
  it("pearson", () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBe(0);
  });

  it("pair gains find the best mix of two models", () => {
    const y = Float64Array.from([0, 0, 0, 0]);
    const a = Float64Array.from([1, -1, 1, -1]), b = Float64Array.from([-1, 1, -1, 1]);
    const [g] = pairGains(["a", "b"], [a, b], y, 1, "rmse", false);
    expect(g.weight).toBe(0.5);
    expect(g.score).toBe(0);
    expect(g.gain).toBe(1);
  });

  it("folklore check marks each claimed step", () => {
    const r = folkloreCheck({ attention: 0.9, weightedLayer: 0.8, mean: 0.85, max: 0.7, min: 0.6 }, true);
    expect(r.measured).toEqual(["attention", "mean", "weightedLayer", "max", "min"]);
    expect(r.claims.map((c) => c.holds)).toEqual([true, false, true, true]);
    expect(r.holdsAll).toBe(false);
  });
});

describe("report.html in headless Chromium", () => {
  let comp: TempCompetition;
  beforeAll(async () => {
    // `heads: undefined` leaves the key out: the default heads, the five pooling heads and tfidf
    comp = makeSentimentCompetition(120, 30, { heads: undefined });
    const r = await runPipeline("blend", ["--config", comp.configFile]);
    expect(r.code).toBe(0);
  }, 600_000);

  it("is self-contained: no script, no external URL", () => {
    const html = readFileSync(join(comp.root, "runs/t/report.html"), "utf8");
    expect(html).not.toMatch(/<script|<link|src="http|href="http|url\(/i);
  });

  it("opens without console errors and shows every model (tfidf too), every blend method and the blend without each family, with their numbers", async (ctx) => {
    skipUnless(ctx, unavailable.chromium());
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"] });
    try {
      const scores = JSON.parse(readFileSync(join(comp.root, "runs/t/scores.json"), "utf8")) as { heads: Record<string, { cv: number }>; blend: { methods: Record<string, { oofScore: number; nestedScore: number }> } };
      const { ablations } = JSON.parse(readFileSync(join(comp.root, "runs/t/blend.json"), "utf8")) as { ablations: { without: string; oofScore: number; nestedScore: number }[] };
      expect(Object.keys(scores.heads)).toContain("tfidf");
      expect(ablations.map((a) => a.without)).toEqual(["the frozen heads", "tfidf"]);
      for (const width of [1200, 380]) {
        const page = await browser.newPage({ viewport: { width, height: 900 } });
        const problems: string[] = [];
        page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
        page.on("pageerror", (e) => problems.push(e.message));
        page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
        await page.goto("file://" + join(comp.root, "runs/t/report.html"));
        const headsTable = await page.locator("#heads + div table").innerText();
        for (const [h, s] of Object.entries(scores.heads)) expect(headsTable).toContain(`${h}\t${s.cv.toFixed(4)}`);
        const blendTable = await page.locator("#blend + div table").innerText();
        for (const [m, s] of Object.entries(scores.blend.methods)) {
          expect(blendTable).toMatch(new RegExp(`${m}[^\\n]*\\t${s.oofScore.toFixed(4)}\\t${s.nestedScore.toFixed(4)}`));
        }
        for (const a of ablations) expect(await page.locator("tr", { hasText: `without ${a.without}` }).innerText()).toBe(`without ${a.without}\t${a.oofScore.toFixed(4)}\t${a.nestedScore.toFixed(4)}`);
        expect(await page.locator("#folklore + p").innerText()).toMatch(/Claimed: attention > weightedLayer > mean > max > min/);
        expect(await page.locator(".tok").count()).toBeGreaterThan(3);
        // narrow window: nothing wider than the viewport except inside scroll boxes
        const overflow = (await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")) as number;
        expect(overflow).toBeLessThanOrEqual(1);
        mkdirSync(join(ROOT, "test-results"), { recursive: true });
        await page.screenshot({ path: join(ROOT, "test-results", `report-${width}.png`), fullPage: true });
        expect(problems).toEqual([]);
        await page.close();
      }
    } finally {
      await browser.close();
    }
  });
});
