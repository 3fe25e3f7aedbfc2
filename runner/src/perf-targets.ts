// Issue 17's targets for `servebench perf`, measured side by side (alternating rounds, medians) on
// stacks that perf.ts launched under one placement: Node HTTP stacks on ort against fastapi+ort,
// grpc+ort against fastify+ort, and the runner's load engine against wrk and ghz on the load CPUs.
import { HELLO_BODY, ROUTES, type Task } from '@servebench/contract';
import { runLoad } from './load/engine.js';
import { runGrpcLoad } from './load/grpc-engine.js';
import { buildGrpcWorkload } from './load/grpc-workload.js';
import { ghzPath, runGhz } from './load/grpc-ghz.js';
import { runWrk, wrkAvailable } from './load/wrk.js';
import type { Launched } from './launch/process.js';
import { EMBED_TOLERANCE } from './run.js';
import { buildWorkload, type Oracle, type Workload } from './workload.js';

export interface PerfRow {
  target: string;
  measured: string;
  ratio: number;
  goal: string;
  pass: boolean;
}

export interface TargetContext {
  /** Launched stacks by stack id (`fastify+ort`, `fastapi+ort`, `grpc+ort`, ...). */
  stacks: Record<string, Launched>;
  texts: string[];
  oracle: Oracle;
  durationS: number;
  /** CPUs of the load set (length 1 when pinned on 2 cores); undefined when unpinned. */
  loadCpus?: readonly number[];
  sideBySide: (targets: Record<string, () => Promise<number>>) => Promise<Record<string, number>>;
  row: (target: string, measured: string, ratio: number, goal: number, higherIsBetter?: boolean) => void;
  /** A row with no goal: context for reading the targets (e.g. how near a stack is to the raw runtime call). */
  report: (target: string, measured: string, ratio: number) => void;
  /** The raw in-process runtime call (tokenize + pad + onnxruntime, no server) at a concurrency, req/s. */
  raw?: (concurrency: number) => Promise<number>;
  /** The minimal framework apps (hello_world only), by framework name. */
  minimal?: Record<string, Launched>;
}

const NODE_HTTP = ['express+ort', 'fastify+ort', 'hono+ort', 'koa+ort'];
const PEER = 'fastapi+ort';

/** GET /hello_world, checked against the exact body. */
export const HELLO_WORKLOAD: Workload = {
  requests: [{ method: 'GET', path: ROUTES.hello }],
  expect: [{ kind: 'exact', body: HELLO_BODY }],
};

/** One closed-loop cell with bench:perf's fixed settings (1 s warm-up, 1 s windows, 10 s timeout). */
export const closedLoad = (l: Launched, wl: Workload, concurrency: number, durationS: number) =>
  runLoad({
    host: l.host,
    port: l.port,
    ...wl,
    mode: 'closed',
    concurrency,
    warmupMs: 1000,
    durationMs: durationS * 1000,
    windowMs: 1000,
    timeoutMs: 10_000,
  });

