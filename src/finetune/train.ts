/**
 * The trainer of the fine-tuned heads (`<head>-ft`): a copy of the pretrained top k layers, the
 * pooling head and a linear output, trained with AdamW over the cached hidden state of layer
 * L − k — the bottom layers are never recomputed ("Embedding Recycling", Saad-Falcon et al. 2023).
 * Early stopping on a 10% split of the training rows (never the OOF fold); the best epoch is kept.
 * Single-threaded ONNX Runtime per job, so results are byte-identical whatever the worker count.
 */
import { finetunedHead, type HeadName } from "../models/names.js";
import type { FeatureSources, FoldResult, FoldTask, JobProgress } from "../heads/types.js";
import { OrtSession, float16, float32, f32, type Feeds } from "../backends/ort.js";
import { TokenSource } from "../heads/tokenSource.js";
import { shuffledLengthBatches } from "../heads/batches.js";
import { carveValidation, earlyStopping, taskLoss } from "../heads/earlyStopping.js";
import { modelTargets, targetMatrix } from "../heads/modelTargets.js";
import { lrFactor } from "../optim/schedule.js";
import { uniformInit } from "../util/random.js";
import { lengthOrder, tokenBudgetBatches } from "../backbone/batching.js";
import { hiddenArray } from "../store/features.js";
import { UserError } from "../util/errors.js";
import { buildFinetuneGraph, paramShapes } from "./graph.js";
import type { FinetuneSpec } from "./spec.js";
import { loadTopLayers } from "./weights.js";
import { AdamW, type ParamGroup } from "../optim/adam.js";
import { cachedLayer, type FinetuneModelOptions, type FinetuneOptions } from "./options.js";
import { pooledStats } from "./inputs.js";
import { LayerRows } from "../heads/layerRows.js";
import type { TrainableStack } from "../families/types.js";
import { TRAIN_PASSES, WorkMeter, inferenceTokens, paddedTokens, stepTokens } from "./workMeter.js";

/** The head's weight matrices get weight decay; biases, LayerNorm and the layer weights do not (the family's stack says for its own). */
const DECAYED = /\.(wqkv|wo|w1|w2|w)$/;

/** Starting values of the head's own parameters (the layers start from the checkpoint). */
function initParam(name: string, n: number, H: number, seed: number): Float32Array {
  if (name === "att.w1") return uniformInit(n, 1 / Math.sqrt(H), seed);
  if (name === "att.w2") return uniformInit(n, 1 / Math.sqrt(H), seed + 1);
  if (name === "att.g" || name === "wl.w") return new Float32Array(n).fill(1);
  // the output starts at zero: no random gradient reaches the pretrained layers while the head warms up
  return new Float32Array(n);
}

/** Shuffled batches of similar lengths, capped at `rows` rows and `tokens` padded tokens. */
function epochBatches(lengths: ArrayLike<number>, fit: Int32Array, rows: number, tokens: number, seed: number, epoch: number): Int32Array[] {
  return shuffledLengthBatches(fit, (r) => lengths[r], rows * 16, (sorted) => tokenBudgetBatches(sorted, lengths, tokens, rows), seed, epoch);
}

/** Token states of layer L − k, padded per batch: read from the cache (TokenSource), or — in the benchmark — recomputed. */
export interface HiddenStates {
  length(row: number): number;
  batch(rows: ArrayLike<number>): { tokens: Uint16Array; mask: Float32Array; T: number } | Promise<{ tokens: Uint16Array; mask: Float32Array; T: number }>;
  close(): void;
}

/** One split's inputs: the layer's token states, and for weightedLayer the frozen layers' vectors. */
export interface SplitInputs {
  hidden: HiddenStates;
  frozen?: LayerRows;
}

export class FinetuneModel {
  readonly params: Float32Array[];
  private readonly shapes: [string, number[]][];

