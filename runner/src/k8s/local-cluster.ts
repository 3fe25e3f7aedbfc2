// A throwaway control plane on 127.0.0.1 for the opt-in test (cluster.k8s.test.ts): etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok (fake nodes; pods become Ready without running),
// from the binaries scripts/k8s/build.sh puts in ~/.cache/servebench-k8s/bin. Every listener is on
// loopback; kwok's node IP is 127.0.0.1, so even a log request the API server forwards stays on loopback.
// The Service and pod address ranges are bookkeeping only: nothing is routed or dialled on them.
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export const K8S_HOME = process.env.SERVEBENCH_K8S_HOME ?? join(homedir(), '.cache', 'servebench-k8s');
export const K8S_BIN = join(K8S_HOME, 'bin');
export const CONTROL_PLANE = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'] as const;

export const missingBinaries = (): string[] => [...CONTROL_PLANE].filter((b) => !existsSync(join(K8S_BIN, b)));

export interface LocalCluster {
  server: string;
  token: string;
  kubeconfig: string;
  dir: string;
  log: (name: string) => string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** kwok's own stage definitions (node-initialize, heartbeat, pod ready/complete/delete) from the module cache. */
function kwokStages(): string {
  const root = join(K8S_HOME, 'gomod', 'sigs.k8s.io', 'kwok@v0.8.0', 'kustomize', 'stage');
  const dirs = ['node/fast', 'node/heartbeat-with-lease', 'pod/fast'].map((d) => join(root, d));
  const docs = dirs.flatMap((d) =>
    readdirSync(d)
      .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
      .map((f) => readFileSync(join(d, f), 'utf8')),
  );
  if (!docs.length) throw new Error(`no kwok stage files under ${root} (run scripts/k8s/build.sh kwok)`);
  return docs.join('\n---\n');
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>, died: () => string | undefined) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const d = died();
    if (d) throw new Error(`${what}: ${d}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`${what}: not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function startLocalCluster(note: (l: string) => void = () => {}): Promise<LocalCluster> {
  const missing = missingBinaries();
  if (missing.length) throw new Error(`missing in ${K8S_BIN}: ${missing.join(', ')} (run scripts/k8s/build.sh)`);
  const dir = mkdtempSync(join(tmpdir(), 'servebench-k8s-'));
  const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const token = randomBytes(24).toString('hex');
  const server = `https://127.0.0.1:${apiPort}`;
  // Service-account keys for the token issuer (apiserver) and signer (controller-manager).
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  // One static token in system:masters; authorization AlwaysAllow.
  writeFileSync(join(dir, 'tokens.csv'), `${token},servebench-admin,servebench-admin,"system:masters"\n`);
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'local', cluster: { server, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'admin', user: { token } }],
      contexts: [{ name: 'local', context: { cluster: 'local', user: 'admin' } }],
      'current-context': 'local',
    }),
  );
  writeFileSync(join(dir, 'kwok.yaml'), kwokStages());

  const children: Array<{ name: string; child: ChildProcess }> = [];
  const log = (name: string) => join(dir, `${name}.log`);
  const start = (name: string, args: string[]) => {
    note(`start ${name} ${args.join(' ')}`);
    const fd = openSync(log(name), 'a');
    const child = spawn(join(K8S_BIN, name), args, { stdio: ['ignore', fd, fd] });
    children.push({ name, child });
  };
  const died = () => {
    const d = children.find((c) => c.child.exitCode !== null || c.child.signalCode !== null);
    return d
      ? `${d.name} exited ${d.child.exitCode ?? d.child.signalCode}: ${readFileSync(log(d.name), 'utf8').slice(-1500)}`
      : undefined;
  };
  const stop = async () => {
    for (const { child } of [...children].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      await new Promise<void>((r) => {
        const t = setTimeout(() => (child.kill('SIGKILL'), r()), 10_000);
        child.once('exit', () => (clearTimeout(t), r()));
      });
    }
    if (!process.env.SERVEBENCH_K8S_KEEP) rmSync(dir, { recursive: true, force: true });
  };

  try {
    start('etcd', [
      '--data-dir',
      join(dir, 'etcd'),
      '--listen-client-url',
      `http://127.0.0.1:${etcdClient}`,
      '--listen-peer-url',
      `http://127.0.0.1:${etcdPeer}`,
    ]);
    await until('etcd', 60_000, async () => (await fetch(`http://127.0.0.1:${etcdClient}/health`)).ok, died);
    start('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, 'certs')}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=AlwaysAllow',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      `--service-cluster-ip-range=${process.env.SERVEBENCH_K8S_SERVICE_RANGE ?? '10.96.0.0/16'}`,
      '--enable-priority-and-fairness=false',
      // The `kubernetes` Service's endpoint would be the loopback advertise address, which Endpoints refuse.
      '--endpoint-reconciler-type=none',
      '--profiling=false',
    ]);
    await until(
      'kube-apiserver',
      180_000,
      async () => {
        // Node's fetch would refuse the self-signed certificate: ask with curl-free https via the client.
        const { default: https } = await import('node:https');
        return new Promise<boolean>((resolve) => {
          https
            .get(
              `${server}/readyz`,
              { rejectUnauthorized: false, headers: { authorization: `Bearer ${token}` } },
              (r) => {
                r.resume();
                resolve(r.statusCode === 200);
              },
            )
            .on('error', () => resolve(false));
        });
      },
      died,
    );
    start('kube-controller-manager', [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${await freePort()}`,
      '--leader-elect=false',
      `--service-account-private-key-file=${join(dir, 'sa.key')}`,
      '--profiling=false',
    ]);
    start('kube-scheduler', [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${await freePort()}`,
      '--leader-elect=false',
      '--profiling=false',
    ]);
    const kwokPort = await freePort();
    start('kwok', [
      '-c',
      join(dir, 'kwok.yaml'),
      `--kubeconfig=${kubeconfig}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      '--node-ip=127.0.0.1',
      `--node-port=${kwokPort}`,
      // Its kubelet-like server (logs, exec) on loopback, not the 0.0.0.0 it would pick from --node-port.
      `--server-address=127.0.0.1:${kwokPort}`,
      `--cidr=${process.env.SERVEBENCH_K8S_POD_RANGE ?? '10.0.0.1/24'}`,
    ]);
    await new Promise((r) => setTimeout(r, 2000));
    const d = died();
    if (d) throw new Error(d);
  } catch (e) {
    await stop();
    throw e;
  }
  return { server, token, kubeconfig, dir, log, stop };
}
