// `servebench k8s render`: writes the manifests (JSON objects, one YAML-compatible JSON document list).
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { discoverServers, filterStacks, stacksOf } from '../discover.js';
import { renderK8s } from './render.js';

export function registerK8sCommands(program: Command, root: string): void {
  program
    .command('k8s')
    .description(
      'Kubernetes manifests for applying by hand (servebench run --launcher k8s applies the same objects itself)',
    )
    .command('render')
    .description('Deployments + Services per stack (requests = limits) and an Indexed Job of load agents')
    .option('--stacks <list>', 'comma-separated stack ids (default: all discovered)')
    .option('--namespace <ns>', 'namespace', 'servebench')
    .option('--tag <tag>', 'image tag (servebench-node / servebench-python, as compose)', 'local')
    .option('--cpu <q>', 'server CPU request = limit', '2')
    .option('--memory <q>', 'server memory request = limit', '2Gi')
    .option('--model <name>', 'MODEL for the servers', 'mini')
    .option('--seed <n>', 'MODEL_SEED', '0')
    .option('--agents <n>', 'load agents in the Indexed Job', '2')
    .option('--agent-cpu <q>', 'agent CPU request = limit', '2')
    .option('--agent-memory <q>', 'agent memory request = limit', '1Gi')
    .option('--out <file>', 'write here instead of stdout')
    .action(
      (f: {
        stacks?: string;
        namespace: string;
        tag: string;
        cpu: string;
        memory: string;
        model: string;
        seed: string;
        agents: string;
        agentCpu: string;
        agentMemory: string;
        out?: string;
      }) => {
        const stacks = filterStacks(stacksOf(discoverServers(root)), f.stacks?.split(','));
        const objects = renderK8s(root, stacks, {
          namespace: f.namespace,
          tag: f.tag,
          cpu: f.cpu,
          memory: f.memory,
          model: f.model,
          modelSeed: Number(f.seed),
          agents: Number(f.agents),
          agentCpu: f.agentCpu,
          agentMemory: f.agentMemory,
        });
        // A v1 List: JSON is YAML, so `kubectl apply -f` takes it as it is.
        const text = `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`;
        if (f.out) writeFileSync(f.out, text);
        else process.stdout.write(text);
      },
    );
}
