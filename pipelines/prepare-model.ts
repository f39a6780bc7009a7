import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { main } from "../src/cli.js";
import { importModel } from "../src/backbone/importModel.js";
import { FAMILIES } from "../src/families/registry.js";

main(async () => {
  const a = await yargs(hideBin(process.argv))
    .scriptName("npm run prepare-model --")
    .usage(`$0 --from SOURCE --out models/NAME [--tokenizer tokenizer.json]\n\nSOURCE: a Hugging Face checkpoint folder (config.json with model_type ${FAMILIES.flatMap((f) => f.modelTypes).join(", ")}; one *.safetensors; tokenizer.json, or DeBERTa-v3's spm.model) or an ONNX file with hidden_states.0..L outputs.`)
    .option("from", { type: "string", demandOption: true })
    .option("out", { type: "string", demandOption: true })
    .option("tokenizer", { type: "string" })
    .help()
    .version(false)
    .parseAsync();
  const card = importModel(a.from, a.out, a.tokenizer, (line) => process.stderr.write(`${line}\n`));
  process.stderr.write(`prepared ${a.out}: ${card.numLayers} layers, hidden ${card.hiddenSize}; set backbone.model to this folder\n`);
});
