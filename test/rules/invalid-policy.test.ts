import { ruleTester } from "../rule-tester.js";

/** A key policy with one statement whose body lines are `body` (each on its own line, indented 6). */
const keyStatement = (...body: string[]) =>
  ['{', '  "Version": "2012-10-17",', '  "Statement": [', '    {', ...body.map((l) => `      ${l}`), '    }', '  ]', '}'].join("\n");
// Line numbers: statement body starts at line 5.

const ROOT = '"Principal": {"AWS": "arn:aws:iam::111122223333:root"},';

ruleTester("invalid-policy", {
  valid: [
    { name: "the default key policy", policy: keyStatement('"Sid": "Enable IAM User Permissions",', '"Effect": "Allow",', ROOT, '"Action": "kms:*",', '"Resource": "*"') },
    { name: "a single statement object instead of an array", policy: '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}}' },
    { name: "principal forms: account id, role, assumed role, service, list", policy: keyStatement('"Effect": "Allow",', '"Principal": {"AWS": ["111122223333", "arn:aws:iam::444455556666:role/App", "arn:aws:sts::444455556666:assumed-role/App/session"], "Service": "logs.us-east-1.amazonaws.com"},', '"Action": ["kms:Decrypt"],', '"Resource": "*"') },
    { name: "other partitions", policy: keyStatement('"Effect": "Allow",', '"Principal": {"AWS": "arn:aws-cn:iam::111122223333:root"},', '"Action": "kms:Decrypt",', '"Resource": "*"') },
    { name: "Sid with spaces is fine in a key policy", policy: keyStatement('"Sid": "Allow use of the key",', '"Effect": "Allow",', ROOT, '"Action": "kms:Decrypt",', '"Resource": "*"') },
    { name: "Bool as JSON boolean, IfExists, set operators, Null", policy: keyStatement('"Effect": "Deny",', '"Principal": "*",', '"Action": "kms:*",', '"Resource": "*",', '"Condition": {"Bool": {"aws:SecureTransport": false}, "StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}, "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-a1b2c3d4e5/*"]}, "Null": {"aws:SourceArn": "true"}, "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}, "DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}, "NumericLessThan": {"kms:RotationPeriodInDays": 400}}') },
    { name: "a bucket policy with object and bucket ARNs of one bucket", policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::data-lake","arn:aws:s3:::data-lake/*"]}]}' },
    { name: "policy variables with Version 2012-10-17", policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"}]}' },
  ],
  invalid: [
    {
      name: "duplicate Effect keys point at the second one and name the first",
      policy: keyStatement('"Effect": "Deny",', '"Effect": "Allow",', ROOT, '"Action": "kms:*",', '"Resource": "*"'),
      errors: [{ messageId: "duplicateKey", line: 6, column: 7, endLine: 6, endColumn: 15, message: "first at 5:7" }],
    },
    {
      name: "Effect is case-sensitive",
      policy: keyStatement('"Effect": "allow",', ROOT, '"Action": "kms:*",', '"Resource": "*"'),
      errors: [{ messageId: "structure", line: 5, column: 17, message: 'Effect must be "Allow" or "Deny"' }],
    },
    {
      name: "missing Effect",
      policy: keyStatement(ROOT, '"Action": "kms:*",', '"Resource": "*"'),
      errors: [{ messageId: "structure", line: 4, column: 5, message: 'no "Effect"' }],
    },
    {
      name: "an unknown element names the closest one",
      policy: keyStatement('"Efect": "Allow",', ROOT, '"Action": "kms:*",', '"Resource": "*"'),
      errors: [{ messageId: "structure", line: 5, column: 7, message: 'Did you mean "Effect"?' }],
    },
    {
      name: "a look-alike key (Greek capital epsilon) is an unknown element",
      policy: keyStatement('"\u0395ffect": "Allow",', '"Effect": "Allow",', ROOT, '"Action": "kms:*",', '"Resource": "*"'),
      errors: [
        { messageId: "structure", line: 5, column: 7, message: "Unknown element" },
        { messageId: "characterSet", line: 5, column: 8, message: "U+0395" },
      ],
    },
    {
      name: "lower-case statement element",
      policy: '{\n  "Version": "2012-10-17",\n  "statement": []\n}',
      errors: [{ messageId: "structure", line: 3, column: 3, message: 'Did you mean "Statement"?' }],
    },
    {
      name: "JSON that is not a policy at all",
      policy: '{\n  "name": "my-package",\n  "version": "1.0.0"\n}',
      errors: [{ messageId: "notPolicy", line: 1, column: 1 }],
    },
    {
      name: "bad Version",
      policy: '{\n  "Version": "2012-10-18",\n  "Statement": []\n}',
      errors: [
        { messageId: "structure", line: 2, column: 14, message: "policy language version" },
        { messageId: "noStatements", line: 3, column: 16, severity: "warning" },
      ],
    },
    {
      name: "no Version",
      policy: '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}]}',
      errors: [{ messageId: "noVersion", line: 1, column: 1, severity: "warning" }],
    },
    {
      name: "Principal and NotPrincipal together",
      policy: keyStatement('"Effect": "Allow",', ROOT, '"NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/A"},', '"Action": "kms:*",', '"Resource": "*"'),
      errors: [{ messageId: "bothElements", line: 7, column: 7 }],
    },
    {
      name: "Action and NotAction together",
      policy: keyStatement('"Effect": "Allow",', ROOT, '"Action": "kms:*",', '"NotAction": "kms:Decrypt",', '"Resource": "*"'),
      errors: [{ messageId: "bothElements", line: 8, column: 7 }],
    },
    {
      name: "no Principal",
      // Forced: a policy in which no statement names a principal is otherwise detected as an identity policy.
      kind: "key-policy",
      policy: keyStatement('"Effect": "Allow",', '"Action": "kms:*",', '"Resource": "*"'),
      errors: [{ messageId: "missingPrincipal", line: 4, column: 5, severity: "error" }],
    },
    {
      name: "a key policy statement without Action or Resource is accepted by KMS but does nothing: a warning",
      policy: keyStatement('"Effect": "Allow",', ROOT, '"Resource": "*"'),
      errors: [{ messageId: "missingElementKms", line: 4, column: 5, severity: "warning", message: "no Action" }],
    },
    {
      name: "a bucket policy statement without Resource is rejected by S3: an error",
      kind: "bucket-policy",
      policy: keyStatement('"Effect": "Allow",', ROOT, '"Action": "s3:GetObject"'),
      errors: [{ messageId: "missingElementS3", line: 4, column: 5, severity: "error" }],
    },
    {
      name: "duplicate Sid in a key policy is a warning (KMS accepts it)",
      policy: '{"Version":"2012-10-17","Statement":[\n{"Sid":"A","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"},\n{"Sid":"A","Effect":"Allow","Principal":"*","Action":"kms:Encrypt","Resource":"*"}]}',
      errors: [{ messageId: "duplicateSid", line: 3, column: 8, severity: "warning", message: "statement #0" }],
    },
    {
      name: "duplicate Sid in a bucket policy is an error",
      kind: "bucket-policy",
      policy: '{"Version":"2012-10-17","Statement":[\n{"Sid":"A","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},\n{"Sid":"A","Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}',
      errors: [{ messageId: "duplicateSid", line: 3, column: 8, severity: "error" }],
    },
    {
      name: "wildcard inside a principal ARN",
      policy: keyStatement('"Effect": "Allow",', '"Principal": {"AWS": "arn:aws:iam::*:root"},', '"Action": "kms:Decrypt",', '"Resource": "*"'),
      errors: [{ messageId: "awsPrincipal", line: 6, column: 28, message: "wildcard" }],
    },
    {
      name: "wildcard in a role name",
      policy: keyStatement('"Effect": "Allow",', '"Principal": {"AWS": ["arn:aws:iam::111122223333:role/*"]},', '"Action": "kms:Decrypt",', '"Resource": "*"'),
      errors: [{ messageId: "awsPrincipal", line: 6, column: 29, message: "wildcard" }],
    },
    {
      name: "11-digit account id",
      policy: keyStatement('"Effect": "Allow",', '"Principal": {"AWS": "11112222333"},', '"Action": "kms:Decrypt",', '"Resource": "*"'),
      errors: [{ messageId: "awsPrincipal", line: 6, column: 28, message: "has 11 digits" }],
    },
    {
      name: "an account id written as a JSON number loses leading zeros",
      policy: keyStatement('"Effect": "Allow",', '"Principal": {"AWS": 11122223333},', '"Action": "kms:Decrypt",', '"Resource": "*"'),
      errors: [{ messageId: "structure", line: 6, column: 28, message: '"011122223333"' }],
    },
    {
      name: "a string principal other than *",
      policy: keyStatement('"Effect": "Allow",', '"Principal": "111122223333",', '"Action": "kms:Decrypt",', '"Resource": "*"'),
      errors: [{ messageId: "principalString", line: 6, column: 20 }],
    },
    {
      name: "malformed ARN principal and unknown partition",
      policy: keyStatement('"Effect": "Allow",', '"Principal": {"AWS": ["arn:aws:iam:111122223333:root", "arn:aws-xx:iam::111122223333:root"]},', '"Action": "kms:Decrypt",', '"Resource": "*"'),
      errors: [
        { messageId: "awsPrincipal", line: 6, column: 29 },
        { messageId: "awsPrincipal", line: 6, column: 62, message: "unknown partition" },
      ],
    },
    {
      name: "a deleted principal's unique id is a warning",
      policy: keyStatement('"Effect": "Allow",', '"Principal": {"AWS": "AROAJ3UEXAMPLEEXAMPLE"},', '"Action": "kms:Decrypt",', '"Resource": "*"'),
      errors: [{ messageId: "uniqueIdPrincipal", line: 6, column: 28, severity: "warning" }],
    },
    {
      name: "service principal with a wildcard",
      policy: keyStatement('"Effect": "Allow",', '"Principal": {"Service": "*.amazonaws.com"},', '"Action": "kms:Decrypt",', '"Resource": "*"'),
      errors: [{ messageId: "servicePrincipal", line: 6, column: 32 }],
    },
    {
      name: "malformed action",
      policy: keyStatement('"Effect": "Allow",', ROOT, '"Action": ["kms:Decrypt", "kms Encrypt", "Decrypt"],', '"Resource": "*"'),
      errors: [
        { messageId: "action", line: 7, column: 33 },
        { messageId: "action", line: 7, column: 48 },
      ],
    },
    {
      name: "empty Action list",
      policy: keyStatement('"Effect": "Allow",', ROOT, '"Action": [],', '"Resource": "*"'),
      errors: [{ messageId: "structure", line: 7, column: 17, message: "empty list" }],
    },
    {
      name: "unknown condition operator, with a suggestion",
      policy: keyStatement('"Effect": "Allow",', '"Principal": "*",', '"Action": "kms:Decrypt",', '"Resource": "*",', '"Condition": {"StringEqual": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}'),
      errors: [{ messageId: "operator", line: 9, column: 21, message: '"StringEquals"' }],
    },
    {
      name: "ForAnyValues (a typo of ForAnyValue) is not an operator",
      policy: keyStatement('"Effect": "Allow",', '"Principal": "*",', '"Action": "kms:Decrypt",', '"Resource": "*",', '"Condition": {"ForAnyValuesStringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/*"}}'),
      errors: [{ messageId: "operator", line: 9, column: 21 }],
    },
    {
      name: "Null with IfExists",
      policy: keyStatement('"Effect": "Deny",', '"Principal": "*",', '"Action": "kms:*",', '"Resource": "*",', '"Condition": {"NullIfExists": {"aws:SourceArn": "true"}}'),
      errors: [{ messageId: "nullIfExists", line: 9, column: 21 }],
    },
    {
      name: "Bool value that is not true or false",
      policy: keyStatement('"Effect": "Allow",', ROOT, '"Action": "kms:CreateGrant",', '"Resource": "*",', '"Condition": {"Bool": {"kms:GrantIsForAWSResource": "yes"}}'),
      errors: [{ messageId: "boolValue", line: 9, column: 59 }],
    },
    {
      name: "IP address placeholder",
      policy: keyStatement('"Effect": "Deny",', '"Principal": "*",', '"Action": "kms:*",', '"Resource": "*",', '"Condition": {"NotIpAddress": {"aws:SourceIp": "<my-cidr>"}}'),
      errors: [{ messageId: "ipValue", line: 9, column: 54 }],
    },
    {
      name: "policy variables without Version 2012-10-17 are literal text",
      kind: "bucket-policy",
      policy: '{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"}]}',
      errors: [
        { messageId: "noVersion", line: 1, column: 1 },
        { messageId: "variableOldVersion", line: 1, column: 103, severity: "warning" },
      ],
    },
    {
      name: "a bucket policy resource outside S3",
      policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:kms:us-east-1:111122223333:key/abc"}]}',
      kind: "bucket-policy",
      errors: [{ messageId: "bucketResource", line: 1, column: 126 }],
    },
    {
      name: "a bucket policy that names two buckets",
      policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":["arn:aws:s3:::one/*","arn:aws:s3:::two/*"]}]}',
      errors: [{ messageId: "bucketNames", line: 1, column: 148 }],
    },
    {
      name: "characters outside the KMS character set (U+2019 right quote in a Sid)",
      policy: keyStatement('"Sid": "Allow the team\u2019s role",', '"Effect": "Allow",', ROOT, '"Action": "kms:Decrypt",', '"Resource": "*"'),
      errors: [{ messageId: "characterSet", line: 5, column: 29, endLine: 5, endColumn: 30, message: "U+2019" }],
    },
    {
      name: "a JSON array is not a policy",
      policy: '[{"Version":"2012-10-17","Statement":[]}]',
      errors: [{ messageId: "notObject", line: 1, column: 1 }],
    },
    {
      name: "a document nested 70 levels deep",
      policy: `{"Version":"2012-10-17","Statement":${"[".repeat(70)}${"]".repeat(70)}}`,
      errors: [{ messageId: "tooDeep", line: 1, column: 1 }],
    },
    {
      name: "a policy whose kind cannot be told",
      policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"}}]}',
      filePath: "policy.json",
      errors: [
        { messageId: "kindGuess", line: 1, column: 1, severity: "warning" },
        { messageId: "missingElementKms", line: 1, column: 38 },
        { messageId: "missingElementKms", line: 1, column: 38 },
      ],
    },
  ],
});

ruleTester("invalid-policy", {
  valid: [{ name: "a full ARN pattern in ArnLike", policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:*"}}}]}' }],
  invalid: [
    {
      name: "an ARN with five fields in ArnLike matches nothing",
      policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*",\n"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:us-east-1:234567890123"}}}]}',
      errors: [{ messageId: "arnValue", line: 2, column: 41, severity: "warning", message: "has 5 fields" }],
    },
  ],
});
