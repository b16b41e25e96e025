/** Entry point of the web app: mounts the router into #app. */
import { render } from "solid-js/web"
import { App } from "./App.tsx"
import "./styles.css"

const root = document.getElementById("app")
if (root !== null) render(() => <App />, root)
