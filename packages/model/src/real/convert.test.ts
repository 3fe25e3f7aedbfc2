// Conversion on small synthetic inputs: a HF checkpoint written from the forge's own tiny weights
// must give the forged model's embeddings; an ONNX export (the forged graph cut at the last hidden
// state) must too after the pooling head is appended; CLS/max/Normalize follow modules.json; every
// bad input fails with an error naming the file (and tensor).
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIGS } from '../configs.js';
import { ensureModel } from '../files.js';
import { forgeOnnx } from '../forge.js';
import { buildGraph, floatOutput } from '../graph.js';
import { onnx } from '../onnx.js';
import { maxAbsDiff, openSession, padBatch, randomSentence, runEmbed } from '../testing/ort.js';
import { vocabText } from '../vocab.js';
import { generateWeights } from '../weights.js';
import { writeSafetensors } from './safetensors.js';

const c = CONFIGS.tiny;
const SEED = 5;
let root: string;
let work: string;

/** The tiny forged weights as a Hugging Face BertModel checkpoint ([out, in] Linear kernels). */
function hfTensors(): Record<string, { shape: number[]; data: Float32Array }> {
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const w of generateWeights(c, SEED)) {
    if (w.dims.length === 2 && !w.name.startsWith('embeddings.')) {
      const [i, o] = w.dims as [number, number];
      const t = new Float32Array(i * o);
      for (let k = 0; k < i; k++) for (let r = 0; r < o; r++) t[r * i + k] = w.data[k * o + r] as number;
      out[w.name] = { shape: [o, i], data: t };
    } else out[w.name] = { shape: w.dims, data: w.data };
  }
  return out;
}

const hfConfig = {
  model_type: 'bert',
  vocab_size: c.vocabSize,
  hidden_size: c.hiddenSize,
  num_hidden_layers: c.numLayers,
  num_attention_heads: c.numHeads,
  intermediate_size: c.intermediateSize,
  max_position_embeddings: c.maxPositions,
  type_vocab_size: c.typeVocabSize,
  layer_norm_eps: c.layerNormEps,
  hidden_act: 'gelu',
};

async function writeCheckpoint(dir: string, extra: Record<string, string | Uint8Array> = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(hfConfig));
  await writeFile(join(dir, 'model.safetensors'), writeSafetensors(hfTensors()));
  await writeFile(join(dir, 'vocab.txt'), vocabText());
  await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true, model_max_length: 128 }));
  for (const [name, data] of Object.entries(extra)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), data);
  }
  return dir;
}

/** The forged tiny graph cut at the last hidden state: an "export" with output last_hidden_state. */
function hiddenStateExport(): Uint8Array {
  const g = buildGraph(c, generateWeights(c, SEED));
  const last = `/encoder/layer.${c.numLayers - 1}/output/LayerNorm/LayerNormalization`;
  g.node = (g.node ?? []).filter((n) => !(n.name ?? '').startsWith('/pooler'));
  g.node.push({ name: 'hidden', opType: 'Identity', input: [last], output: ['last_hidden_state'] });
  g.output = [floatOutput('last_hidden_state', ['batch', 'sequence', c.hiddenSize])];
  return onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: g }).finish();
}

const batch = padBatch([{ ids: randomSentence(1, 9) }, { ids: randomSentence(2, 4) }, { ids: randomSentence(3, 6) }]);

async function embed(model: string | Uint8Array): Promise<Float32Array[]> {
  const s = await openSession(model);
  try {
    return (await runEmbed(s, batch)).rows;
  } finally {
    await s.release();
  }
}

/** last_hidden_state rows of the cut graph, [batch][seq][H]. */
async function hidden(): Promise<Float32Array[][]> {
  const s: ort.InferenceSession = await openSession(hiddenStateExport());
  const b = batch.inputIds.length;
  const n = batch.inputIds[0]!.length;
  const t = (rows: number[][]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [b, n]);
  const out = await s.run({
    input_ids: t(batch.inputIds),
    attention_mask: t(batch.attentionMask),
    token_type_ids: t(batch.tokenTypeIds),
  });
  await s.release();
  const d = out.last_hidden_state!.data as Float32Array;
  const H = c.hiddenSize;
  return Array.from({ length: b }, (_, i) =>
    Array.from({ length: n }, (_, j) => d.slice((i * n + j) * H, (i * n + j + 1) * H)),
  );
}

function l2(v: Float32Array): Float32Array {
  const n = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  return v.map((x) => x / Math.max(n, 1e-12));
}

