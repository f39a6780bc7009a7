/** Kept so existing importers keep working: the names now live in src/models/names.ts (below the config). */
export { FINETUNED_NAMES, HEAD_NAMES, finetunedHead, type FinetunedName, type HeadName } from "../models/names.js";
