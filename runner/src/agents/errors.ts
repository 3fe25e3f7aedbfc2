// One error type for the load agents, with stable codes a report or a test can match on.
export type AgentErrorCode =
  | 'AGENT_BAD_SEGMENT' // i/N malformed, or the segment would get no connections
  | 'AGENT_BAD_REQUEST' // the request on stdin is not a valid agent request
  | 'AGENT_BAD_REPORT' // an agent's stdout is not a valid report
  | 'AGENT_FAILED' // an agent exited non-zero or was killed
  | 'AGENT_LATE_START' // an agent's threads were ready only after the common start
  | 'AGENT_SHORT_WINDOW' // an agent did not measure the whole window
  | 'AGENT_BAD_SPEC' // --agents list malformed
  | 'TARGET_NOT_LOOPBACK'; // a non-loopback target without --allow-remote

export class AgentError extends Error {
  constructor(
    readonly code: AgentErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'AgentError';
  }
}