const modules = (pooling: object, normalize: boolean): Record<string, string> => ({
  'modules.json': JSON.stringify([
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    ...(normalize ? [{ idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' }] : []),
  ]),
  '1_Pooling/config.json': JSON.stringify({
    word_embedding_dimension: c.hiddenSize,
    pooling_mode_cls_token: false,
    pooling_mode_mean_tokens: false,
    pooling_mode_max_tokens: false,
    ...pooling,
  }),
});

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'servebench-convert-'));
  root = join(work, 'models');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('a Hugging Face directory', { timeout: 120_000 }, () => {
  it('converts to the same embeddings as the forged model, with the checkpoint tokenizer settings, and caches', async () => {
    const dir = await writeCheckpoint(join(work, 'plain'));
    const m = await ensureModel(dir, { root });
    expect(m.config).toMatchObject({ hiddenSize: 128, numLayers: 2, numHeads: 2 });
    expect(m.pooling).toEqual({ mode: 'mean', normalize: false });
    expect(m.tokenizer).toEqual({ lowercase: true, stripAccents: true, tokenizeChineseChars: true, maxLength: 128 });
    expect(m.source).toMatchObject({ kind: 'checkpoint', name: 'plain' });
    const want = await embed(forgeOnnx(c, SEED));
    const got = await embed(m.onnx);
    for (let i = 0; i < want.length; i++) expect(maxAbsDiff(got[i]!, want[i]!)).toBeLessThan(1e-5);
    expect(await readFile(m.vocab, 'utf8')).toBe(vocabText());
    // Same sources: same cache entry, not converted again.
    expect((await ensureModel(dir, { root })).dir).toBe(m.dir);
  });

  it('follows modules.json: CLS + Normalize and max pooling', async () => {
    const h = await hidden();
    const cls = await ensureModel(
      await writeCheckpoint(join(work, 'cls'), modules({ pooling_mode_cls_token: true }, true)),
      { root },
    );
    expect(cls.pooling).toEqual({ mode: 'cls', normalize: true });
    const gotCls = await embed(cls.onnx);
    h.forEach((rows, i) => expect(maxAbsDiff(gotCls[i]!, l2(rows[0]!))).toBeLessThan(1e-5));

    const max = await ensureModel(
      await writeCheckpoint(join(work, 'max'), modules({ pooling_mode_max_tokens: true }, false)),
      { root },
    );
    const gotMax = await embed(max.onnx);
    h.forEach((rows, i) => {
      const real = rows.filter((_, j) => batch.attentionMask[i]![j] === 1);
      const want = real[0]!.map((_, k) => Math.max(...real.map((r) => r[k]!)));
      expect(maxAbsDiff(gotMax[i]!, want)).toBeLessThan(1e-6);
    });
  });
});

describe('an ONNX export', { timeout: 120_000 }, () => {
  it('gets the pooling head appended and outputs embedding; the user file is left as it was', async () => {
    const dir = join(work, 'export');
    await mkdir(dir, { recursive: true });
    const bytes = hiddenStateExport();
    await writeFile(join(dir, 'model.onnx'), bytes);
    await writeFile(join(dir, 'vocab.txt'), vocabText());
    const m = await ensureModel(join(dir, 'model.onnx'), { root });
    expect(m.source?.kind).toBe('onnx-export');
    expect(m.config.hiddenSize).toBe(128);
    const want = await embed(forgeOnnx(c, SEED));
    const got = await embed(m.onnx);
    for (let i = 0; i < want.length; i++) expect(maxAbsDiff(got[i]!, want[i]!)).toBeLessThan(1e-5);
    expect(Buffer.compare(await readFile(join(dir, 'model.onnx')), bytes)).toBe(0);
    // The directory form finds model.onnx too.
    expect((await ensureModel(dir, { root })).sha256).toBe(m.sha256);
  });

  it('without last_hidden_state: a clear error', async () => {
    const dir = join(work, 'no-hidden');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'model.onnx'), forgeOnnx(c, SEED));
    await writeFile(join(dir, 'vocab.txt'), vocabText());
    await expect(ensureModel(dir, { root })).rejects.toThrow(
      /MODEL_UNSUPPORTED: .*no-hidden\/model\.onnx: the graph has no output last_hidden_state/,
    );
  });
});

