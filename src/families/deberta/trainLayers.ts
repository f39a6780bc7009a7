import { UserError } from "../../util/errors.js";
import type { EncoderConfig, TrainableStack } from "../types.js";

export function debertaStack(_cfg: EncoderConfig): TrainableStack {
  throw new UserError("the fine-tuned heads do not support deberta-v2 yet");
}
