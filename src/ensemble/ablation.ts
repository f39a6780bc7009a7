/**
 * What each family of models brings to the blend: the submitted method fitted again without the
 * family and scored the same way (in-sample and nested CV). "The blend is at least as good with
 * tf-idf as without it" and "ten heads beat the five frozen ones" are read off these numbers.
 */
import { HEAD_NAMES, type BlendMethod } from "../config.js";
import { blend, type BlendInput } from "./blend.js";

export interface Ablation {
  /** the family left out */
  without: string;
  /** the models the blend kept */
  models: string[];
  oofScore: number;
  nestedScore: number;
}

const FAMILIES: { name: string; member: (model: string) => boolean }[] = [
  { name: "the frozen heads", member: (m) => (HEAD_NAMES as readonly string[]).includes(m) },
  { name: "the fine-tuned heads", member: (m) => m.endsWith("-ft") },
  { name: "tfidf", member: (m) => m === "tfidf" },
  { name: "the external models", member: (m) => m.startsWith("ext:") },
];

/** One refit of `method` per family that is present and not alone in the blend. */
export async function ablations(method: BlendMethod, input: BlendInput, columns: string[]): Promise<Ablation[]> {
  const out: Ablation[] = [];
  for (const fam of FAMILIES) {
    const keep = input.names.map((n, i) => (fam.member(n) ? -1 : i)).filter((i) => i >= 0);
    if (keep.length === input.names.length || keep.length === 0) continue;
    const pick = <T>(xs: readonly T[]): T[] => keep.map((i) => xs[i]);
    const r = await blend(method, { names: pick(input.names), oof: pick(input.oof), test: pick(input.test), ctx: input.ctx }, columns);
    out.push({ without: fam.name, models: pick(input.names), oofScore: r.oofScore, nestedScore: r.nestedScore });
  }
  return out;
}
