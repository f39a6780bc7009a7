/**
 * The model families a run can list: poolblend's own (the frozen pooling heads, their fine-tuned
 * twins, tfidf) and any module a config names under "modelFamilies" (paths relative to the config
 * file; each module's default export is a ModelFamily, src/models/family.ts). A lineup parses every
 * family's slice of the config, checks the models `heads` lists, and answers for each model what
 * the feature pass, the OOF runner and the queue need — without knowing any family by name.
 */
import { pathToFileURL } from "node:url";
import { checks, type Checks, type RawConfig } from "../models/checks.js";
import type { ModelFamily, ProblemSize, TrainTexts } from "../models/family.js";
import { headsFamily } from "../heads/family.js";
import { finetuneFamily } from "../finetune/family.js";
import { lexicalFamily } from "../lexical/family.js";
import { UserError } from "../util/errors.js";
import { codeFingerprint, trainerKey } from "./code.js";

/** poolblend's own families, in the order the config's error messages list their models. */
export const BUILT_IN: readonly ModelFamily[] = [headsFamily, finetuneFamily, lexicalFamily];

/** A family as one run uses it: its options, and the module that declared it (none for poolblend's own). */
interface Member {
  family: ModelFamily;
  options: unknown;
  module?: string;
}

const FAMILY_KEYS = ["names", "label", "parseOptions", "cacheOptions", "trainer", "priorSeconds"] as const;

/** The default export of a family module, checked for the shape a family must have. */
export async function importFamily(module: string, what: string): Promise<ModelFamily> {
  let exported: unknown;
  try {
    exported = ((await import(pathToFileURL(module).href)) as { default?: unknown }).default;
  } catch (e) {
    throw new UserError(`${what}: cannot load ${module} (${(e as Error).message.split("\n")[0]})`);
  }
  const f = exported as Partial<Record<(typeof FAMILY_KEYS)[number], unknown>> | undefined;
  const missing = typeof f === "object" && f !== null ? FAMILY_KEYS.filter((k) => (k === "names" ? !Array.isArray(f[k]) : k === "label" ? typeof f[k] !== "string" : typeof f[k] !== "function")) : FAMILY_KEYS;
  if (missing.length) throw new UserError(`${what}: the default export of ${module} is not a model family (missing ${missing.join(", ")})`);
  return exported as ModelFamily;
}

/** What a config names for the lineup: its raw merged JSON (the families' slices), its file, its family modules and models. */
export interface LineupSource {
  raw: RawConfig;
  configFile: string;
  modelFamilies: string[];
  heads: string[];
}

export class ModelLineup {
  private constructor(private readonly members: ReadonlyMap<string, Member>) {}

  /** poolblend's families and the config's family modules, every slice parsed and every listed model checked. */
  static async load(src: LineupSource): Promise<ModelLineup> {
    const k = checks(src.configFile);
    const extra: { family: ModelFamily; module: string }[] = [];
    for (const [i, module] of src.modelFamilies.entries()) extra.push({ family: await importFamily(module, `${src.configFile}: "modelFamilies[${i}]"`), module });
    const lineup = ModelLineup.of([...BUILT_IN.map((family) => ({ family })), ...extra], src.raw, k);
    src.heads.forEach((h, i) => k.oneOf(h, `heads[${i}]`, lineup.names));
    return lineup;
  }

  /** A lineup of poolblend's own families only (its options parsed from `raw`). */
  static builtIn(raw: RawConfig = {}, configFile = "config"): ModelLineup {
    return ModelLineup.of(BUILT_IN.map((family) => ({ family })), raw, checks(configFile));
  }

  private static of(families: { family: ModelFamily; module?: string }[], raw: RawConfig, k: Checks): ModelLineup {
    const members = new Map<string, Member>();
    for (const { family, module } of families) {
      const options = family.parseOptions(raw, k);
      for (const name of family.names) {
        if (members.has(name)) k.bad("modelFamilies", `${module ?? "poolblend"} serves ${name}, which ${members.get(name)!.module ?? "poolblend"} serves already`);
        members.set(name, { family, options, ...(module ? { module } : {}) });
      }
    }
    return new ModelLineup(members);
  }

  /** The families, each once, in order. */
  families(): ModelFamily[] {
    return [...new Set([...this.members.values()].map((m) => m.family))];
  }

  /** Every model name the config may list, in order. */
  get names(): string[] {
    return [...this.members.keys()];
  }

  private member(name: string): Member {
    const m = this.members.get(name);
    if (!m) throw new Error(`no model family serves ${name}`);
    return m;
  }

  /** The family that serves `name`. */
  family(name: string): ModelFamily {
    return this.member(name).family;
  }

  /** The options a fold job of `name` receives (plain JSON). */
  options(name: string): unknown {
    return this.member(name).options;
  }

  /** The config-named module that declares `name`'s family; undefined for poolblend's own. */
  module(name: string): string | undefined {
    return this.member(name).module;
  }

  /** What `name`'s fold results depend on besides data, code and seed. */
  cacheOptions(name: string): Record<string, unknown> {
    const m = this.member(name);
    return m.family.cacheOptions(name, m.options);
  }

  trainer(name: string): URL {
    return this.member(name).family.trainer(name);
  }

  /** Fingerprint of the code `name` runs (src/registry/code.ts). */
  code(name: string): string {
    return codeFingerprint(this.trainer(name));
  }

  /** Models that run the same trainer module cost alike per unit of prior (src/oof/schedule.ts). */
  costGroup(name: string): string {
    return trainerKey(this.trainer(name));
  }

  priorSeconds(name: string, size: ProblemSize): number {
    const m = this.member(name);
    return m.family.priorSeconds(name, size, m.options);
  }

  /** The hidden layers the feature pass must store for `models` (sorted, each once). */
  lowerLayers(models: readonly string[], numLayers: number): number[] {
    const layers = new Set<number>();
    for (const name of models) {
      const m = this.member(name);
      const l = m.family.lowerLayer?.(name, m.options, numLayers);
      if (l !== undefined) layers.add(l);
    }
    return [...layers].sort((a, b) => a - b);
  }

  /** Whether any of `models` needs an input built from the texts. */
  needsTexts(models: readonly string[]): boolean {
    return models.some((name) => this.member(name).family.shared !== undefined);
  }

  /** The input `name`'s family shares between its fold jobs, built once per family for `texts`; undefined if it needs none. */
  sharedInput(name: string, texts: TrainTexts, cache: Map<ModelFamily, Promise<unknown>>): Promise<unknown> | undefined {
    const m = this.member(name);
    const build = m.family.shared;
    if (!build) return undefined;
    if (!cache.has(m.family)) cache.set(m.family, build.call(m.family, texts, m.options));
    return cache.get(m.family);
  }
}
