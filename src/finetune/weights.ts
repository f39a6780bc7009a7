/**
 * The pretrained weights of the top k layers, from the model folder's `weights.safetensors`
 * (Hugging Face `BertModel` names, with or without a `bert.` prefix), in the fine-tuning graph's
 * layout: x·W matrices ([in, out]), q/k/v packed as [q | k | v].
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { readSafetensors, type Tensor } from "../backbone/safetensors.js";
import { readBertConfig, type BertConfig } from "../backbone/bertConfig.js";
import { WEIGHTS_FILE } from "../backbone/prepareModel.js";
import { UserError } from "../util/errors.js";

/** [out, in] (PyTorch Linear) → [in, out] */
function transposed(t: Tensor): Float32Array {
  const [r, c] = t.shape;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
  return out;
}

/** The backbone's shape, and its layers L − k .. L − 1 as graph parameters `l0.*` (bottom) … `l{k−1}.*`. */
export function loadTopLayers(modelDir: string, k: number): { cfg: BertConfig; params: Map<string, Float32Array> } {
  const file = join(modelDir, WEIGHTS_FILE);
  const cfgFile = join(modelDir, "config.json");
  for (const f of [file, cfgFile]) if (!existsSync(f)) throw new UserError(`${f}: not found; the fine-tuned heads need the model's weights (prepare the model from a BertModel checkpoint folder: README "Bring your own model")`);
  const cfg = readBertConfig(cfgFile);
  if (k > cfg.numLayers) throw new UserError(`"finetune.topLayers" ${k} exceeds the model's ${cfg.numLayers} layers`);
  const first = cfg.numLayers - k;
  const layerOf = (name: string): number => Number(/encoder\.layer\.(\d+)\./.exec(name)?.[1] ?? -1);
  const w = readSafetensors(file, (n) => layerOf(n) >= first);
  const prefix = [...w.keys()].some((n) => n.startsWith("bert.")) ? "bert." : "";
  const get = (name: string): Tensor => {
    const t = w.get(prefix + name);
    if (!t) throw new UserError(`${file}: tensor ${prefix + name} missing`);
    return t;
  };
  const H = cfg.hiddenSize;
  const params = new Map<string, Float32Array>();
  for (let l = 0; l < k; l++) {
    const p = `encoder.layer.${first + l}`;
    const qkv = ["query", "key", "value"].map((n) => transposed(get(`${p}.attention.self.${n}.weight`)));
    const wqkv = new Float32Array(H * 3 * H);
    for (let i = 0; i < H; i++) qkv.forEach((m, j) => wqkv.set(m.subarray(i * H, (i + 1) * H), i * 3 * H + j * H));
    const bqkv = new Float32Array(3 * H);
    ["query", "key", "value"].forEach((n, j) => bqkv.set(get(`${p}.attention.self.${n}.bias`).data, j * H));
    const set = (n: string, v: Float32Array): void => void params.set(`l${l}.${n}`, v);
    set("wqkv", wqkv);
    set("bqkv", bqkv);
    set("wo", transposed(get(`${p}.attention.output.dense.weight`)));
    set("bo", get(`${p}.attention.output.dense.bias`).data);
    set("ln1g", get(`${p}.attention.output.LayerNorm.weight`).data);
    set("ln1b", get(`${p}.attention.output.LayerNorm.bias`).data);
    set("w1", transposed(get(`${p}.intermediate.dense.weight`)));
    set("b1", get(`${p}.intermediate.dense.bias`).data);
    set("w2", transposed(get(`${p}.output.dense.weight`)));
    set("b2", get(`${p}.output.dense.bias`).data);
    set("ln2g", get(`${p}.output.LayerNorm.weight`).data);
    set("ln2b", get(`${p}.output.LayerNorm.bias`).data);
  }
  return { cfg, params };
}
