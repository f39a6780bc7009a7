/** A checkpoint's tensors as a family names them: hub prefixes stripped, task heads set aside. */
import { UserError } from "../util/errors.js";
import type { Tensor } from "../io/safetensors.js";
import type { EncoderFamily } from "./types.js";

export interface EncoderTensors {
  /** encoder tensors by prefix-free name */
  tensors: Map<string, Tensor>;
  /** names of the tensors that are not the encoder's (task heads), as stored */
  ignored: string[];
  /** a tensor by prefix-free name; missing: a UserError naming `file` */
  get(name: string): Tensor;
}

/** Strips the first of the family's prefixes found on an encoder tensor (or none) and splits off heads. */
export function encoderTensors(family: EncoderFamily, all: ReadonlyMap<string, Tensor>, file: string): EncoderTensors {
  const names = [...all.keys()];
  const prefix = family.prefixes.find((p) => names.some((n) => n.startsWith(p) && family.isEncoderTensor(n.slice(p.length)))) ?? "";
  const tensors = new Map<string, Tensor>();
  const ignored: string[] = [];
  for (const [name, t] of all) {
    const bare = name.startsWith(prefix) ? name.slice(prefix.length) : name;
    if (name.startsWith(prefix) && family.isEncoderTensor(bare)) tensors.set(bare, t);
    else ignored.push(name);
  }
  const get = (name: string): Tensor => {
    const t = tensors.get(name);
    if (!t) throw new UserError(`${file}: tensor ${prefix + name} missing (needed by the ${family.modelTypes[0]} encoder)`);
    return t;
  };
  return { tensors, ignored, get };
}
