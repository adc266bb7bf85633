import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

// The desktop shell loads `dist/` (tauri.conf.json `frontendDist`) in the
// platform webview; WebKit on macOS and Linux sets the floor at Safari 16.
export default defineConfig({
  plugins: [vue()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { target: 'safari16' },
  test: {
    environment: 'happy-dom',
    include: ['tests/**/*.test.ts'],
  },
});
