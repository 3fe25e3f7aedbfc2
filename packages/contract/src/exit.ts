/**
 * Exit status a server uses for "this backend cannot run on this machine" (EX_CONFIG from sysexits.h):
 * the runner reports the stack as skipped with the server's last words, not as failed.
 */
export const EXIT_BACKEND_UNAVAILABLE = 78;
