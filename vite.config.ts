import { sveltekit } from '@sveltejs/kit/vite';
import adapter from '@sveltejs/adapter-static';
import { SvelteKitPWA } from '@vite-pwa/sveltekit';
import { defineConfig } from 'vitest/config';
import { isTileRequest } from './web/src/lib/map/tile-request.js';

export default defineConfig({
  plugins: [
    // Kit options sit at the top level here (kit >= 2.62; kit 3 requires it): stack.md §4.2.
    sveltekit({
      compilerOptions: { runes: true },
      adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
      files: { src: 'web/src', assets: 'web/static' },
      // $server: for `import type` only (the wire types the API answers with); no server code reaches the bundle
      alias: { $shared: 'shared', $server: 'server/src' },
      serviceWorker: { register: false },
      typescript: {
        config: (c) => {
          c.include.push('../shared/**/*.ts', '../tests/**/*.ts', '../vite.config.ts', '../playwright.config.ts');
        }
      }
    }),
    SvelteKitPWA({
      registerType: 'prompt', // a new version is offered, not forced (style.md §5)
      injectRegister: false,
      // adds index.html to the precache and sets navigateFallback (stack.md §4.8)
      kit: { adapterFallback: 'index.html', spa: true },
      manifest: {
        name: 'Readout',
        short_name: 'Readout',
        description: 'Remote meter reading: drive-by, optical head and Manager',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'any',
        background_color: '#f5f6f8',
        theme_color: '#0b5cad',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: '/icons/icon.svg', sizes: 'any', type: 'image/svg+xml' }
        ]
      },
      workbox: {
        globPatterns: ['client/**/*.{js,css,ico,png,svg,webp,webmanifest,woff2}'],
        navigateFallbackDenylist: [/^\/api\//],
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        runtimeCaching: [
          {
            // map tiles from the URL set on the Route screen (any host): kept for offline use
            urlPattern: isTileRequest,
            handler: 'CacheFirst',
            options: {
              cacheName: 'map-tiles',
              expiration: { maxEntries: 3000, maxAgeSeconds: 30 * 24 * 3600, purgeOnQuotaError: true },
              cacheableResponse: { statuses: [0, 200] } // 0: tiles from hosts without CORS headers
            }
          }
        ]
      }
    })
  ],
  worker: { format: 'es' },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'node_modules/**']
  }
});