describe('bad input', { timeout: 120_000 }, () => {
  it('a truncated safetensors file names the file', async () => {
    const dir = await writeCheckpoint(join(work, 'truncated'));
    const full = await readFile(join(dir, 'model.safetensors'));
    await writeFile(join(dir, 'model.safetensors'), full.subarray(0, full.length - 100));
    await expect(ensureModel(dir, { root })).rejects.toThrow(
      /MODEL_BAD_SAFETENSORS: .*truncated\/model\.safetensors: tensor .* truncated\?/,
    );
  });

  it('a corrupted cached conversion is reported, naming the file, not silently used', async () => {
    const dir = await writeCheckpoint(join(work, 'cached'));
    const m = await ensureModel(dir, { root });
    const bytes = await readFile(m.onnx);
    await writeFile(m.onnx, bytes.subarray(0, bytes.length >> 1));
    await expect(ensureModel(dir, { root })).rejects.toThrow(/MODEL_CORRUPT: .*model\.onnx has sha256 .*truncated/);
  });

  it('a non-WordPiece tokenizer (BPE, Unigram) says what is supported', async () => {
    for (const type of ['BPE', 'Unigram']) {
      const dir = await writeCheckpoint(join(work, `tok-${type}`), {
        'tokenizer.json': JSON.stringify({ model: { type, vocab: {} } }),
      });
      await expect(ensureModel(dir, { root })).rejects.toThrow(
        new RegExp(
          `MODEL_UNSUPPORTED_TOKENIZER: .*tokenizer\\.json: tokenizer model "${type}" is not supported; only BERT WordPiece`,
        ),
      );
    }
  });

  it('unsupported model_type, a pickle-only checkpoint, a missing tensor, a wrong dtype, a wrong shape', async () => {
    const roberta = await writeCheckpoint(join(work, 'roberta'));
    await writeFile(join(roberta, 'config.json'), JSON.stringify({ ...hfConfig, model_type: 'roberta' }));
    await expect(ensureModel(roberta, { root })).rejects.toThrow(
      /MODEL_UNSUPPORTED: .*roberta\/config\.json: model_type "roberta" is not supported; supported: .*model_type "bert"/,
    );

    const pickle = await writeCheckpoint(join(work, 'pickle'));
    await rm(join(pickle, 'model.safetensors'));
    await writeFile(join(pickle, 'pytorch_model.bin'), 'not loaded');
    await expect(ensureModel(pickle, { root })).rejects.toThrow(
      /MODEL_UNSUPPORTED: .*pytorch_model\.bin is a Python pickle/,
    );

    const t = hfTensors();
    const missing = await writeCheckpoint(join(work, 'missing'));
    const { ['encoder.layer.1.output.dense.bias']: _gone, ...rest } = t;
    await writeFile(join(missing, 'model.safetensors'), writeSafetensors(rest));
    await expect(ensureModel(missing, { root })).rejects.toThrow(
      /MODEL_MISSING_TENSOR: .*missing\/model\.safetensors: no tensor encoder\.layer\.1\.output\.dense\.bias/,
    );

    const shape = await writeCheckpoint(join(work, 'shape'));
    await writeFile(join(shape, 'config.json'), JSON.stringify({ ...hfConfig, intermediate_size: 256 }));
    await expect(ensureModel(shape, { root })).rejects.toThrow(
      /MODEL_SHAPE_MISMATCH: .*shape\/model\.safetensors: tensor encoder\.layer\.0\.intermediate\.dense\.weight is \[512,128\], config\.json implies \[256,128\]/,
    );

    // An I32 tensor where a float one belongs.
    const dtype = await writeCheckpoint(join(work, 'dtype'));
    const st = writeSafetensors(t);
    const hlen = Number(new DataView(st.buffer).getBigUint64(0, true));
    const header = Buffer.from(st.subarray(8, 8 + hlen))
      .toString('utf8')
      .replace(/"embeddings\.LayerNorm\.bias":\{"dtype":"F32"/, '"embeddings.LayerNorm.bias":{"dtype":"I32"');
    const patched = Buffer.concat([
      Buffer.from(st.subarray(0, 8)),
      Buffer.from(header),
      Buffer.from(st.subarray(8 + hlen)),
    ]);
    await writeFile(join(dtype, 'model.safetensors'), patched);
    await expect(ensureModel(dtype, { root })).rejects.toThrow(
      /MODEL_BAD_DTYPE: .*dtype\/model\.safetensors: tensor embeddings\.LayerNorm\.bias is I32; supported: F32, F16, BF16/,
    );
  });

  it('an unknown name or a missing path lists the choices', async () => {
    await expect(ensureModel(join(work, 'nope'), { root })).rejects.toThrow(
      /MODEL_UNKNOWN: .*expected tiny, mini, small, base/,
    );
  });
});
