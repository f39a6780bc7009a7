import { describe, it, expect } from "vitest";
import { ModelLineup } from "../../src/registry/lineup.js";
import { codeFiles } from "../../src/registry/code.js";

const lineup = ModelLineup.builtIn();
const files = (model: string): string[] => codeFiles(lineup.trainer(model));

describe("a fold job's cache identity follows the code its model runs", () => {
  it("a head depends on its own files, not on the other heads' nor on fine-tuning's", () => {
    const mean = files("mean");
    expect(mean).toContain("heads/mean.ts");
    expect(mean).toContain("heads/linearGraph.ts");
    expect(mean.filter((f) => f.startsWith("finetune/") || f === "heads/attention.ts" || f === "heads/weightedLayer.ts")).toEqual([]);
  });

  it("a fine-tuned head depends on the fine-tuning code and what it imports, not on the frozen attention head's trainer", () => {
    const ft = files("attention-ft");
    for (const f of ["finetune/train.ts", "finetune/graph.ts", "families/bertLike/trainLayers.ts", "onnx/trainOps.ts", "finetune/poolingGraph.ts", "heads/tokenSource.ts", "heads/earlyStopping.ts"]) expect(ft).toContain(f);
    expect(ft).not.toContain("heads/attention.ts");
    expect(lineup.code("attention-ft")).toBe(lineup.code("mean-ft"));
    expect(lineup.code("attention")).not.toBe(lineup.code("mean"));
  });

  it("tfidf depends on the lexical model, not on any pooling head", () => {
    const tfidf = files("tfidf");
    expect(tfidf).toContain("lexical/model.ts");
    expect(tfidf.filter((f) => f.startsWith("heads/") || f.startsWith("finetune/"))).toEqual([]);
  });
});

describe("each family's cache options are what the job key hashed before families were descriptors", () => {
  // the literal JSON the job key hashed for each model before (recorded from that code), now { seed, ...cacheOptions } (src/oof/run.ts jobIds): finished fold jobs stay cached
  const raw = { headOptions: { weightedLayer: { layerStart: 2, source: "mean" } }, finetune: { topLayers: 1, epochs: 3 } };
  const l = ModelLineup.builtIn(raw);
  const key = (m: string): string => JSON.stringify({ seed: 42, ...l.cacheOptions(m) });
  const ft = '{"topLayers":1,"epochs":3,"lr":0.0001,"headLr":0.001,"batchTokens":4096,"batchRows":16,"warmup":0.1,"weightDecay":0.01,"clip":1,"llrd":1,"patience":2}';
  it.each([
    ["mean", '{"seed":42}'],
    ["attention", '{"seed":42}'],
    ["weightedLayer", '{"seed":42,"weightedLayer":{"layerStart":2,"source":"mean"}}'],
    ["mean-ft", `{"seed":42,"finetune":${ft}}`],
    ["weightedLayer-ft", `{"seed":42,"weightedLayer":{"layerStart":2,"source":"mean"},"finetune":${ft}}`],
    ["tfidf", '{"seed":42,"tfidf":{"word":{"ngram":[1,2],"minDf":2,"maxDf":1,"maxFeatures":200000},"char":{"ngram":[2,5],"minDf":2,"maxDf":1,"maxFeatures":200000},"lowercase":true,"sublinearTf":true,"smoothIdf":true,"lambdas":[0.003,0.001,0.0003,0.0001,0.00003,0.00001,0.000003,0.000001],"innerK":3,"patience":2,"tol":0.1,"maxIter":300,"cacheMiB":256,"candidateFactor":2}}'],
  ])("%s", (m, expected) => expect(key(m)).toBe(expected));

});
