// The GraphQL over HTTP spec's own audit (graphql-http's `auditServer`) against a running server:
// every MUST and SHOULD of https://graphql.github.io/graphql-over-http/ that a request can check.
//
//   node conformance/graphql-audit.mjs http://127.0.0.1:3000/api/graphql
//
// Prints one line per audit and exits 1 on any error (a MUST broken) or warning (a SHOULD broken).
// Notices (a MAY not taken) are printed and do not fail the run. A deliberate deviation goes in
// DEVIATIONS below, by the audit's id, with its reason, and in docs/api.md ("Standards checked by
// their own suites"): it is then printed as "deviation" instead of failing the run, and a deviation
// that starts passing fails the run, so the list cannot go stale.
import { auditServer } from 'graphql-http';

/** Audit id -> why this server deliberately does otherwise. None today. */
const DEVIATIONS = new Map([]);

const url = process.argv[2];
if (!url) {
  console.error('usage: node graphql-audit.mjs <url of the GraphQL endpoint>');
  process.exit(2);
}

const results = await auditServer({ url });
let failures = 0;
for (const result of results) {
  const deviation = DEVIATIONS.get(result.id);
  let label = result.status;
  if (deviation !== undefined) {
    label = result.status === 'ok' ? 'stale deviation (passes now)' : 'deviation';
    if (result.status === 'ok') failures += 1;
  } else if (result.status === 'error' || result.status === 'warn') {
    failures += 1;
  }
  console.log(`${label.padEnd(9)} ${result.id} ${result.name}`);
  if (result.status !== 'ok') {
    console.log(`          ${deviation ?? result.reason}`);
  }
}
const count = (status) => results.filter((result) => result.status === status).length;
console.log(
  `\ngraphql-http audit: ${results.length} audits, ${count('ok')} ok, ${count('error')} errors, ` +
    `${count('warn')} warnings, ${count('notice')} notices; ${failures} failing the run`,
);
process.exit(failures === 0 ? 0 : 1);
