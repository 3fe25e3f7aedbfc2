// CLI wiring: `servebench agent` (reads a request on stdin, prints its report) and
// `servebench agents` (the coordinator for one cell against a running endpoint).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { runAgent } from './agent.js';
import { runOnAgents } from './coordinator.js';
import { AgentError } from './errors.js';
import { parseRequest } from './protocol.js';
import { parseSegment } from './segment.js';
import { parseAgents } from './targets.js';

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d: string) => (s += d));
    process.stdin.on('end', () => resolve(s));
    process.stdin.on('error', reject);
  });
}

function fail(e: unknown): void {
  process.stderr.write(`servebench: ${e instanceof AgentError ? e.message : ((e as Error).stack ?? String(e))}\n`);
  process.exitCode = e instanceof AgentError ? 2 : 1;
}

export function registerAgentCommands(program: Command): void {
  program
    .command('agent')
    .description('load agent: run segment i/N of a cell (request JSON on stdin) and print its histograms as JSON')
    .option('--request <file>', 'read the request from this file instead of stdin')
    .option('--segment <i/N>', 'override the segment in the request (0-based i)')
    .action(async (flags: { request?: string; segment?: string }) => {
      try {
        const req = parseRequest(flags.request ? readFileSync(flags.request, 'utf8') : await readStdin());
        if (flags.segment) req.segment = parseSegment(flags.segment);
        // A Kubernetes Indexed Job: the pod's completion index is its segment.
        else if (process.env.JOB_COMPLETION_INDEX !== undefined && process.env.SERVEBENCH_AGENTS)
          req.segment = parseSegment(`${process.env.JOB_COMPLETION_INDEX}/${process.env.SERVEBENCH_AGENTS}`);
        process.stdout.write(`${JSON.stringify(await runAgent(req))}\n`);
      } catch (e) {
        fail(e);
      }
    });

  program
    .command('agents')
    .description('coordinator: run one cell (LoadSpec JSON) split over --agents and print the merged result')
    .requiredOption('--spec <file>', 'LoadSpec JSON (host, port, requests, expect, mode, concurrency, ...)')
    .requiredOption('--agents <list>', 'local@0-1,local@2-3 | ssh://host1,host2')
    .option('--agent-lead <ms>', 'time from spawning the agents to their common start', '5000')
    .option('--agent-command <cmd>', 'command that starts an agent on an SSH host', 'servebench agent')
    .option('--allow-remote', 'allow a target host outside loopback (recorded in the output)')
    .action(
      async (flags: {
        spec: string;
        agents: string;
        agentLead: string;
        agentCommand: string;
        allowRemote?: boolean;
      }) => {
        try {
          const spec = JSON.parse(readFileSync(flags.spec, 'utf8'));
          const out = await runOnAgents(spec, parseAgents(flags.agents), {
            node: process.execPath,
            cli: fileURLToPath(new URL('../cli.js', import.meta.url)),
            leadMs: Number(flags.agentLead),
            remoteCommand: flags.agentCommand,
            allowRemote: flags.allowRemote === true,
            log: (l) => process.stderr.write(`${l}\n`),
          });
          const { histogram: _h, ...result } = out.result;
          process.stdout.write(
            `${JSON.stringify({ remote: flags.allowRemote === true, agents: out.agents, result }, null, 2)}\n`,
          );
        } catch (e) {
          fail(e);
        }
      },
    );
}
