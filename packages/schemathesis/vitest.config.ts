import { defineConfig } from 'vitest/config';

// Only src/: never crawl the Python venv.
export default defineConfig({ test: { include: ['src/**/*.test.ts'] } });