  constructor(
    private readonly spec: FinetuneSpec,
    private readonly trainSess: OrtSession,
    private readonly inferSess: OrtSession,
    private readonly stats: { mu: Float32Array; sd: Float32Array },
    init: (name: string, n: number) => Float32Array,
  ) {
    this.shapes = paramShapes(spec);
    this.params = this.shapes.map(([name, dims]) => init(name, dims.reduce((a, b) => a * b, 1)));
  }

  get hiddenSize(): number {
    return this.spec.H;
  }

  get names(): string[] {
    return this.shapes.map(([n]) => n);
  }

  private async feeds(src: SplitInputs, rows: ArrayLike<number>): Promise<Feeds> {
    const { H } = this.spec;
    const b = await src.hidden.batch(rows);
    const B = rows.length;
    const f: Feeds = { hidden: float16(b.tokens, [B, b.T, H]), mask: float32(b.mask, [B, b.T]), pmu: float32(this.stats.mu, [H]), psd: float32(this.stats.sd, [H]) };
    if (src.frozen) f.frozen = float32(src.frozen.read(rows), [B, src.frozen.count, H]);
    this.shapes.forEach(([name, dims], i) => (f[name] = float32(this.params[i], dims)));
    return f;
  }

  /** Gradients of the mean loss over `rows` (y: targets in model space, [rows × C]). */
  async gradients(src: SplitInputs, rows: Int32Array, y: Float32Array): Promise<{ loss: number; grads: Float32Array[] }> {
    const B = rows.length;
    const out = await this.trainSess.run({ ...(await this.feeds(src, rows)), y: float32(y, [B, this.spec.C]), rw: float32(new Float32Array(B).fill(1 / B), [B, 1]) });
    return { loss: f32(out.loss)[0], grads: this.names.map((n) => f32(out[`grad.${n}`])) };
  }

  /** Logits [rows × C] in the given row order, batched by length (`meter` counts each batch's padded tokens). */
  async logits(src: SplitInputs, rows: Int32Array, budget: number, meter?: WorkMeter): Promise<Float64Array> {
    const w = this.spec.C;
    const out = new Float64Array(rows.length * w);
    const lengths = Int32Array.from(rows, (r) => src.hidden.length(r));
    for (const batch of tokenBudgetBatches(lengthOrder(lengths), lengths, budget, 128)) {
      const res = f32((await this.inferSess.run(await this.feeds(src, batch.map((i) => rows[i])))).logits);
      batch.forEach((i, j) => out.set(res.subarray(j * w, j * w + w), i * w));
      meter?.add(paddedTokens(batch, (i) => lengths[i]));
    }
    return out;
  }


}

/** Where a split's states of layer `cached` come from: the feature export, unless the caller says otherwise. */
export type HiddenSourceFactory = (split: FeatureSources["train"], layer: number) => HiddenStates;

const fromCache: HiddenSourceFactory = (split, layer) => {
  if (!split.hiddenLayers.includes(layer)) throw new UserError(`${split.dir}: holds no states of layer ${layer}, which finetune.topLayers needs; rerun npm run features (or npm run oof, which runs it)`);
  return new TokenSource(split, hiddenArray(layer));
};

function openInputs(split: FeatureSources["train"], cached: number, head: HeadName, frozen: { array: "layers_cls" | "layers_mean"; from: number; count: number }, hidden: HiddenSourceFactory): SplitInputs {
  return {
    hidden: hidden(split, cached),
    ...(head === "weightedLayer" && frozen.count > 0 ? { frozen: new LayerRows(split, frozen.array, frozen.from, frozen.count) } : {}),
  };
}

/** Learning rate and weight decay per parameter: the pretrained layers slow (layer-wise decayed downwards), the new head fast; weight matrices decay. */
export function paramGroups(names: readonly string[], o: FinetuneOptions, stack: TrainableStack): ParamGroup[] {
  const stackShapes = new Map(stack.params(o.topLayers));
  return names.map((name) => {
    const layer = /^l(\d+)\./.exec(name);
    const inStack = stackShapes.has(name);
    const decays = inStack ? (stack.decays?.(name) ?? stackShapes.get(name)!.length === 2) : DECAYED.test(name);
    return { lr: layer ? o.lr * o.llrd ** (o.topLayers - 1 - Number(layer[1])) : inStack ? o.lr : o.headLr, decay: decays ? o.weightDecay : 0 };
  });
}

