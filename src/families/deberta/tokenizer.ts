/** DeBERTa-v3's hub folders ship `spm.model` (and tokenizer_config.json), no tokenizer.json: convert it. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readSpmModel } from "../../tokenizers/sentencepiece/modelProto.js";
import { spmToTokenizerJson } from "../../tokenizers/sentencepiece/toTokenizerJson.js";

export function debertaTokenizerFromFolder(dir: string): Record<string, unknown> | undefined {
  const spm = join(dir, "spm.model");
  if (!existsSync(spm)) return undefined;
  const cfgFile = join(dir, "tokenizer_config.json");
  let cfg: Record<string, unknown> = {};
  try {
    if (existsSync(cfgFile)) cfg = JSON.parse(readFileSync(cfgFile, "utf8")) as Record<string, unknown>;
  } catch {
    cfg = {};
  }
  return spmToTokenizerJson(readSpmModel(spm), spm, { doLowerCase: cfg.do_lower_case === true, splitByPunct: cfg.split_by_punct === true });
}
