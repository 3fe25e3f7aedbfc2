import * as grpc from '@grpc/grpc-js';
const target = process.argv[2], C = 32, dur = 4000;
const useDeadline = process.argv[3] === 'deadline';
const client = new grpc.Client(target, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
await new Promise((r, j) => client.waitForReady(Date.now() + 5000, (e) => (e ? j(e) : r())));
const id = (b) => b; const req = Buffer.alloc(0);
let n = 0, stop = false;
const md = new grpc.Metadata();
function one() {
  if (stop) return;
  const call = client.makeUnaryRequest('/servebench.v1.Serving/HelloWorld', id, id, req, md, useDeadline ? { deadline: Date.now() + 10000 } : {}, (e, v) => { if (!e) n++; one(); });
}
for (let i = 0; i < C; i++) one();
setTimeout(() => { stop = true; console.log(process.argv[3], (n / dur * 1000).toFixed(0), 'rps', 'elu', performance.eventLoopUtilization().utilization.toFixed(2)); client.close(); }, dur);
