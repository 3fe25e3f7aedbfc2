import { describeOverRealTriton } from '../../python-common/testing/triton.js';

// fastapi+triton-http against real Triton (skipped, with the reason, when Triton is not installed).
describeOverRealTriton('fastapi', new URL('..', import.meta.url).pathname);
