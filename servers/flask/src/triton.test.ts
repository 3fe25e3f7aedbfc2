import { describeOverRealTriton } from '../../python-common/testing/triton.js';

// flask+triton-http against real Triton (skipped, with the reason, when Triton is not installed).
describeOverRealTriton('flask', new URL('..', import.meta.url).pathname);
