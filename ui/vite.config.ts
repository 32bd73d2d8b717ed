import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// Port and host match `build.devUrl` in tauri.conf.json; strictPort so Tauri never loads
// another app that happens to hold 1420.
export default defineConfig({
  plugins: [react()],
  clearScreen: false,
  base: "./",
  server: {
    host: "127.0.0.1",
    port: 1420,
    strictPort: true,
    watch: { ignored: ["**/src-tauri/**", "**/target/**"] },
  },
  preview: { host: "127.0.0.1" },
  build: {
    outDir: "dist",
    target: ["es2022", "safari16"],
    chunkSizeWarningLimit: 900,
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
    // Generous: CI runs on 2 shared cores; the assertions, not the clock, decide pass/fail.
    testTimeout: 30_000,
  },
});
