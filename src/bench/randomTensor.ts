/** Normal random tensors for the benchmark's synthetic checkpoints. */
import type { Tensor } from "../io/safetensors.js";

export function normalTensor(shape: number[], rnd: () => number, std: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(rnd() + 1e-12)), a = 2 * Math.PI * rnd();
    data[i] = std * r * Math.cos(a);
    if (i + 1 < n) data[i + 1] = std * r * Math.sin(a);
  }
  return { shape, data };
}

/** A checkpoint's tensors being filled: N(0, 0.02) matrices as Hugging Face initialises them, LayerNorms at identity, zero biases. */
export class RandomCheckpoint {
  readonly tensors = new Map<string, Tensor>();
  constructor(private readonly rnd: () => number) {}

  normal(name: string, shape: number[]): void {
    this.tensors.set(name, normalTensor(shape, this.rnd, 0.02));
  }

  layerNorm(prefix: string, n: number): void {
    this.tensors.set(`${prefix}.weight`, { shape: [n], data: new Float32Array(n).fill(1) });
    this.tensors.set(`${prefix}.bias`, { shape: [n], data: new Float32Array(n) });
  }

  /** A PyTorch Linear: weight [out, in], bias [out]. */
  dense(prefix: string, out: number, inp: number): void {
    this.normal(`${prefix}.weight`, [out, inp]);
    this.tensors.set(`${prefix}.bias`, { shape: [out], data: new Float32Array(out) });
  }

  /** One post-LayerNorm transformer layer in Hugging Face's names (`qkv`: the attention's three projection names). */
  encoderLayer(prefix: string, qkv: readonly string[], H: number, I: number): void {
    for (const n of qkv) this.dense(`${prefix}.attention.self.${n}`, H, H);
    this.dense(`${prefix}.attention.output.dense`, H, H);
    this.layerNorm(`${prefix}.attention.output.LayerNorm`, H);
    this.dense(`${prefix}.intermediate.dense`, I, H);
    this.dense(`${prefix}.output.dense`, H, I);
    this.layerNorm(`${prefix}.output.LayerNorm`, H);
  }
}
