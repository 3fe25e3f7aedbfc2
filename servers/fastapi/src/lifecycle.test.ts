import { describeLifecycle } from '../../python-common/testing/lifecycle.js';

describeLifecycle('fastapi', new URL('..', import.meta.url).pathname);
