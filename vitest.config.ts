import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    setupFiles: ["test/setup.ts"],
    // Test files run in parallel (one fork per file); each integration file shares one broker.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
