/**
 * The backbone: tokenizer + pooled ONNX graph. One forward pass per text gives every array
 * the heads need (README "Outputs").
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { openTokenizer, type EncoderTokenizer, type Encoded } from "./tokenizer.js";
import { OrtSession, int64, f32, f16bits } from "../backends/ort.js";
import { POOLED_OUTPUTS, hiddenOutput } from "./encoderGraph.js";
import { UserError } from "../util/errors.js";
import { sha256File } from "../util/hash.js";

/** Pooled features of one row. */
export interface RowFeatures {
  mean: Float32Array;
  max: Float32Array;
  min: Float32Array;
  /** [(L+1) × H] */
  layersCls: Float32Array;
  /** [(L+1) × H] */
  layersMean: Float32Array;
  /** [len × H] float16 bits of the last layer's valid tokens */
  tokens: Uint16Array;
  /** [len × H] float16 bits of the valid tokens of each requested lower layer (the pass's `hiddenLayers` order) */
  hidden: Uint16Array[];
}

export interface BackboneInfo {
  modelDir: string;
  onnxSha256: string;
  tokenizerSha256: string;
  hiddenSize: number;
  numLayers: number;
  maxLength: number;
}

/** Milliseconds spent per stage, accumulated. */
export interface StageTimes {
  tokenize: number;
  forward: number;
  pooling: number;
  write: number;
}

export class Backbone {
  private constructor(
    readonly tokenizer: EncoderTokenizer,
    private readonly session: OrtSession,
    readonly info: BackboneInfo,
  ) {}

  /** Loads a prepared model folder (model.onnx with pooled outputs + tokenizer.json). */
  static async load(modelDir: string, maxLength: number, threads = 0): Promise<Backbone> {
    const onnxFile = join(modelDir, "model.onnx");
    const tokFile = join(modelDir, "tokenizer.json");
    for (const f of [onnxFile, tokFile]) if (!existsSync(f)) throw new UserError(`${f}: not found (npm run setup builds the default model; for your own see README "Bring your own model")`);
    const session = await OrtSession.load(onnxFile, threads > 0 ? { threads, preferCuda: true } : { preferCuda: true });
    const missing = POOLED_OUTPUTS.filter((o) => !session.outputNames.includes(o));
    if (missing.length) throw new UserError(`${onnxFile}: outputs ${missing.join(", ")} missing; prepare the model with poolblend (README "Bring your own model")`);
    const cardFile = join(modelDir, "poolblend-model.json");
    const card = existsSync(cardFile) ? (JSON.parse(readFileSync(cardFile, "utf8")) as { onnxSha256?: string; numLayers?: number; hiddenSize?: number; maxPositions?: number }) : {};
    const tokenizer = openTokenizer(modelDir, maxLength);
    if (card.maxPositions !== undefined && maxLength > card.maxPositions) throw new UserError(`backbone.maxLength ${maxLength} exceeds the model's ${card.maxPositions} positions`);
    const probe = await session.run(feedsFor(tokenizer.padBatch([tokenizer.encode([""])]), session.inputNames));
    const [, L1, H] = probe.layers_cls.dims as number[];
    return new Backbone(tokenizer, session, {
      modelDir,
      onnxSha256: sha256File(onnxFile),
      tokenizerSha256: sha256File(tokFile),
      hiddenSize: H,
      numLayers: L1 - 1,
      maxLength,
    });
  }

  /** The execution provider the session runs on ("cuda" or "cpu"). */
  get provider(): string {
    return this.session.provider;
  }

  /** Checks the model can give the states of these layers (models prepared by older versions cannot). */
  checkHiddenLayers(layers: readonly number[]): void {
    const missing = layers.filter((l) => !this.session.outputNames.includes(hiddenOutput(l)));
    if (missing.length) throw new UserError(`${this.info.modelDir}/model.onnx: has no output for the states of layer ${missing.join(", ")}, which the fine-tuned heads need; prepare the model again (npm run setup for the default model, npm run prepare-model for your own)`);
  }

  /** Runs one padded batch of encoded rows; returns each row's features in the given order, with the states of `hiddenLayers`. */
  async forward(rows: readonly Encoded[], times?: StageTimes, hiddenLayers: readonly number[] = []): Promise<RowFeatures[]> {
    const t0 = performance.now();
    const batch = this.tokenizer.padBatch(rows);
    const out = await this.session.run(feedsFor(batch, this.session.inputNames), [...POOLED_OUTPUTS, ...hiddenLayers.map(hiddenOutput)]);
    const t1 = performance.now();
    const H = this.info.hiddenSize;
    const LH = (this.info.numLayers + 1) * H;
    const mean = f32(out.mean), max = f32(out.max), min = f32(out.min);
    const lc = f32(out.layers_cls), lm = f32(out.layers_mean);
    const tok = f16bits(out.tokens);
    const hid = hiddenLayers.map((l) => f16bits(out[hiddenOutput(l)]));
    const validTokens = (a: Uint16Array, i: number): Uint16Array => a.slice(i * batch.seqLen * H, (i * batch.seqLen + batch.lengths[i]) * H);
    const res = rows.map((_, i) => ({
      mean: mean.slice(i * H, (i + 1) * H),
      max: max.slice(i * H, (i + 1) * H),
      min: min.slice(i * H, (i + 1) * H),
      layersCls: lc.slice(i * LH, (i + 1) * LH),
      layersMean: lm.slice(i * LH, (i + 1) * LH),
      tokens: validTokens(tok, i),
      hidden: hid.map((a) => validTokens(a, i)),
    }));
    if (times) {
      times.forward += t1 - t0;
      times.pooling += performance.now() - t1;
    }
    return res;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Feeds for the inputs the model declares (some exports have no token_type_ids). */
function feedsFor(b: ReturnType<EncoderTokenizer["padBatch"]>, inputs: readonly string[]): Record<string, ReturnType<typeof int64>> {
  const dims = [b.size, b.seqLen];
  const all = { input_ids: int64(b.inputIds, dims), attention_mask: int64(b.attentionMask, dims), token_type_ids: int64(b.tokenTypeIds, dims) };
  return Object.fromEntries(Object.entries(all).filter(([k]) => inputs.includes(k)));
}
