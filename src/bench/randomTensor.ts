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
