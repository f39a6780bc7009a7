/** The lineup of model families a config can list: poolblend's own, plus the modules it names under "modelFamilies". */
import { describe, it, expect } from "vitest";
import { join } from "node:path";
import { ModelLineup } from "../../src/registry/lineup.js";
import { HEAD_NAMES, FINETUNED_NAMES } from "../../src/models/names.js";
import { UserError } from "../../src/util/errors.js";

const FIXTURES = join(import.meta.dirname, "../fixtures/families");
const CENTROID = join(FIXTURES, "centroid.ts");
const source = (modelFamilies: string[], heads: string[], raw: Record<string, unknown> = {}) => ({ raw, configFile: "c.json", modelFamilies, heads });

/** The UserError message `p` rejects with. */
async function rejected(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(UserError);
  return (e as Error).message;
}

describe("a lineup", () => {
  it("lists poolblend's models in the order errors name them, then a family module's", async () => {
    expect(ModelLineup.builtIn().names).toEqual([...HEAD_NAMES, ...FINETUNED_NAMES, "tfidf"]);
    const l = await ModelLineup.load(source([CENTROID], ["mean", "centroid"], { headOptions: { centroid: { temperature: 0.5 } } }));
    expect(l.names).toEqual([...HEAD_NAMES, ...FINETUNED_NAMES, "tfidf", "centroid"]);
    expect(l.options("centroid")).toEqual({ temperature: 0.5 });
    expect(l.module("centroid")).toBe(CENTROID);
    expect(l.module("mean")).toBeUndefined();
    expect(l.families().map((f) => f.label)).toEqual(["the frozen heads", "the fine-tuned heads", "tfidf", "centroid"]);
  });

  it("asks the feature pass for L − topLayers only when a fine-tuned head is listed", () => {
    const l = ModelLineup.builtIn({ finetune: { topLayers: 2 } });
    expect(l.lowerLayers(["mean", "tfidf"], 6)).toEqual([]);
    expect(l.lowerLayers(["mean", "attention-ft", "mean-ft"], 6)).toEqual([4]);
    expect(() => l.lowerLayers(["mean-ft"], 1)).toThrow(`"finetune.topLayers" 2 exceeds the model's 1 layers`);
  });

  it("only tfidf needs the texts", () => {
    const l = ModelLineup.builtIn();
    expect(l.needsTexts(["mean", "attention-ft"])).toBe(false);
    expect(l.needsTexts(["mean", "tfidf"])).toBe(true);
  });

  it("an unknown model, a module that is not a family, or a missing one is a one-line error naming the config key", async () => {
    expect(await rejected(ModelLineup.load(source([], ["mean", "centroid"])))).toBe(
      `c.json: "heads[1]" must be one of ${[...HEAD_NAMES, ...FINETUNED_NAMES, "tfidf"].join(", ")} (got "centroid")`,
    );
    const notFamily = join(import.meta.dirname, "../helpers/thrown.ts");
    expect(await rejected(ModelLineup.load(source([notFamily], ["mean"])))).toBe(
      `c.json: "modelFamilies[0]": the default export of ${notFamily} is not a model family (missing names, label, parseOptions, cacheOptions, trainer, priorSeconds)`,
    );
    expect(await rejected(ModelLineup.load(source([join(FIXTURES, "absent.ts")], ["mean"])))).toMatch(/^c\.json: "modelFamilies\[0\]": cannot load .*absent\.ts \(/);
    expect(await rejected(ModelLineup.load(source([CENTROID], ["centroid"], { headOptions: { centroid: { temperature: 0 } } })))).toBe(
      `c.json: "headOptions.centroid.temperature" must be > 0`,
    );
  });

  it("two families may not serve the same name", async () => {
    expect(await rejected(ModelLineup.load(source([CENTROID, CENTROID], ["mean"])))).toBe(`c.json: "modelFamilies" ${CENTROID} serves centroid, which ${CENTROID} serves already`);
  });
});
