/**
 * The model template syntax: a small, fixed subset of dbt's Jinja, parsed here and nowhere else.
 *
 * | syntax                                              | renders as                                                    |
 * | --------------------------------------------------- | ------------------------------------------------------------- |
 * | `{{ ref('model_name') }}`                           | the model's relation, `"model_name"`; also a DAG edge         |
 * | `{{ source('lake', 'events') }}` (or `'sessions'`)  | the lake table's live Parquet files, resolved when the model runs (staging models only) |
 * | `{{ this }}`                                        | the model's own relation (for incremental filters)            |
 * | `{{ macro('name') }}`                               | the template of `macros/<name>.sql`, spliced in (its refs are the model's; a macro cannot call another) |
 * | `{{ run_started_at }}`                              | the run's start as a TIMESTAMPTZ literal (dbt's name); later runs always start later, so a model stamps the rows it writes with it and a child finds what changed since its own last build |
 * | `{{ var('name') }}`                                 | the declaration's `vars[name]` as a SQL literal (see `sqlLiteral`) |
 * | `{% if is_incremental() %} … {% endif %}`           | the body only when the model is incremental, its table exists and the run is not `--full-refresh` (dbt's meaning) |
 * | `{% if not is_incremental() %}`, `{% else %}`       | the negation, and an else branch; blocks nest                 |
 * | `{# … #}`                                           | a comment, dropped                                            |
 *
 * Quotes inside `ref`/`source` may be single or double. Anything else between `{{ }}` or `{% %}` is an
 * error naming its line. Like Jinja, the template is expanded before SQL is parsed: a `{{ ref(…) }}`
 * inside a SQL comment still counts.
 */

export type TemplateNode =
  | { readonly _tag: "Text"; readonly text: string }
  | { readonly _tag: "Ref"; readonly model: string; readonly line: number }
  | { readonly _tag: "Source"; readonly source: string; readonly name: string; readonly line: number }
  | { readonly _tag: "This"; readonly line: number }
  | { readonly _tag: "RunStartedAt"; readonly line: number }
  | {
      readonly _tag: "Macro"
      readonly name: string
      readonly nodes: ReadonlyArray<TemplateNode>
      readonly line: number
    }
  | { readonly _tag: "Var"; readonly name: string; readonly line: number }
  | {
      readonly _tag: "IfIncremental"
      readonly negated: boolean
      readonly body: ReadonlyArray<TemplateNode>
      readonly elseBody: ReadonlyArray<TemplateNode>
      readonly line: number
    }

export interface TemplateProblem {
  readonly line: number
  readonly message: string
}

export interface ParsedTemplate {
  readonly nodes: ReadonlyArray<TemplateNode>
  readonly problems: ReadonlyArray<TemplateProblem>
}

