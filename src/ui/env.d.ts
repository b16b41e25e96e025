/// <reference types="vite/client" />

/** The package version, set by vite.config.ts; sent as `context.app_version`. */
declare const __APP_VERSION__: string