/** One fold's fine-tuning, set up: the model at its starting point (the checkpoint's top layers, the new head), its parameter groups, both splits' inputs. */
export interface FinetuneJob {
  model: FinetuneModel;
  groups: ParamGroup[];
  trainIn: SplitInputs;
  testIn: SplitInputs;
  provider: string;
  release(): Promise<void>;
}

/** Loads the top k layers of the checkpoint and builds the graphs over the cached layer L − k (`hidden`: where its states come from). */
export async function openJob(sources: FeatureSources, t: FoldTask<FinetuneModelOptions>, hidden: HiddenSourceFactory = fromCache): Promise<FinetuneJob> {
  const head = finetunedHead(t.head);
  if (!head) throw new Error(`${t.head} is not a fine-tuned head`);
  const o = t.options.finetune;
  const k = o.topLayers;
  const { cfg: backbone, stack, params: pretrained } = loadTopLayers(t.options.modelDir, k);
  const cached = cachedLayer(backbone.numLayers, k);
  // weightedLayer-ft mixes layers from..L: the cached ones up to L − k, then every trained layer
  const wl = t.options.weightedLayer;
  const from = Math.min(wl.layerStart, cached + 1);
  const frozen = { array: wl.source === "mean" ? ("layers_mean" as const) : ("layers_cls" as const), from, count: head === "weightedLayer" ? cached + 1 - from : 0 };
  const spec = (training: boolean): FinetuneSpec => ({
    H: backbone.hiddenSize, numHeads: backbone.numHeads, inter: backbone.intermediateSize, layers: k, stack, eps: backbone.layerNormEps,
    C: t.c, task: t.task, pooling: head, frozenLayers: frozen.count, layerSource: wl.source, training,
  });
  const trainIn = openInputs(sources.train, cached, head, frozen, hidden), testIn = openInputs(sources.test, cached, head, frozen, hidden);
  // one thread per job on the CPU; on a machine with ONNX Runtime's CUDA provider installed the same graphs train there
  const session = { threads: 1, preferCuda: true };
  const [trainSess, inferSess] = await Promise.all([OrtSession.load(buildFinetuneGraph(spec(true)), session), OrtSession.load(buildFinetuneGraph(spec(false)), session)]);
  const release = async (): Promise<void> => {
    for (const s of [trainIn, testIn]) {
      s.hidden.close();
      s.frozen?.close();
    }
    await Promise.all([trainSess.release(), inferSess.release()]);
  };
  try {
    const stats = pooledStats(head, sources.train, t.trainIdx, frozen);
    const model = new FinetuneModel(spec(true), trainSess, inferSess, stats, (name, n) => Float32Array.from(pretrained.get(name) ?? initParam(name, n, backbone.hiddenSize, t.seed)));
    return { model, groups: paramGroups(model.names, o, stack), trainIn, testIn, provider: trainSess.provider, release };
  } catch (e) {
    await release();
    throw e;
  }
}

