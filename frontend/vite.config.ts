/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `npm run dev` proxies the API to a server on WEB_PORT (default 8000): `./scripts/run` in another shell.
const api = `http://127.0.0.1:${process.env.WEB_PORT ?? "8000"}`;

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", assetsDir: "assets", sourcemap: false },
  server: { proxy: { "/api": api } },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./tests/setup.ts"],
    include: ["tests/**/*.test.{ts,tsx}"],
    // The longest form tests click through many steps in jsdom; on a busy 2-core machine they
    // passed 5 s (the default) without anything being wrong.
    testTimeout: 20_000,
  },
});
