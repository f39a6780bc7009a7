/**
 * An encoder family ("architecture as a module"): everything that differs between BERT, RoBERTa,
 * ELECTRA, DeBERTa … lives in one module implementing `EncoderFamily`; the graph builder, the
 * feature pass, the fine-tuning trainer and the OOF runner only call this interface and never
 * look at a family's name. Adding a family = one new module + one line in `registry.ts`.
 *
 * A family owns:
 * - `parseConfig`: Hugging Face `config.json` → `EncoderConfig` (dimensions, epsilon, vocabulary,
 *   usable positions, token types). Family-specific settings stay readable from `cfg.raw`.
 * - the weight-name mapping: `prefixes` (stripped: `bert.`, `roberta.` …) and `isEncoderTensor`
 *   (head tensors such as `lm_head.*`, `pooler.*`, `discriminator_predictions.*` are ignored;
 *   the caller reports them in one line). Every name a family asks for is prefix-free.
 * - `embeddings` + `encoder`: its part of the inference graph (the caller declares the inputs and
 *   appends the pooled outputs to the hidden states the family returns).
 * - `tokens`: special tokens and the pair layout for the tokenizer.
 * - `trainable(cfg)`: the fine-tuned heads' top layers — parameter list, their pretrained values
 *   from the checkpoint, and the forward + hand-written backward graph (standard ONNX ops).
 */
import type { GraphBuilder } from "../onnx/graphBuilder.js";
import type { LayerOps } from "../onnx/trainOps.js";
import type { Tensor } from "../io/safetensors.js";

/** The numbers every part of poolblend needs from a checkpoint's config.json. */
export interface EncoderConfig {
  /** config.json `model_type` */
  modelType: string;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  layerNormEps: number;
  /** positions a row may use (RoBERTa: max_position_embeddings − padding_idx − 1) */
  maxPositions: number;
  /** rows of the word-embedding matrix */
  vocabSize: number;
  /** 0 or 1: the graph takes no token_type_ids (a single type row is added as a constant) */
  typeVocabSize: number;
  padTokenId: number;
  /** the parsed config.json, for family-specific settings */
  raw: Readonly<Record<string, unknown>>;
}

/** What the inference graph asks of the build. */
export interface BuildOptions {
  /**
   * "pooled": the poolblend outputs; "lastHidden": only `last_hidden_state` (the transformers.js
   * layout); "hiddenStates": `hidden_states.0..L`, like an export with output_hidden_states.
   */
  outputs: "pooled" | "lastHidden" | "hiddenStates";
  /** Emit ONNX Runtime's fused transformer ops (com.microsoft) where the architecture allows them. */
  fused?: boolean;
  /** "int8": dense layers as com.microsoft DynamicQuantizeMatMul (lossy; needs `fused`). */
  quantize?: "int8";
}

/** A family's view of the inference graph under construction. */
export interface GraphContext {
  g: GraphBuilder;
  cfg: EncoderConfig;
  opts: BuildOptions;
  /** An encoder tensor by its prefix-free name; a missing one is a UserError naming the weights file. */
  tensor(name: string): Tensor;
  /** The tensor as a graph initializer of the same name. */
  init(name: string): string;
}

/** The graph inputs (int64 [batch, seq]); `types` exists only when `cfg.typeVocabSize > 1`. */
export interface GraphInputs {
  ids: string;
  mask: string;
  types?: string;
}

/** The inputs again, with the attention mask as float [B,T] (1 valid, 0 padding), shared with the pooled outputs. */
export interface EncoderInputs extends GraphInputs {
  maskFloat: string;
}

/** Special tokens and segment layout. Token strings are looked up in tokenizer.json. */
export interface TokenConventions {
  /** first token of every row ([CLS], <s>) */
  cls: string;
  /** segment terminator ([SEP], </s>) */
  sep: string;
  pad: string;
  /**
   * separators between two segments: 1 gives `[CLS] A [SEP] B [SEP]`, 2 gives RoBERTa's
   * `<s> A </s></s> B </s>`. Truncation keeps every special token, the final one included.
   */
  pairSeparators: 1 | 2;
}

/**
 * The fine-tuned heads' k top layers of one family, as a stack of trainable graph parameters.
 * Names `l{i}.*` belong to trained layer i (0 = bottom) and get its layer-wise decayed learning
 * rate; other names are shared by the layers and train at the layers' base rate.
 */
export interface TrainableStack {
  /** Every parameter of layers 0 (bottom) … k−1 in graph-input order, with shapes. */
  params(k: number): [string, number[]][];
  /** Whether AdamW's weight decay applies to this parameter (default: it is a matrix). */
  decays?(name: string): boolean;
  /** Which checkpoint tensors (prefix-free names) `pretrained` reads when the stack starts at layer `first`. */
  reads(name: string, first: number): boolean;
  /** Pretrained values of `params(k)` from checkpoint layers first … first+k−1. */
  pretrained(tensor: (name: string) => Tensor, first: number, k: number): Map<string, Float32Array>;
  /**
   * Emits the forward pass of the k layers over x [B,T,H] (mask [B,T] float in `o`); returns each
   * layer's output and a backward emitter: given the gradient arriving at each layer's output from
   * the head (undefined: none), it must write an output `grad.<param>` for every parameter.
   */
  forward(o: LayerOps, x: string, k: number): { outputs: string[]; backward(dOut: readonly (string | undefined)[]): void };
}

export interface EncoderFamily {
  /** config.json `model_type` values this module reads */
  readonly modelTypes: readonly string[];
  /** graph-name stem ("bert" → `bert_pooled`) */
  readonly name: string;
  parseConfig(raw: Record<string, unknown>, file: string): EncoderConfig;
  /** tensor-name prefixes of hub checkpoints, stripped before any lookup ("bert.", "roberta." …) */
  readonly prefixes: readonly string[];
  /** true for the encoder's tensors (prefix-free name); false for task heads, which are ignored */
  isEncoderTensor(name: string): boolean;
  /** prefix-free name of the word-embedding matrix [vocab, ·] (checked against the tokenizer) */
  readonly wordEmbeddings: string;
  tokens: TokenConventions;
  /**
   * tokenizer.json built from what the family's hub checkpoints ship instead (DeBERTa-v3:
   * spm.model); undefined when `dir` holds nothing to convert. Optional: most families ship one.
   */
  tokenizerFromFolder?(dir: string): Record<string, unknown> | undefined;
  /** Emits the embedding output [B,T,H] (hidden state 0). */
  embeddings(c: GraphContext, inputs: GraphInputs): string;
  /** Emits the layers over hidden state 0; returns every hidden state, 0 … L. */
  encoder(c: GraphContext, x0: string, inputs: EncoderInputs): string[];
  trainable(cfg: EncoderConfig): TrainableStack;
}
