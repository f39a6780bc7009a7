/**
 * What each family of models brings to the blend: the submitted method fitted again without the
 * family and scored the same way (in-sample and nested CV). "The blend is at least as good with
 * tf-idf as without it" and "ten heads beat the five frozen ones" are read off these numbers.
 */
import type { BlendMethod } from "../config.js";
import { blend, type BlendInput } from "./blend.js";

export interface Ablation {
  /** the family left out */
  without: string;
  /** the models the blend kept */
  models: string[];
  oofScore: number;
  nestedScore: number;
}

/** A family of models as the ablations see it (src/models/family.ts has both fields). */
export interface ModelGroup {
  label: string;
  names: readonly string[];
}

/** One refit of `method` per family that is present and not alone in the blend; the external files (`ext:` names) are one more family. */
export async function ablations(method: BlendMethod, input: BlendInput, columns: string[], families: readonly ModelGroup[]): Promise<Ablation[]> {
  const groups = [...families.map((f) => ({ name: f.label, member: (m: string) => f.names.includes(m) })), { name: "the external models", member: (m: string) => m.startsWith("ext:") }];
  const out: Ablation[] = [];
  for (const fam of groups) {
    const keep = input.names.map((n, i) => (fam.member(n) ? -1 : i)).filter((i) => i >= 0);
    if (keep.length === input.names.length || keep.length === 0) continue;
    const pick = <T>(xs: readonly T[]): T[] => keep.map((i) => xs[i]);
    const r = await blend(method, { names: pick(input.names), oof: pick(input.oof), test: pick(input.test), ctx: input.ctx }, columns);
    out.push({ without: fam.name, models: pick(input.names), oofScore: r.oofScore, nestedScore: r.nestedScore });
  }
  return out;
}
