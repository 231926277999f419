import { ruleTester } from "../rule-tester.js";

const key = (condition: string) =>
  `{\n  "Version": "2012-10-17",\n  "Statement": [{\n    "Effect": "Allow",\n    "Principal": "*",\n    "Action": "kms:Decrypt",\n    "Resource": "*",\n    "Condition": ${condition}\n  }]\n}`;
const bucket = (condition: string) =>
  `{\n  "Version": "2012-10-17",\n  "Statement": [{\n    "Effect": "Deny",\n    "Principal": "*",\n    "Action": "s3:*",\n    "Resource": "arn:aws:s3:::example-bucket/*",\n    "Condition": ${condition}\n  }]\n}`;

ruleTester("unknown-condition-key", {
  valid: [
    { name: "global and KMS keys", policy: key('{"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5", "kms:CallerAccount": "111122223333", "kms:ViaService": "s3.us-east-1.amazonaws.com"}}') },
    { name: "keys are case-insensitive", policy: key('{"StringEquals": {"AWS:principalorgid": "o-a1b2c3d4e5", "kms:callerAccount": "111122223333"}}') },
    { name: "kms:EncryptionContext:<anything>", policy: key('{"StringEquals": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::b", "kms:EncryptionContext:Department": "IT"}}') },
    { name: "tag keys with a variable part", policy: key('{"StringEquals": {"aws:PrincipalTag/team": "data", "aws:ResourceTag/Project": "x", "aws:RequestTag/owner": "y"}}') },
    { name: "S3 keys in a bucket policy", policy: bucket('{"Bool": {"aws:SecureTransport": "false"}, "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}, "StringLike": {"s3:ExistingObjectTag/classification": "*"}}') },
  ],
  invalid: [
    {
      name: "a misspelled global key (aws:PrincipleOrgID), with a suggestion and what the operator then does",
      policy: key('{"StringEquals": {"aws:PrincipleOrgID": "o-a1b2c3d4e5"}}'),
      errors: [{ messageId: "unknown", line: 8, column: 36, endColumn: 56, message: 'did you mean "aws:PrincipalOrgID"?). A missing key makes StringEquals always false' }],
    },
    {
      name: "an unknown key under a negated operator in a Deny is always true",
      policy: bucket('{"StringNotEquals": {"aws:SourceVpce2": "vpce-1a2b3c4d"}}'),
      errors: [{ messageId: "unknown", line: 8, column: 39, message: "always true" }],
    },
    {
      name: "an S3 key in a key policy never matches",
      policy: key('{"StringEquals": {"s3:prefix": "home/"}}'),
      errors: [{ messageId: "otherService", line: 8, column: 36, message: "belongs to s3; KMS requests never carry it" }],
    },
    {
      name: "a KMS key in a bucket policy",
      policy: bucket('{"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}'),
      errors: [{ messageId: "otherService", line: 8, column: 36, message: "belongs to kms" }],
    },
    {
      name: "a made-up KMS key",
      policy: key('{"StringEquals": {"kms:CallerAcount": "111122223333"}}'),
      errors: [{ messageId: "unknown", line: 8, column: 36, message: '"kms:CallerAccount"' }],
    },
  ],
});
