// Build-time stand-in for eslint-rule-docs inside the bundled pretty formatter. kmslint always passes every
// rule's documentation URL in rulesMeta, so the formatter never looks a rule up here; the real package's
// 190 KB table of ESLint plugin URLs would only cost start-up time. Kept as a function with its signature.
export default function getRuleDocs() {
  return {};
}
