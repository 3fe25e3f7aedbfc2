import { describeLifecycle } from '../../python-common/testing/lifecycle.js';

describeLifecycle('flask', new URL('..', import.meta.url).pathname);
