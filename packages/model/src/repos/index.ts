export {
  tritonConfigPbtxt,
  writeTritonRepo,
  type TritonDynamicBatching,
  type TritonRepo,
  type TritonRepoOptions,
} from './triton.js';
export { ensureTfServingRepo, tfPython, EXPORT_SCRIPT, PYTHON_DIR, type TfServingRepo } from './tfserving.js';
