// Vite builds the static page into dist/ (served by the API at `/`, or by nginx in containers);
// Vitest runs the component tests in jsdom.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// In `npm run dev`, API calls go to the API on :8000 so the page and the API share an origin.
const apiTarget = process.env.QUANTIS_API_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  // Relative asset paths: the same build works at `/` behind the API and behind nginx.
  base: "./",
  build: {
    outDir: "dist",
    sourcemap: true,
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: {
      "/api": apiTarget,
      "/ready": apiTarget,
      "/health": apiTarget,
      "/metrics": apiTarget,
    },
  },
  test: {
    environment: "jsdom",
    globals: true,
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
  },
});
