import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    setupFiles: ['test/setup/loopback-only-dns.ts'],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: ['src/**/*.d.ts'],
      reporter: ['text-summary', 'text', 'json-summary', 'html'],
      reportsDirectory: 'coverage',
      // CI prints the figure even when a test fails, so a red run still says what it covered.
      reportOnFailure: true,
      // The figure the issue asks for is lines on src/; the others are printed, not enforced.
      thresholds: { lines: 90 },
    },
  },
});
