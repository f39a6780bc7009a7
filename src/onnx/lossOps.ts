/** Loss nodes shared by the graphs that train: the frozen heads' linear objective and the fine-tuning graph. */
import { DT, type GraphBuilder } from "./graphBuilder.js";

/** Binary cross-entropy with logits, element-wise: max(s, 0) − y·s + log(1 + e^−|s|), stable for any s. */
export function logisticLoss(g: GraphBuilder, s: string, y: string, type: typeof DT.FLOAT | typeof DT.DOUBLE = DT.FLOAT): string {
  const softplus = g.op("Add", [g.op("Relu", [s]), g.op("Log", [g.op("Add", [g.op("Exp", [g.op("Neg", [g.op("Abs", [s])])]), g.scalar(1, type)])])]);
  return g.op("Sub", [softplus, g.op("Mul", [y, s])]);
}
