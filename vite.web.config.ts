// Vite build of the renderer alone, for the browser UI served by the daemon (`summit ui`).
import { resolve } from 'node:path'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

export default defineConfig({
  root: resolve(__dirname, 'src-renderer'),
  base: './',
  build: { outDir: resolve(__dirname, 'out/web'), emptyOutDir: true },
  plugins: [vue()]
})
