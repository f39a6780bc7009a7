/**
 * The declared interface of the fine-tuning graphs (src/finetune/graph.ts, its header lists it):
 * every input and output with its element type and dims, as the decoded ONNX model states them —
 * what a tool such as Netron or another runtime reads — for every head, task and training flag;
 * and that running a graph gives outputs of exactly those shapes.
 */
import { describe, it, expect } from "vitest";
import onnxProto from "onnx-proto";
import { buildFinetuneGraph, paramShapes } from "../../src/finetune/graph.js";
import type { FinetuneSpec } from "../../src/finetune/spec.js";
import { bertLikeStack } from "../../src/families/bertLike/trainLayers.js";
import { DT } from "../../src/onnx/graphBuilder.js";
import { OrtSession, float16, float32, type Feeds } from "../../src/backends/ort.js";
import type { HeadName, Task } from "../../src/config.js";
import { referenceParamShapes } from "../reference/finetuneReference.js";

const H = 8;
const stack = bertLikeStack({ H, numHeads: 2, inter: 16, eps: 1e-12 });

function spec(pooling: HeadName, task: Task, C: number, frozenLayers: number, training: boolean): FinetuneSpec {
  return { H, numHeads: 2, inter: 16, layers: 2, stack, eps: 1e-12, C, task, pooling, frozenLayers, layerSource: "mean", training };
}

type Declared = [name: string, type: number, dims: (string | number)[]];

function declared(values: onnxProto.onnx.IValueInfoProto[]): Declared[] {
  return values.map((v) => [v.name!, v.type!.tensorType!.elemType!, v.type!.tensorType!.shape!.dim!.map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)))]);
}

const VARIANTS: [HeadName, Task, number, number][] = [
  ["mean", "binary", 1, 0], ["max", "multiclass", 3, 0], ["min", "regression", 2, 0], ["attention", "binary", 1, 0],
  ["weightedLayer", "multiclass", 3, 2], ["weightedLayer", "regression", 1, 0],
];

describe("frozen-layer input", () => {
  it("only weightedLayer reads it: another head given frozen layers declares no frozen input", () => {
    for (const pooling of ["mean", "attention"] as const) {
      const names = onnxProto.onnx.ModelProto.decode(buildFinetuneGraph(spec(pooling, "binary", 1, 2, true))).graph!.input!.map((v) => v.name);
      expect(names).not.toContain("frozen");
      expect(names.slice(0, 4)).toEqual(["hidden", "mask", "pmu", "psd"]);
    }
  });
});

describe("fine-tuning graph interface", () => {
  it.each(VARIANTS)("%s, %s C=%i, F=%i: inputs, outputs, types and dims as documented, for training and inference", (pooling, task, C, F) => {
    for (const training of [false, true]) {
      const s = spec(pooling, task, C, F, training);
      const model = onnxProto.onnx.ModelProto.decode(buildFinetuneGraph(s));
      const params = referenceParamShapes({ H, numHeads: 2, inter: 16, layers: 2, eps: 1e-12, C, task, pooling, frozenLayers: pooling === "weightedLayer" ? F : 0, layerSource: "mean" });
      expect(paramShapes(s)).toEqual(params);
      expect(model.graph!.name).toBe(training ? "finetune_train" : "finetune_infer");
      expect(Number(model.opsetImport.find((o) => !o.domain)!.version)).toBe(17);
      const inputs: Declared[] = [
        ["hidden", DT.FLOAT16, ["B", "T", H]], ["mask", DT.FLOAT, ["B", "T"]],
        ...(F > 0 ? [["frozen", DT.FLOAT, ["B", F, H]] as Declared] : []),
        ["pmu", DT.FLOAT, [H]], ["psd", DT.FLOAT, [H]],
        ...params.map(([n, d]): Declared => [n, DT.FLOAT, d]),
        ...(training ? ([["y", DT.FLOAT, ["B", C]], ["rw", DT.FLOAT, ["B", 1]]] as Declared[]) : []),
      ];
      expect(declared(model.graph!.input!)).toEqual(inputs);
      const outputs: Declared[] = [["logits", DT.FLOAT, ["B", C]], ...(training ? [["loss", DT.FLOAT, []] as Declared, ...params.map(([n, d]): Declared => [`grad.${n}`, DT.FLOAT, d])] : [])];
      expect(declared(model.graph!.output!)).toEqual(outputs);
    }
  });

  it("a training run returns outputs of exactly the declared shapes (loss a scalar)", async () => {
    const s = spec("weightedLayer", "multiclass", 3, 2, true);
    const sess = await OrtSession.load(buildFinetuneGraph(s), { threads: 1 });
    try {
      const B = 2, T = 3;
      const f: Feeds = {
        hidden: float16(new Uint16Array(B * T * H).fill(0x3c00), [B, T, H]), mask: float32(Float32Array.from([1, 1, 0, 1, 0, 0]), [B, T]),
        frozen: float32(new Float32Array(B * 2 * H).fill(0.5), [B, 2, H]), pmu: float32(new Float32Array(H), [H]), psd: float32(new Float32Array(H).fill(1), [H]),
        y: float32(Float32Array.from([1, 0, 0, 0, 0, 1]), [B, 3]), rw: float32(new Float32Array(B).fill(0.5), [B, 1]),
      };
      for (const [n, d] of paramShapes(s)) f[n] = float32(new Float32Array(d.reduce((a, b) => a * b, 1)).fill(n === "wl.w" || n.endsWith("g") ? 1 : 0.01), d);
      const out = await sess.run(f);
      expect(out.logits.dims).toEqual([B, 3]);
      expect(out.loss.dims).toEqual([]);
      for (const [n, d] of paramShapes(s)) expect(out[`grad.${n}`].dims, n).toEqual(d);
    } finally {
      await sess.release();
    }
  });
});
