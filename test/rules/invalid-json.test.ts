import { ruleTester } from "../rule-tester.js";

ruleTester("invalid-json", {
  valid: [
    { name: "a plain policy", policy: '{"Version":"2012-10-17","Statement":[]}' },
    { name: "a byte order mark is accepted", policy: '\uFEFF{"Version":"2012-10-17","Statement":[]}' },
  ],
  invalid: [
    {
      name: "trailing comma after the last statement (line 4, column 1)",
      policy: '{\n  "Statement": [\n    {"Effect": "Allow"},\n  ]\n}',
      errors: [{ messageId: "syntax", line: 4, column: 3 }],
    },
    {
      name: "truncated file points at the end",
      policy: '{\n  "Version": "2012-10-17",\n  "Statement": [',
      errors: [{ messageId: "syntax", line: 3, column: 17, message: "truncated" }],
    },
    {
      name: "CRLF line endings keep line numbers right",
      policy: '{\r\n  "Version": "2012-10-17",\r\n  "Statement": [}\r\n}',
      errors: [{ messageId: "syntax", line: 3, column: 17 }],
    },
    {
      name: "a raw newline inside a string (momoa would accept it; AWS does not)",
      policy: '{\n  "Version": "2012-10-17\n"}',
      errors: [{ messageId: "syntax", line: 2, column: 25, message: "control character" }],
    },
    { name: "an empty file", policy: "", errors: [{ messageId: "syntax", line: 1, column: 1, message: "empty" }] },
    {
      name: "single quotes are not JSON",
      policy: "{'Version': '2012-10-17'}",
      errors: [{ messageId: "syntax", line: 1, column: 2 }],
    },
  ],
});
