/**
 * Differential test: the same dotenv files through `bun --env-file` and through hmr-run's
 * parser, compared key by key. Bun's loader is the specification.
 */
import { afterAll, expect, test } from "bun:test";
import { loadEnvFile, parseEnvFile } from "../src/env/parse.ts";
import { Fixture } from "./support/fixture.ts";

const fx = new Fixture({}, { nodeModules: false });
afterAll(() => fx.cleanup());

/** What Bun puts in process.env for these files (later --env-file wins), from `shell`. */
async function bunReads(files: string[], shell: Record<string, string>): Promise<Record<string, string>> {
  const proc = Bun.spawn([process.execPath, ...files.map((f) => `--env-file=${fx.path(f)}`), "-e", "console.log(JSON.stringify(process.env))"], {
    cwd: fx.dir,
    env: shell,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (!out.trim()) throw new Error(`bun printed nothing: ${err}`);
  return JSON.parse(out);
}

/** What hmr-run's parser makes of the same files. */
function oursReads(files: string[], shell: Record<string, string>): Record<string, string> {
  const env = new Map(Object.entries(shell));
  // Bun loads the last --env-file first, and an earlier-loaded file's keys are never replaced.
  for (const f of [...files].reverse()) loadEnvFile(parseEnvFile(fx.read(f)), env);
  return Object.fromEntries(env);
}

async function same(files: Record<string, string>, shell: Record<string, string> = {}) {
  for (const [name, text] of Object.entries(files)) fx.write(name, text);
  const base = { PATH: process.env.PATH ?? "/usr/bin", ...shell };
  const bun = await bunReads(Object.keys(files), base);
  const ours = oursReads(Object.keys(files), base);
  // Key by key, so a difference names the line that caused it.
  for (const k of new Set([...Object.keys(bun), ...Object.keys(ours)])) expect({ [k]: ours[k] }).toEqual({ [k]: bun[k] });
}

const CORPUS = [
  "# a comment",
  "   # an indented comment",
  "PLAIN=value",
  "SPACED = spaced value  ",
  "\t TABBED\t=\ttabbed\t",
  "HASH=value#x",
  "HASH_SP=value #comment",
  "HASH_START=#start",
  "HASH_TWO=a #b #c",
  'HASH_IN_DQ="value # not a comment"',
  "HASH_IN_SQ='a#b'",
  "SQ='single $PLAIN \\n'",
  'DQ="double $PLAIN \\n end"',
  'DQ_QUOTES="say \\"hi\\""',
  'DQ_BACKSLASH="back\\\\slash"',
  'DQ_TAB="tab\\there"',
  'DQ_CR="a\\rb"',
  "SQ_ESCAPED_QUOTE='it\\'s'",
  "BT=`back tick $PLAIN`",
  "export EXPORTED=exported",
  "export   EXPORTED_SPACES = yes",
  "export=a key named export",
  "EXPAND=${PLAIN}-$PLAIN",
  "EXPAND_DASH=$PLAIN-B",
  "DEFAULT=${NOPE:-fallback}",
  "DEFAULT_SET=${PLAIN:-fallback}",
  "DEFAULT_EMPTY_VAR=${EMPTY:-fallback}",
  "DEFAULT_NESTED=${NOPE:-$PLAIN}",
  "DEFAULT_SPACES=${NOPE:-a b}",
  "DEFAULT_NONE=${NOPE:-}",
  "DEFAULT_BRACED=${NOPE:-${PLAIN}}",
  "DEFAULT_TWO=${NOPE:-${PLAIN}-${PLAIN}}",
  "DEFAULT_DEEP=${NOPE:-${NOPE2:-deep}}",
  "DEFAULT_BRACES=${NOPE:-{a}}",
  "DEFAULT_THEN_BRACE=${NOPE:-x}y}",
  "SET_WITH_DEFAULT=${PLAIN:-${NOPE}}",
  "DASH_ONLY=${NOPE-dash}",
  "UNCLOSED_BRACE=${PLAIN",
  "UNCLOSED_DEFAULT=${PLAIN:-x",
  "SPACE_IN_BRACE=${ PLAIN }",
  "ALT_FORM=${PLAIN:+alt}",
  "DOUBLE_DOLLAR=$$PLAIN",
  "LONE_DOLLAR=$",
  "TRAILING_DOLLAR=a$",
  "DIGIT_NAME=$1abc",
  "ESCAPED_DOLLAR=\\$PLAIN",
  'ESCAPED_DOLLAR_DQ="\\$PLAIN and ${PLAIN}"',
  "EMPTY=",
  'EMPTY_DQ=""',
  "EMPTY_SQ=''",
  "DUP=first",
  "DUP_REF=${DUP}",
  "DUP=second",
  "SELF=${SELF}x",
  "FORWARD=${LATER}",
  "FORWARD_CHAIN=${LATER_REF}",
  "LATER=later",
  "LATER_REF=${PLAIN}z",
  'MULTI="line1',
  'line2"',
  "MULTI_SQ='a",
  "b'",
  'AFTER_QUOTE="a" ignored B=2',
  "AFTER_SQ='a'b",
  'INNER_QUOTES=a"b"c',
  'UNQUOTED_QUOTES=x "a" B=2',
  "URL=postgres://u:p@h:5432/db?x=1&y=2",
  "EQUALS=a=b=c",
  "DOUBLE_EQ==v",
  "TRAIL_SQ='x' # c",
  'TRAIL_DQ="y" # c',
  "COLON: colon value",
  "COLON_NO_SPACE:v",
  "NOVALUE",
  "=no key",
  "lower=ok",
  "1DIGIT=first char",
  ".DOT=dot",
  "KEY.DOT=dot",
  "KEY-DASH=dash",
  "SPLIT",
  "=across lines",
  "CRLF=crlf\r",
  'CRLF_DQ="a\r\nb"',
  "FROM_SHELL=file value",
  "SHELL_REF=${FROM_SHELL}",
  "UNCLOSED_LAST=\"abc",
].join("\n") + "\n";

test("one file of tricky lines: every key as bun --env-file reads it", async () => {
  await same({ "corpus.env": CORPUS }, { FROM_SHELL: "shell value" });
});

test("several files: the last --env-file wins, an earlier file's values expand in a later one", async () => {
  await same(
    {
      "base.env": "HOST=base\nPORT=1\nURL=http://${HOST}:${PORT}\nONLY_BASE=${OVER}\n",
      "over.env": "HOST=over\nOVER=from-over\nREF=${PORT:-none}\n",
    },
    { PORT: "9" },
  );
});

test("a file that ends without a newline, or with an open quote", async () => {
  await same({ "end.env": "A=1\nB='open" });
  await same({ "end2.env": 'X="x"\nLAST=last' });
});
