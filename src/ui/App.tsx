import { Router } from "@solidjs/router"
import { Layout } from "./Layout.tsx"
import { routes } from "./routes.ts"

export const App = () => <Router root={Layout}>{routes}</Router>