const TOKEN = /\{\{([\s\S]*?)\}\}|\{%([\s\S]*?)%\}|\{#[\s\S]*?#\}/g
const REF = /^\s*ref\(\s*(['"])([^'"]*)\1\s*\)\s*$/
const SOURCE = /^\s*source\(\s*(['"])([^'"]*)\1\s*,\s*(['"])([^'"]*)\3\s*\)\s*$/
const THIS = /^\s*this\s*$/
const RUN_STARTED_AT = /^\s*run_started_at\s*$/
const MACRO = /^\s*macro\(\s*(['"])([^'"]*)\1\s*\)\s*$/
const VAR = /^\s*var\(\s*(['"])([^'"]*)\1\s*\)\s*$/
const IF = /^\s*if\s+(not\s+)?is_incremental\(\)\s*$/
const ELSE = /^\s*else\s*$/
const ENDIF = /^\s*endif\s*$/

interface Frame {
  readonly line: number
  readonly negated: boolean
  readonly body: Array<TemplateNode>
  elseBody: Array<TemplateNode> | undefined
}

const lineAt = (text: string, index: number): number => {
  let line = 1
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++
  return line
}

const shorten = (text: string) => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > 60 ? `${flat.slice(0, 59)}…` : flat
}

/** A spliced macro's nodes take the line of its call, so a problem inside it points at the call. */
const atLine = (nodes: ReadonlyArray<TemplateNode>, line: number): ReadonlyArray<TemplateNode> =>
  nodes.map((node): TemplateNode => {
    switch (node._tag) {
      case "Text":
        return node
      case "IfIncremental":
        return { ...node, line, body: atLine(node.body, line), elseBody: atLine(node.elseBody, line) }
      case "Macro":
        return { ...node, line, nodes: atLine(node.nodes, line) }
      default:
        return { ...node, line }
    }
  })

/**
 * Parses a template, collecting every problem (with its line) rather than stopping at the first.
 * `macros` are the parsed macro templates a model may call; a macro is parsed without any.
 */
export const parseTemplate = (
  text: string,
  macros: ReadonlyMap<string, ReadonlyArray<TemplateNode>> = new Map()
): ParsedTemplate => {
  const problems: Array<TemplateProblem> = []
  const root: Array<TemplateNode> = []
  const stack: Array<Frame> = []
  const current = (): Array<TemplateNode> => {
    const top = stack[stack.length - 1]
    return top === undefined ? root : (top.elseBody ?? top.body)
  }
  let last = 0
  for (const match of text.matchAll(TOKEN)) {
    const index = match.index
    if (index > last) current().push({ _tag: "Text", text: text.slice(last, index) })
    last = index + match[0].length
    const line = lineAt(text, index)
    const expression = match[1]
    const tag = match[2]
    if (expression !== undefined) {
      const ref = REF.exec(expression)
      const source = SOURCE.exec(expression)
      const variable = VAR.exec(expression)
      const macro = MACRO.exec(expression)
      if (ref !== null) current().push({ _tag: "Ref", model: ref[2] ?? "", line })
      else if (source !== null) current().push({ _tag: "Source", source: source[2] ?? "", name: source[4] ?? "", line })
      else if (variable !== null) current().push({ _tag: "Var", name: variable[2] ?? "", line })
      else if (THIS.test(expression)) current().push({ _tag: "This", line })
      else if (RUN_STARTED_AT.test(expression)) current().push({ _tag: "RunStartedAt", line })
      else if (macro !== null) {
        const name = macro[2] ?? ""
        const nodes = macros.get(name)
        if (nodes === undefined) {
          problems.push({
            line,
            message: `unknown macro '${name}' (known: ${[...macros.keys()].sort().join(", ") || "none"})`
          })
        } else current().push({ _tag: "Macro", name, nodes: atLine(nodes, line), line })
      } else {
        problems.push({
          line,
          message: `unsupported expression {{ ${shorten(expression)} }}: the template knows ref('model'), source('lake', 'table'), var('name'), macro('name'), this and run_started_at`
        })
      }
    } else if (tag !== undefined) {
      const ifMatch = IF.exec(tag)
      const top = stack[stack.length - 1]
      if (ifMatch !== null) {
        stack.push({ line, negated: ifMatch[1] !== undefined, body: [], elseBody: undefined })
      } else if (ELSE.test(tag)) {
        if (top === undefined) problems.push({ line, message: "{% else %} without {% if %}" })
        else if (top.elseBody !== undefined) problems.push({ line, message: "a second {% else %} in one {% if %}" })
        else top.elseBody = []
      } else if (ENDIF.test(tag)) {
        const frame = stack.pop()
        if (frame === undefined) problems.push({ line, message: "{% endif %} without {% if %}" })
        else {
          current().push({
            _tag: "IfIncremental",
            negated: frame.negated,
            body: frame.body,
            elseBody: frame.elseBody ?? [],
            line: frame.line
          })
        }
      } else {
        problems.push({
          line,
          message: `unsupported tag {% ${shorten(tag)} %}: the template knows if is_incremental(), else and endif`
        })
      }
    }
  }
  if (last < text.length) current().push({ _tag: "Text", text: text.slice(last) })
  for (const frame of stack) problems.push({ line: frame.line, message: "{% if %} without {% endif %}" })
  const unclosed = /\{\{|\{%/.exec(text.replace(TOKEN, (token) => " ".repeat(token.length)))
  if (unclosed !== null) problems.push({ line: lineAt(text, unclosed.index), message: `unclosed ${unclosed[0]}` })
  return { nodes: root, problems }
}

/** Every node of a template, both branches of every block and spliced macros included (a ref in any is a dependency). */
export const templateNodes = (nodes: ReadonlyArray<TemplateNode>): ReadonlyArray<TemplateNode> =>
  nodes.flatMap((node) =>
    node._tag === "IfIncremental"
      ? [node, ...templateNodes(node.body), ...templateNodes(node.elseBody)]
      : node._tag === "Macro"
        ? [node, ...templateNodes(node.nodes)]
        : [node]
  )

export interface RenderContext {
  readonly ref: (model: string) => string
  readonly source: (source: string, name: string) => string
  readonly this: string
  /** The SQL literal of a declared var (the project loader refuses unknown names). */
  readonly var: (name: string) => string
  readonly isIncremental: boolean
  /** The run's start, a SQL TIMESTAMPTZ literal. */
  readonly runStartedAt: string
}

const renderNode = (node: TemplateNode, context: RenderContext): string => {
  switch (node._tag) {
    case "Text":
      return node.text
    case "Ref":
      return context.ref(node.model)
    case "Source":
      return context.source(node.source, node.name)
    case "This":
      return context.this
    case "RunStartedAt":
      return context.runStartedAt
    case "Macro":
      return renderTemplate(node.nodes, context)
    case "Var":
      return context.var(node.name)
    case "IfIncremental":
      return renderTemplate(context.isIncremental !== node.negated ? node.body : node.elseBody, context)
  }
}

/** The SQL of a parsed template in one context. */
export const renderTemplate = (nodes: ReadonlyArray<TemplateNode>, context: RenderContext): string =>
  nodes.map((node) => renderNode(node, context)).join("")