export async function issueTargets(x: TargetContext): Promise<void> {
  const ms = x.durationS * 1000;
  const http = (l: Launched, wl: Workload, c: number) => closedLoad(l, wl, c, x.durationS).then((r) => r.rps);
  const wl: Partial<Record<Task, Workload>> = {
    hello_world: HELLO_WORKLOAD,
    tokenize: await buildWorkload('tokenize', x.texts, x.oracle, EMBED_TOLERANCE),
    predict: await buildWorkload('predict', x.texts, x.oracle, EMBED_TOLERANCE),
  };
  const peer = x.stacks[PEER];
  const node = NODE_HTTP.filter((id) => x.stacks[id]);
  const fmt = (a: number, b: number) => `${a.toFixed(0)} vs ${b.toFixed(0)} req/s`;

  // Target 2: every Node HTTP stack on ort against fastapi+ort.
  if (peer) {
    const cells: Array<[Task, number, number]> = [
      ['predict', 8, 1.2],
      ['predict', 32, 1.2],
      ['hello_world', 64, 4],
      ['tokenize', 64, 4],
    ];
    for (const [task, c, goal] of cells) {
      process.stderr.write(`perf: Node vs ${PEER}, ${task} c=${c}\n`);
      // Beside them, what bounds the ratio: the raw runtime call for predict (one model thread serves every
      // stack, so no stack passes it), and express's own minimal app for hello_world.
      const raw = task === 'predict' ? x.raw : undefined;
      const minimalExpress = task === 'hello_world' ? x.minimal?.express : undefined;
      const m = await x.sideBySide({
        ...Object.fromEntries([PEER, ...node].map((id) => [id, () => http(x.stacks[id]!, wl[task]!, c)])),
        ...(raw ? { raw: () => raw(c) } : {}),
        ...(minimalExpress ? { 'minimal express': () => http(minimalExpress, wl.hello_world!, c) } : {}),
      });
      for (const id of node) x.row(`${id} vs ${PEER}, ${task} c=${c}`, fmt(m[id]!, m[PEER]!), m[id]! / m[PEER]!, goal);
      if (m.raw !== undefined) {
        const best = node.reduce((a, b) => (m[b]! > m[a]! ? b : a));
        for (const id of [PEER, best])
          x.report(`${id} vs the raw onnxruntime call, ${task} c=${c}`, fmt(m[id]!, m.raw), m[id]! / m.raw);
      }
      const me = m['minimal express'];
      if (me !== undefined)
        x.report(
          `minimal express app vs ${PEER}, ${task} c=${c} (express's own ceiling)`,
          fmt(me, m[PEER]!),
          me / m[PEER]!,
        );
    }
  }

  // Target 4: grpc+ort predict against fastify+ort.
  const grpc = x.stacks['grpc+ort'];
  const fastify = x.stacks['fastify+ort'];
  const grpcPredict = await buildGrpcWorkload('predict', x.texts, x.oracle, EMBED_TOLERANCE);
  const grpcHello = await buildGrpcWorkload('hello_world', x.texts, x.oracle, EMBED_TOLERANCE);
  const grpcLoad = (l: Launched, g: typeof grpcPredict, c: number) =>
    runGrpcLoad({
      host: l.host,
      port: l.port,
      ...g,
      mode: 'closed',
      concurrency: c,
      warmupMs: 1000,
      durationMs: ms,
      windowMs: 1000,
      timeoutMs: 10_000,
    }).then((r) => r.rps);
  if (grpc && fastify) {
    process.stderr.write('perf: grpc+ort vs fastify+ort, predict c=8\n');
    const m = await x.sideBySide({
      grpc: () => grpcLoad(grpc, grpcPredict, 8),
      fastify: () => http(fastify, wl.predict!, 8),
    });
    x.row('grpc+ort vs fastify+ort, predict c=8', fmt(m.grpc!, m.fastify!), m.grpc! / m.fastify!, 0.9);
  }

  // Target 5: the runner's engine against wrk (HTTP) and ghz (gRPC), same server, same load CPUs.
  const threads = x.loadCpus?.length ?? 1;
  if (fastify && wrkAvailable()) {
    process.stderr.write('perf: runner engine vs wrk, fastify+ort hello_world c=64\n');
    const m = await x.sideBySide({
      engine: () => http(fastify, wl.hello_world!, 64),
      wrk: () =>
        runWrk({
          url: `${fastify.baseUrl}${ROUTES.hello}`,
          connections: 64,
          threads,
          durationS: x.durationS,
          timeoutS: 5,
        }).then((r) => r.rps),
    });
    x.row('runner engine vs wrk, HTTP hello_world c=64', fmt(m.engine!, m.wrk!), m.engine! / m.wrk!, 0.9);
  }
  if (grpc && ghzPath()) {
    process.stderr.write('perf: runner engine vs ghz, grpc+ort HelloWorld c=64\n');
    const m = await x.sideBySide({
      engine: () => grpcLoad(grpc, grpcHello, 64),
      ghz: () =>
        runGhz({
          host: grpc.host,
          port: grpc.port,
          call: 'servebench.v1.Serving.HelloWorld',
          data: {},
          concurrency: 64,
          connections: 1,
          cpus: threads,
          durationS: x.durationS,
          timeoutS: 5,
          pinCpus: x.loadCpus,
        }).then((r) => r.rps),
    });
    x.row('runner engine vs ghz, gRPC HelloWorld c=64', fmt(m.engine!, m.ghz!), m.engine! / m.ghz!, 0.9);
  }
}
