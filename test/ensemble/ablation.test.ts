/**
 * Ablations: the chosen method refitted without each family of models (frozen heads, fine-tuned
 * heads, tfidf, external files), only for families that are present and not alone.
 */
import { describe, it, expect } from "vitest";
import { ablations } from "../../src/ensemble/ablation.js";
import { BUILT_IN } from "../../src/registry/lineup.js";
import { blend, type BlendInput } from "../../src/ensemble/blend.js";
import { gaussian } from "../helpers/synthetic.js";

const rnd = gaussian(4);
const n = 60;
const y = Float64Array.from({ length: n }, () => rnd());
const ctx = { task: "regression" as const, metric: "rmse" as const, c: 1, y, seed: 1, rounds: 30, bags: 0, folds: Int32Array.from(y, (_, i) => i % 3) };
const model = (s: number) => y.map((v) => v + s * rnd());

function input(names: string[]): BlendInput {
  const oof = names.map((_, i) => model(0.3 + 0.2 * i));
  return { names, oof, test: oof.map((p) => p.map((v) => v * 2)), ctx };
}

describe("ablations", () => {
  it("one refit per family present, with exactly the other models, scored as blend scores them", async () => {
    const inp = input(["mean", "attention-ft", "tfidf", "ext:lgbm", "max", "ext:cat"]);
    const got = await ablations("nnls", inp, ["y"], BUILT_IN);
    const expected: [string, number[]][] = [
      ["the frozen heads", [1, 2, 3, 5]],
      ["the fine-tuned heads", [0, 2, 3, 4, 5]],
      ["tfidf", [0, 1, 3, 4, 5]],
      ["the external models", [0, 1, 2, 4]],
    ];
    expect(got.map((a) => a.without)).toEqual(expected.map((e) => e[0]));
    for (const [k, [, keep]] of expected.entries()) {
      const pick = <T>(xs: T[]) => keep.map((i) => xs[i]);
      const r = await blend("nnls", { names: pick(inp.names), oof: pick(inp.oof), test: pick(inp.test), ctx }, ["y"]);
      expect(got[k].models).toEqual(pick(inp.names));
      expect(got[k].oofScore).toBe(r.oofScore);
      expect(got[k].nestedScore).toBe(r.nestedScore);
    }
  });

  it("a family that is absent or alone is skipped", async () => {
    expect(await ablations("hillclimb", input(["mean", "max", "min"]), ["y"], BUILT_IN)).toEqual([]);
    const got = await ablations("hillclimb", input(["tfidf", "weightedLayer"]), ["y"], BUILT_IN);
    expect(got.map((a) => [a.without, a.models])).toEqual([["the frozen heads", ["tfidf"]], ["tfidf", ["weightedLayer"]]]);
  });

  it("a name merely containing a family's mark does not join it", async () => {
    const got = await ablations("hillclimb", input(["ft-mean", "ext", "tfidf2", "mean"]), ["y"], BUILT_IN);
    expect(got.map((a) => [a.without, a.models])).toEqual([["the frozen heads", ["ft-mean", "ext", "tfidf2"]]]);
  });
});
