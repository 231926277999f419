import { ruleTester } from "../rule-tester.js";

const key = (actions: string) =>
  `{\n  "Version": "2012-10-17",\n  "Statement": [{\n    "Effect": "Allow",\n    "Principal": {"AWS": "111122223333"},\n    "Action": ${actions},\n    "Resource": "*"\n  }]\n}`;
const bucket = (actions: string) =>
  `{\n  "Version": "2012-10-17",\n  "Statement": [{\n    "Effect": "Allow",\n    "Principal": {"AWS": "111122223333"},\n    "Action": ${actions},\n    "Resource": "arn:aws:s3:::example-bucket/*"\n  }]\n}`;

ruleTester("unknown-action", {
  valid: [
    { name: "real KMS actions", policy: key('["kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom"]') },
    { name: "names are case-insensitive", policy: key('["KMS:decrypt", "kms:generatedatakey"]') },
    { name: "wildcards that match", policy: key('["kms:*", "kms:Get*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:?ecrypt", "*"]') },
    { name: "real S3 actions in a bucket policy", policy: bucket('["s3:GetObject", "s3:PutObject", "s3:List*", "s3:GetObjectVersion"]') },
    { name: "a wildcard service prefix is not judged", policy: key('["*:Describe*"]') },
  ],
  invalid: [
    {
      name: "a misspelled KMS action, with a suggestion",
      policy: key('["kms:Decrypt", "kms:Decrpyt"]'),
      errors: [{ messageId: "noMatch", line: 6, column: 31, endColumn: 44, message: '(did you mean "kms:Decrypt"?)' }],
    },
    {
      name: "a wildcard that matches no KMS action",
      policy: key('"kms:Delete*Policy"'),
      errors: [{ messageId: "noMatch", line: 6, column: 15 }],
    },
    {
      name: "an S3 action in a key policy has no effect",
      policy: key('["kms:Decrypt", "s3:GetObject"]'),
      errors: [{ messageId: "otherService", line: 6, column: 31, message: "is an action of s3, not a KMS action" }],
    },
    {
      name: "a prefix that is no AWS service",
      policy: key('"kmss:Decrypt"'),
      errors: [{ messageId: "otherService", line: 6, column: 15, message: "which is no AWS service" }],
    },
    {
      name: "a misspelled S3 action",
      policy: bucket('["s3:GetObjects"]'),
      errors: [{ messageId: "noMatch", line: 6, column: 16, message: '"s3:GetObject"' }],
    },
    {
      name: "a KMS action in a bucket policy",
      policy: bucket('["s3:GetObject", "kms:Decrypt"]'),
      errors: [{ messageId: "otherService", line: 6, column: 32, message: "MalformedPolicy" }],
    },
    {
      name: "NotAction is checked too",
      kind: "key-policy",
      policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","NotAction":["kms:Decrypt","kms:Nope"],"Resource":"*"}]}',
      errors: [{ messageId: "noMatch", line: 1, column: 98 }],
    },
  ],
});
