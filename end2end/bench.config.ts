import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// Benchmarks in Chromium: they print numbers; they assert only that there is something to measure.
//   cd end2end && npx playwright test --config bench.config.ts
export default defineConfig({ ...base, projects: undefined, testDir: './bench', testMatch: '**/*.bench.ts', timeout: 180_000 });
