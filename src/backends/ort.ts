/**
 * The single door to ONNX Runtime. Every session in poolblend — the backbone and the heads'
 * training graphs — is created and run here, so that threads, providers and tensor
 * conversions are decided in one place.
 */
import * as ort from "onnxruntime-node";
import { availableParallelism } from "node:os";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { packageDir } from "../util/packageDir.js";
import { throwIfCancelled } from "../util/workerPool.js";

/** CUDA is tried only when the binding ships its provider library (it does not in the offline install). */
export function cudaAvailable(): boolean {
  const dir = packageDir("onnxruntime-node");
  return dir !== undefined && existsSync(join(dir, "bin/napi-v6", process.platform, process.arch, "libonnxruntime_providers_cuda.so"));
}

export type Feeds = Record<string, ort.Tensor>;
export type { Tensor as OrtTensor } from "onnxruntime-node";

export interface SessionOptions {
  /** Intra-op threads; default all cores. */
  threads?: number;
  /** Try CUDA first when the binding offers it. */
  preferCuda?: boolean;
  optimization?: "disabled" | "basic" | "extended" | "all";
}

/** A loaded model with a typed run method. */
export class OrtSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly provider: string,
  ) {}

  static async load(model: string | Uint8Array, opts: SessionOptions = {}): Promise<OrtSession> {
    throwIfCancelled();
    const base: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: opts.threads ?? availableParallelism(),
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: opts.optimization ?? "all",
      enableCpuMemArena: true,
      logSeverityLevel: 3,
    };
    const providers = opts.preferCuda && cudaAvailable() ? ["cuda", "cpu"] : ["cpu"];
    for (const p of providers) {
      try {
        const o = { ...base, executionProviders: [p] };
        const s = typeof model === "string" ? await ort.InferenceSession.create(model, o) : await ort.InferenceSession.create(model, o);
        return new OrtSession(s, p);
      } catch (e) {
        if (p === providers[providers.length - 1]) throw e;
      }
    }
    throw new Error("unreachable");
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(feeds: Feeds, outputs?: string[]): Promise<Record<string, ort.Tensor>> {
    throwIfCancelled();
    return outputs ? this.session.run(feeds, outputs) : this.session.run(feeds);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** int64 tensor from a BigInt64Array. */
export function int64(data: BigInt64Array, dims: number[]): ort.Tensor {
  return new ort.Tensor("int64", data, dims);
}

/** float32 tensor. */
export function float32(data: Float32Array, dims: number[]): ort.Tensor {
  return new ort.Tensor("float32", data, dims);
}

/** float64 tensor. */
export function float64(data: Float64Array, dims: number[]): ort.Tensor {
  return new ort.Tensor("float64", data, dims);
}

/** float16 tensor from raw half bits. */
export function float16(data: Uint16Array, dims: number[]): ort.Tensor {
  return new ort.Tensor("float16", data, dims);
}

/** Raw data of a float32 output. */
export function f32(t: ort.Tensor): Float32Array {
  return t.data as Float32Array;
}

/** Raw data of a float64 output. */
export function f64(t: ort.Tensor): Float64Array {
  return t.data as Float64Array;
}

/** Raw half bits of a float16 output. */
export function f16bits(t: ort.Tensor): Uint16Array {
  const d = t.data as unknown;
  if (d instanceof Uint16Array) return d;
  const a = d as { buffer: ArrayBuffer; byteOffset: number; length: number };
  return new Uint16Array(a.buffer, a.byteOffset, a.length);
}
