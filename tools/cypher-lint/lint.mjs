#!/usr/bin/env node
// Offline Cypher syntax check with Neo4j's own parser (@neo4j-cypher/language-support).
//
//   node tools/cypher-lint/lint.mjs [--param NAME ...] FILE.cypher   (or "-" / nothing: stdin)
//
// --param NAME declares a query parameter ($NAME), as a driver would send it; an undeclared
// parameter is an error.
//
// Prints JSON: {"statements": N, "errors": E, "warnings": W, "diagnostics": [...]}; each
// diagnostic has severity ("error" | "warning" | "info" | "hint"), message, line and column
// (1-based), offset, and the statement number it falls in. Exit status: 0 when there is no
// error, 1 when there is one, 2 on a usage or read error.
//
// The script is linted as a whole (the parser handles several ';'-separated statements and
// console commands such as :param), so a ';' inside a string literal is never a split point.
import { readFileSync } from 'node:fs';
import { lintCypherQuery, parseStatementsStrs } from '@neo4j-cypher/language-support';

const SEVERITY = { 1: 'error', 2: 'warning', 3: 'info', 4: 'hint' };

function readInput(arg) {
  if (arg === undefined || arg === '-') return readFileSync(0, 'utf8');
  return readFileSync(arg, 'utf8');
}

function main(argv) {
  const parameters = {};
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--param' && i + 1 < argv.length) {
      parameters[argv[++i]] = [];
    } else if (argv[i] === '-h' || argv[i] === '--help' || argv[i].startsWith('--')) {
      files.push(null, null);
    } else {
      files.push(argv[i]);
    }
  }
  if (files.length > 1) {
    process.stderr.write('usage: node lint.mjs [--param NAME ...] [FILE.cypher | -]\n');
    return 2;
  }
  let text;
  try {
    text = readInput(files[0]);
  } catch (err) {
    process.stderr.write(`cannot read ${files[0] ?? 'stdin'}: ${err.message}\n`);
    return 2;
  }
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
  const errors = out.filter((d) => d.severity === 'error').length;
  const report = {
    statements: statements.length,
    errors,
    warnings: out.filter((d) => d.severity === 'warning').length,
    diagnostics: out,
  };
  process.stdout.write(JSON.stringify(report) + '\n');
  return errors ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
