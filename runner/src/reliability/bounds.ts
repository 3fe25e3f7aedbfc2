// The hardening probes' bounds (issue 15), shared by the probes and the clients they drive.

/** The bounds. */
export const BOUNDS = { answerOrCloseMs: 65_000, healthzMs: 250, afterAbortMs: 2_000, uniqueWordsRssMb: 200 } as const;
