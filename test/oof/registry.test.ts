import { describe, it, expect } from "vitest";
import { codeFiles, codeFingerprint } from "../../src/oof/registry.js";

describe("a fold job's cache identity follows the code its model runs", () => {
  it("a head depends on its own files, not on the other heads' nor on fine-tuning's", () => {
    const mean = codeFiles("mean");
    expect(mean).toContain("heads/mean.ts");
    expect(mean).toContain("heads/linearGraph.ts");
    expect(mean.filter((f) => f.startsWith("finetune/") || f === "heads/attention.ts" || f === "heads/weightedLayer.ts")).toEqual([]);
  });

  it("a fine-tuned head depends on the fine-tuning code and what it imports, not on the frozen attention head's trainer", () => {
    const ft = codeFiles("attention-ft");
    for (const f of ["finetune/train.ts", "finetune/graph.ts", "families/bertLike/trainLayers.ts", "onnx/trainOps.ts", "finetune/poolingGraph.ts", "heads/tokenSource.ts", "heads/sgd.ts"]) expect(ft).toContain(f);
    expect(ft).not.toContain("heads/attention.ts");
    expect(codeFingerprint("attention-ft")).toBe(codeFingerprint("mean-ft"));
    expect(codeFingerprint("attention")).not.toBe(codeFingerprint("mean"));
  });
});
