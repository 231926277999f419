import { defineRule } from "../src/engine/rule.js";

export default defineRule({
  meta: {
    id: "invalid-json",
    severity: "error",
    appliesTo: ["key-policy", "bucket-policy", "identity-policy"],
    needsPolicy: false,
    description: "The file is not parseable JSON (or not UTF-8 text at all).",
    messages: {
      syntax: "Not valid JSON: {{message}}. Nothing else in this file was checked; AWS rejects it (MalformedPolicyDocumentException from KMS, MalformedPolicy from S3).",
      unreadable: "{{message}} Nothing else in this file was checked.",
    },
  },
  check(context) {
    const problem = context.document.problem;
    if (!problem || problem.kind === "too-large") return; // policy-size reports oversized files
    context.report({
      messageId: problem.kind === "syntax" ? "syntax" : "unreadable",
      data: { message: problem.message },
      range: problem.range,
    });
  },
});
