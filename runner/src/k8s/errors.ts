// One error type for the Kubernetes launcher, with stable codes a report or a test can match on.
export type K8sErrorCode =
  | 'K8S_API' // the API server refused a request or could not be reached
  | 'K8S_EXISTS' // an object the launcher would create already exists (not ours: never overwritten)
  | 'K8S_NOT_READY' // a Deployment did not become ready in time
  | 'K8S_JOB_FAILED' // the agents' Job failed or did not complete in time
  | 'K8S_NO_LOG' // an agent pod's log could not be read (no kubelet behind the node, e.g. kwok)
  | 'K8S_INTERRUPTED'; // Ctrl-C: everything created was deleted

export class K8sError extends Error {
  constructor(
    readonly code: K8sErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'K8sError';
  }
}
