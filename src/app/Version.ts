/** The release, from package.json: the CLI's `--version` and the OpenAPI document's `info.version`. */
import packageJson from "../../package.json" with { type: "json" }

export const VERSION: string = packageJson.version
