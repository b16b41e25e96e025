/**
 * The web app's build (`src/ui`, Solid) and, with `--mode sdk`, the SDK as one ESM file for other sites
 * (`dist/app/sdk/launchpad.js`). `launchpad build` (pnpm build) runs both; `launchpad dev` serves the app
 * through this config in middleware mode; `launchpad start` serves the built files.
 */
import { readFileSync } from "node:fs"
import { readFile, writeFile } from "node:fs/promises"
import { join, resolve } from "node:path"
import { brotliCompressSync, constants, gzipSync } from "node:zlib"
import { defineConfig, type Plugin } from "vite"
import solid from "vite-plugin-solid"

const repo = import.meta.dirname
const APP_OUT_DIR = resolve(repo, "dist/app")
const { version } = JSON.parse(readFileSync(resolve(repo, "package.json"), "utf8")) as { version: string }

/** Writes `.br` and `.gz` next to each text file of 1 KiB or more, so the server never compresses at request time. */
const precompress = (): Plugin => ({
  name: "launchpad:precompress",
  apply: "build",
  async writeBundle(options, bundle) {
    const dir = options.dir ?? APP_OUT_DIR
    for (const name of Object.keys(bundle)) {
      if (!/\.(js|css|html|svg|json|txt)$/.test(name)) continue
      const bytes = await readFile(join(dir, name))
      if (bytes.length < 1024) continue
      await writeFile(join(dir, `${name}.gz`), gzipSync(bytes, { level: 9 }))
      await writeFile(
        join(dir, `${name}.br`),
        brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })
      )
    }
  }
})

export default defineConfig(({ mode }) =>
  mode === "sdk"
    ? {
        publicDir: false,
        plugins: [precompress()],
        build: {
          lib: { entry: resolve(repo, "src/sdk/index.ts"), formats: ["es"], fileName: () => "launchpad.js" },
          outDir: resolve(APP_OUT_DIR, "sdk"),
          emptyOutDir: false,
          target: "es2022",
          // Library builds keep whitespace by default (for the consumer's bundler); this file is served as is.
          rolldownOptions: { output: { minify: true, comments: false } },
          reportCompressedSize: false
        }
      }
    : {
        root: resolve(repo, "src/ui"),
        plugins: [solid(), precompress()],
        define: { __APP_VERSION__: JSON.stringify(version) },
        build: {
          outDir: APP_OUT_DIR,
          emptyOutDir: true,
          target: "es2022",
          reportCompressedSize: false
        },
        // The UI imports the SDK and domain types from outside its root.
        server: { fs: { allow: [repo] } }
      }
)
