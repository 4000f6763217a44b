#!/usr/bin/env node
// Offline Cypher syntax check with Neo4j's own parser (@neo4j-cypher/language-support).
//
//   node tools/cypher-lint/lint.mjs [--param NAME ...] FILE.cypher   (or "-" / nothing: stdin)
//   node tools/cypher-lint/lint.mjs --serve
//
// --param NAME declares a query parameter ($NAME), as a driver would send it; an undeclared
// parameter is an error.
//
// Prints JSON: {"statements": N, "errors": E, "warnings": W, "diagnostics": [...]}; each
// diagnostic has severity ("error" | "warning" | "info" | "hint"), message, line and column
// (1-based), offset, and the statement number it falls in. Exit status: 0 when there is no
// error, 1 when there is one, 2 on a usage or read error.
//
// --serve keeps one process (and the parser, which takes about a second to load) for many
// checks, as the test suite does: each stdin line is a JSON request {"text": "...", "params":
// ["NAME", ...]} and gets one stdout line, the same report as above; a request that is not
// such an object gets {"error": "..."}. The process ends when stdin closes.
//
// The script is linted as a whole (the parser handles several ';'-separated statements and
// console commands such as :param), so a ';' inside a string literal is never a split point.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { lintCypherQuery, parseStatementsStrs } from '@neo4j-cypher/language-support';

const SEVERITY = { 1: 'error', 2: 'warning', 3: 'info', 4: 'hint' };
const USAGE = 'usage: node lint.mjs [--param NAME ...] [FILE.cypher | -]\n       node lint.mjs --serve\n';

function readInput(arg) {
  if (arg === undefined || arg === '-') return readFileSync(0, 'utf8');
  return readFileSync(arg, 'utf8');
}

// The report of one Cypher text, with `paramNames` declared as parameters.
function lint(text, paramNames) {
  const parameters = {};
  for (const name of paramNames) parameters[name] = [];
  const statements = parseStatementsStrs(text).filter((s) => s.trim().length > 0);
  const { diagnostics } = lintCypherQuery(text, { parameters }, { consoleCommandsEnabled: true });
  // Statement number of an offset: count the statements that end before it.
  const ends = [];
  let pos = 0;
  for (const s of statements) {
    const at = text.indexOf(s, pos);
    pos = at >= 0 ? at + s.length : pos;
    ends.push(pos);
  }
  const out = diagnostics.map((d) => {
    const offset = d.offsets ? d.offsets.start : null;
    let statement = null;
    if (offset !== null) {
      statement = ends.findIndex((e) => offset <= e) + 1 || ends.length;
    }
    return {
      severity: SEVERITY[d.severity] ?? String(d.severity),
      message: d.message,
      line: d.range.start.line + 1,
      column: d.range.start.character + 1,
      offset,
      statement,
    };
  });
  return {
    statements: statements.length,
    errors: out.filter((d) => d.severity === 'error').length,
    warnings: out.filter((d) => d.severity === 'warning').length,
    diagnostics: out,
  };
}

// One request line -> one report line.
function answer(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch (err) {
    return { error: `not JSON: ${err.message}` };
  }
  const { text, params = [] } = request ?? {};
  if (typeof text !== 'string' || !Array.isArray(params) || !params.every((p) => typeof p === 'string')) {
    return { error: 'expected {"text": string, "params": [string, ...]}' };
  }
  try {
    return lint(text, params);
  } catch (err) {
    return { error: `lint failed: ${err.message}` };
  }
}

async function serve() {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    process.stdout.write(JSON.stringify(answer(line)) + '\n');
  }
  return 0;
}

function main(argv) {
  if (argv.length === 1 && argv[0] === '--serve') return serve();
  const params = [];
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--param' && i + 1 < argv.length) {
      params.push(argv[++i]);
    } else if (argv[i] === '-h' || argv[i] === '--help' || argv[i].startsWith('--')) {
      files.push(null, null);
    } else {
      files.push(argv[i]);
    }
  }
  if (files.length > 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  let text;
  try {
    text = readInput(files[0]);
  } catch (err) {
    process.stderr.write(`cannot read ${files[0] ?? 'stdin'}: ${err.message}\n`);
    return 2;
  }
  const report = lint(text, params);
  process.stdout.write(JSON.stringify(report) + '\n');
  return report.errors ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