/** Trains `<head>-ft` on one fold, telling `progress` how much is done (`hidden`: where the layer's states come from; the benchmark recomputes them). */
export async function train(sources: FeatureSources, t: FoldTask<FinetuneModelOptions>, progress?: JobProgress, hidden: HiddenSourceFactory = fromCache): Promise<FoldResult> {
  const t0 = performance.now();
  const job = await openJob(sources, t, hidden);
  try {
    const { model, trainIn, testIn } = job;
    const o = t.options.finetune;
    const { target, toOutput } = modelTargets(t);
    const { fit, stop } = carveValidation(t.trainIdx, t.strata, t.seed);
    const lengths = Int32Array.from({ length: sources.train.rows }, (_, i) => trainIn.hidden.length(i));
    const budget = o.batchTokens * 2;
    const testRows = Int32Array.from({ length: sources.test.rows }, (_, i) => i);
    const last = inferenceTokens(t.validIdx, (r) => lengths[r], budget) + inferenceTokens(testRows, (r) => testIn.hidden.length(r), budget);
    const meter = progress && new WorkMeter(plannedWork(lengths, fit, stop, o, t.seed, model.hiddenSize) + last, progress);
    const r = await fitAdamW(model, trainIn, fit, stop, new AdamW(model.params, job.groups, o.clip), { ...o, seed: t.seed, lengths, task: t, target, meter });
    meter?.leaves(last);
    const oof = toOutput(await model.logits(trainIn, t.validIdx, budget, meter));
    const test = toOutput(await model.logits(testIn, testRows, budget, meter));
    meter?.finish();
    return { head: t.head, fold: t.fold, oof, test, seconds: (performance.now() - t0) / 1000, info: { topLayers: o.topLayers, provider: job.provider, ...r } };
  } finally {
    await job.release();
  }
}

interface FitOptions {
  epochs: number;
  batchRows: number;
  batchTokens: number;
  warmup: number;
  patience: number;
  seed: number;
  lengths: ArrayLike<number>;
  task: FoldTask;
  target: (row: number, k: number) => number;
  /** counts each step and evaluation for the job's progress */
  meter?: WorkMeter;
}

/** The fit's planned work in forward tokens (workMeter.ts): every epoch's steps (as the first epoch's batches) and its early-stopping pass. */
function plannedWork(lengths: ArrayLike<number>, fit: Int32Array, stop: Int32Array, o: FinetuneOptions, seed: number, hidden: number): number {
  const len = (r: number): number => lengths[r];
  const steps = epochBatches(lengths, fit, o.batchRows, o.batchTokens, seed, 1).reduce((a, b) => a + TRAIN_PASSES * paddedTokens(b, len) + stepTokens(hidden), 0);
  return o.epochs * (steps + inferenceTokens(stop, len, o.batchTokens * 2));
}

/** `opt` (AdamW over the model's parameters) on the fit rows, early stopping on the stop rows; leaves the best epoch's parameters in the model. */
export async function fitAdamW(model: FinetuneModel, src: SplitInputs, fit: Int32Array, stop: Int32Array, opt: Pick<AdamW, "step">, o: FitOptions): Promise<{ epochs: number; bestEpoch: number; stopLoss: number; steps: number; epochSeconds: number[] }> {
  const t = o.task;
  const perEpoch = epochBatches(o.lengths, fit, o.batchRows, o.batchTokens, o.seed, 1).length;
  const schedule = { totalSteps: perEpoch * o.epochs, warmupSteps: Math.round(perEpoch * o.epochs * o.warmup) };
  let step = 0;
  // the training steps' time per epoch (evaluation excluded): the benchmark's figure
  const epochSeconds: number[] = [];
  const epoch = async (e: number): Promise<void> => {
    const t0 = performance.now();
    for (const batch of epochBatches(o.lengths, fit, o.batchRows, o.batchTokens, o.seed, e)) {
      const { grads } = await model.gradients(src, batch, targetMatrix(batch, t.task, t.c, o.target));
      opt.step(grads, lrFactor(++step, schedule));
      o.meter?.add(TRAIN_PASSES * paddedTokens(batch, (r) => o.lengths[r]) + stepTokens(model.hiddenSize));
    }
    epochSeconds.push(Math.round(performance.now() - t0) / 1000);
  };
  const r = await earlyStopping(model.params, o.epochs, o.patience, epoch, async () => taskLoss(t.task, await model.logits(src, stop, o.batchTokens * 2, o.meter), stop, t.c, o.target));
  return { ...r, steps: step, epochSeconds };
}
