/**
 * A tiny ONNX graph builder over the `onnx-proto` protobuf classes: enough to write a BERT encoder,
 * pooling reductions and small training graphs without Python.
 */
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
type AttrValue = number | string | number[] | { ints: number[] } | { float: number } | { tensor: onnxProto.onnx.ITensorProto };

/** ONNX element types used here. */
export const DT = { FLOAT: 1, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11 } as const;
export type ElemType = (typeof DT)[keyof typeof DT];

export interface ValueSpec {
  name: string;
  type: ElemType;
  /** Dimensions: numbers or symbolic names. */
  dims: (number | string)[];
}

function valueInfo(v: ValueSpec): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: v.type,
        shape: { dim: v.dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === "string") return { name, type: T.STRING, s: Buffer.from(v, "utf8") };
  if (typeof v === "number") return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ("ints" in v) return { name, type: T.INTS, ints: v.ints };
  if ("float" in v) return { name, type: T.FLOAT, f: v.float };
  return { name, type: T.TENSOR, t: v.tensor };
}

/** Accumulates nodes, initializers, inputs and outputs; `toBytes` serialises the model. */
export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly inits: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private n = 0;
  /** prepended to generated names, so an extended graph's own names never collide */
  private prefix = "";

  constructor(private readonly opset = 17) {}

  /**
   * Starts from an existing model: its nodes, initializers and inputs are kept, its outputs
   * dropped (the caller declares new ones). Opset is raised to at least 17.
   */
  static extend(bytes: Uint8Array): { g: GraphBuilder; outputs: onnxProto.onnx.IValueInfoProto[]; inputs: onnxProto.onnx.IValueInfoProto[] } {
    const m = onnx.ModelProto.decode(bytes);
    const graph = m.graph!;
    const opset = Math.max(17, ...(m.opsetImport ?? []).filter((o) => !o.domain).map((o) => Number(o.version)));
    // the appended reductions use the opset-17 forms (ReduceMax/Min axes as attributes)
    if (opset > 17) throw new Error(`model uses ONNX opset ${opset}; poolblend can extend graphs up to opset 17`);
    const g = new GraphBuilder(opset);
    g.prefix = "pb_";
    g.nodes.push(...(graph.node ?? []));
    g.inits.push(...(graph.initializer ?? []));
    g.inputs.push(...(graph.input ?? []));
    return { g, outputs: graph.output ?? [], inputs: graph.input ?? [] };
  }

  input(v: ValueSpec): string {
    this.inputs.push(valueInfo(v));
    return v.name;
  }

  output(v: ValueSpec): void {
    this.outputs.push(valueInfo(v));
  }

  /** Adds a float32 initializer. */
  floats(name: string, dims: number[], data: Float32Array | number[]): string {
    const f = data instanceof Float32Array ? data : Float32Array.from(data);
    this.inits.push({ name, dims, dataType: DT.FLOAT, rawData: new Uint8Array(f.buffer, f.byteOffset, f.byteLength) });
    return name;
  }

  /** Adds an int8 initializer. */
  int8s(name: string, dims: number[], data: Int8Array): string {
    this.inits.push({ name, dims, dataType: DT.INT8, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return name;
  }

  /** Adds an int64 initializer. */
  ints(name: string, dims: number[], data: number[]): string {
    const b = BigInt64Array.from(data.map((x) => BigInt(x)));
    this.inits.push({ name, dims, dataType: DT.INT64, rawData: new Uint8Array(b.buffer) });
    return name;
  }

  /** A scalar float (or double) constant, deduplicated by value. */
  scalar(x: number, type: typeof DT.FLOAT | typeof DT.DOUBLE = DT.FLOAT): string {
    const name = `${this.prefix}${type === DT.DOUBLE ? "d" : "c"}_${x}`;
    if (this.inits.some((t) => t.name === name)) return name;
    if (type === DT.FLOAT) return this.floats(name, [], [x]);
    const f = Float64Array.of(x);
    this.inits.push({ name, dims: [], dataType: DT.DOUBLE, rawData: new Uint8Array(f.buffer) });
    return name;
  }

  /** An int64 1-D constant, deduplicated by value. */
  intList(xs: number[]): string {
    const name = `${this.prefix}i_${xs.join("_")}`;
    if (!this.inits.some((t) => t.name === name)) this.ints(name, [xs.length], xs);
    return name;
  }

  /** An int64 scalar constant, deduplicated by value. */
  intScalar(x: number): string {
    const name = `${this.prefix}s_${x}`;
    if (!this.inits.some((t) => t.name === name)) this.ints(name, [], [x]);
    return name;
  }

  /** Adds a node; returns its output name (generated unless given). */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outName?: string, domain?: string): string {
    return this.ops(opType, inputs, [outName ?? `${this.prefix}${opType.toLowerCase()}_${this.n++}`], attrs, domain)[0];
  }

  /** Adds a node with several named outputs. */
  ops(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, domain?: string): string[] {
    this.nodes.push({
      opType,
      input: inputs,
      output: outputs,
      name: `${this.prefix}${opType}_${this.n++}`,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      ...(domain ? { domain } : {}),
    });
    return outputs;
  }

  toBytes(graphName: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: "poolblend",
      opsetImport: [{ domain: "", version: this.opset }, { domain: "com.microsoft", version: 1 }],
      graph: { name: graphName, node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
