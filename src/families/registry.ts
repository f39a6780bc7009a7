/** The encoder families poolblend can read, found by config.json's `model_type`. */
import { existsSync, readFileSync } from "node:fs";
import { UserError } from "../util/errors.js";
import type { EncoderConfig, EncoderFamily } from "./types.js";
import { bert } from "./bert.js";
import { roberta } from "./roberta.js";
import { electra } from "./electra.js";
import { deberta } from "./deberta.js";

export const FAMILIES: readonly EncoderFamily[] = [bert, roberta, electra, deberta];

/** The family reading `model_type`; an unknown one is a UserError naming `file`. */
export function familyOf(modelType: string, file: string): EncoderFamily {
  const f = FAMILIES.find((x) => x.modelTypes.includes(modelType));
  if (!f) throw new UserError(`${file}: model_type "${modelType}" is not supported (supported: ${FAMILIES.flatMap((x) => x.modelTypes).join(", ")})`);
  return f;
}

/** Reads a checkpoint's config.json: its family and config. A config without `model_type` is read as BERT. */
export function readModelConfig(file: string): { family: EncoderFamily; cfg: EncoderConfig } {
  if (!existsSync(file)) throw new UserError(`${file}: not found`);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const family = familyOf(typeof raw.model_type === "string" ? raw.model_type : "bert", file);
  return { family, cfg: family.parseConfig(raw, file) };
}
