/**
 * Gives a module its `import.meta.hot`. Bun's transpiler replaces `import.meta.hot`
 * with `undefined` in plain runs, so the expression is renamed before Bun sees it.
 */

const HOT = /\bimport\.meta\.hot\b/g;
const NAME = "__hmrRunHot";

/** Source with `import.meta.hot` bound to the module's hot context; line numbers are kept. */
export function rewriteHot(source: string): string {
  if (!source.includes("import.meta.hot")) return source;
  const prelude = `const ${NAME}=globalThis[Symbol.for("hmr-run.runtime")]?.context(import.meta.path);`;
  const body = source.replace(HOT, NAME);
  // A shebang must stay first; the prelude goes on the same line as what follows so lines do not shift.
  if (body.startsWith("#!")) {
    const nl = body.indexOf("\n");
    if (nl < 0) return body;
    return body.slice(0, nl + 1) + prelude + body.slice(nl + 1);
  }
  return prelude + body;
}
