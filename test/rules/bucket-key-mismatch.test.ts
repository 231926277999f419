import { InventoryBuilder, inventoryRuleTester, known, ORG, OTHER_ORG, OWNER, PARTNER, type KeySettings } from "../inventory-builder.js";

const BUCKET = "amzn-s3-demo-data";
const OBJECTS = `arn:aws:s3:::${BUCKET}/*`;
const KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ROOT = { Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${OWNER}:root` }, Action: "kms:*", Resource: "*" };

function statement(sid: string, principal: unknown, action: string | string[] = "s3:GetObject", condition?: object): object {
  return { Sid: sid, Effect: "Allow", Principal: principal, Action: action, Resource: OBJECTS, ...(condition ? { Condition: condition } : {}) };
}
function keyStatement(sid: string, principal: unknown, action: string | string[], condition?: object): object {
  return { Sid: sid, Effect: "Allow", Principal: principal, Action: action, Resource: "*", ...(condition ? { Condition: condition } : {}) };
}
const policy = (...statements: object[]) => ({ Version: "2012-10-17", Statement: statements });
const keyPolicy = (...statements: object[]) => policy(ROOT, ...statements);
const partnerRole = { AWS: `arn:aws:iam::${PARTNER}:role/Reader` };
const partnerRoot = { AWS: `arn:aws:iam::${PARTNER}:root` };
const inOrg = (org: string) => ({ StringEquals: { "aws:PrincipalOrgID": org } });

/**
 * DataKey at line 40 (its key policy from line 42), DataBucket at line 3 encrypted with DataKey by ARN
 * (anchor 8:11), and DataBucketPolicy whose PolicyDocument starts at line 22: the Principal of its first
 * statement is at 28:26 ("*") or, for {"AWS": "…"}, at 29:22.
 */
function build(keyPolicyJson: object | undefined, bucketPolicy: object, options: { key?: KeySettings; format?: "cloudformation" | "terraform-plan"; owner?: boolean; algorithm?: string } = {}) {
  return () => {
    const terraform = options.format === "terraform-plan";
    const builder = new InventoryBuilder({ format: options.format ?? "cloudformation", ...(options.owner === false ? {} : { owner: OWNER }) });
    const key = builder.key(terraform ? "aws_kms_key.data" : "DataKey", 40, { rotationEnabled: known(true, 41), ...options.key }, keyPolicyJson ? { json: keyPolicyJson, line: 42 } : undefined);
    const bucket = builder.bucket(terraform ? "aws_s3_bucket.data" : "DataBucket", 3, {
      name: BUCKET,
      encryption: { algorithm: known(options.algorithm ?? "aws:kms", 9, 29), keyReference: known(KEY_ARN, 10, 29), key, line: 8 },
    });
    builder.bucketPolicy(bucket, terraform ? "aws_s3_bucket_policy.data" : "DataBucketPolicy", bucketPolicy, 22);
    return builder;
  };
}

const TRUST = { account: OWNER, org: ORG };

inventoryRuleTester("bucket-key-mismatch", {
  valid: [
    { name: "the key lets the partner account (its root) decrypt: the role the bucket names is covered", build: build(keyPolicy(keyStatement("Partner", partnerRoot, "kms:Decrypt")), policy(statement("Share", partnerRole))), trust: TRUST },
    { name: "writes: the key lets the partner decrypt and generate data keys", build: build(keyPolicy(keyStatement("Partner", partnerRoot, ["kms:Decrypt", "kms:GenerateDataKey*"])), policy(statement("Upload", partnerRole, "s3:PutObject"))), trust: TRUST },
    { name: "the key names the same role", build: build(keyPolicy(keyStatement("Reader", partnerRole, "kms:Decrypt")), policy(statement("Share", partnerRole))), trust: TRUST },
    { name: "the bucket names the whole account, the key one role of it (the account delegates to that role)", build: build(keyPolicy(keyStatement("Reader", partnerRole, "kms:Decrypt")), policy(statement("Share", partnerRoot))), trust: TRUST },
    { name: "kms:* to the partner", build: build(keyPolicy(keyStatement("Partner", { AWS: PARTNER }, "kms:*")), policy(statement("All", partnerRole, "s3:*"))), trust: TRUST },
    { name: "the permissions in two key statements", build: build(keyPolicy(keyStatement("Read", partnerRoot, "kms:Decrypt"), keyStatement("Write", partnerRoot, "kms:GenerateDataKey")), policy(statement("Upload", partnerRole, "s3:PutObject"))), trust: TRUST },
    { name: "a key open to anyone covers every account (public-access reports the key)", build: build(keyPolicy(keyStatement("Anyone", "*", "kms:Decrypt")), policy(statement("Share", partnerRole))), trust: TRUST },
    { name: "the key admits the organization the bucket admits", build: build(keyPolicy(keyStatement("Org", "*", ["kms:Decrypt", "kms:GenerateDataKey"], inOrg(ORG))), policy(statement("Org", "*", ["s3:GetObject", "s3:PutObject"], inOrg(ORG)))), trust: TRUST },
    { name: "the key admits an organization the bucket requires of the account", build: build(keyPolicy(keyStatement("Org", "*", "kms:Decrypt", inOrg(ORG))), policy(statement("Share", partnerRole, "s3:GetObject", inOrg(ORG)))), trust: TRUST },
    { name: "the key's ${aws:ResourceOrgID} is --org", build: build(keyPolicy(keyStatement("Org", "*", "kms:Decrypt", { StringEquals: { "aws:PrincipalOrgID": "${aws:ResourceOrgID}" } })), policy(statement("Org", "*", "s3:GetObject", inOrg(ORG)))), trust: TRUST },
    { name: "the bucket shares with the owner account only", build: build(keyPolicy(), policy(statement("Own", { AWS: `arn:aws:iam::${OWNER}:role/App` }, ["s3:GetObject", "s3:PutObject"]))), trust: TRUST },
    { name: "the bucket shares metadata only (no KMS call)", build: build(keyPolicy(), policy(statement("Tags", partnerRole, ["s3:GetObjectTagging", "s3:GetObjectAcl"]))), trust: TRUST },
    { name: "a public bucket is left to public-access", build: build(keyPolicy(), policy(statement("Public", "*"))), trust: TRUST },
    { name: "a service principal maps to no account a key policy could name", build: build(keyPolicy(), policy(statement("Logs", { Service: "logging.s3.amazonaws.com" }, "s3:PutObject", { StringEquals: { "aws:SourceAccount": PARTNER } }))), trust: TRUST },
    { name: "SSE-S3: the key is not used", build: build(keyPolicy(), policy(statement("Share", partnerRole)), { algorithm: "AES256" }), trust: TRUST },
    {
      name: "the key's policy could not be evaluated (unresolved-value reports it)",
      build: () => {
        const builder = new InventoryBuilder({ format: "terraform-plan", owner: OWNER });
        const keyResource = builder.resource("aws_kms_key.data", "aws_kms_key", 40);
        const key = builder.key("aws_kms_key.data", 40);
        key.resource = keyResource;
        key.policy = builder.unresolvedPolicy("key-policy", keyResource, "jsonencode(local.key_policy)", 42);
        const bucket = builder.bucket("aws_s3_bucket.data", 3, { encryption: { algorithm: known("aws:kms", 9, 29), keyReference: known(KEY_ARN, 10, 29), key, line: 8 } });
        builder.bucketPolicy(bucket, "aws_s3_bucket_policy.data", policy(statement("Share", partnerRole)), 22);
        return builder;
      },
      trust: TRUST,
    },
    { name: "a key whose policy is neither written nor known to be the default", build: build(undefined, policy(statement("Share", partnerRole))), trust: TRUST },
    {
      name: "a key outside the inventory (by ARN, not linked)",
      build: () => {
        const builder = new InventoryBuilder({ owner: OWNER });
        const bucket = builder.bucket("DataBucket", 3, { encryption: { algorithm: known("aws:kms", 9, 29), keyReference: known(KEY_ARN, 10, 29), line: 8 } });
        builder.bucketPolicy(bucket, "DataBucketPolicy", policy(statement("Share", partnerRole)), 22);
        return builder;
      },
      trust: TRUST,
    },
  ],
  invalid: [
    {
      name: "read: the key lets only its own account decrypt",
      build: build(keyPolicy(), policy(statement("ShareWithPartner", partnerRole))),
      trust: TRUST,
      errors: [
        {
          messageId: "missing",
          line: 29,
          column: 22,
          severity: "warning",
          resource: "DataBucketPolicy",
          message: [
            `DataBucketPolicy: Statement "ShareWithPartner" of this bucket policy lets role/Reader in account ${PARTNER} (outside your organization) read objects (GetObject) in bucket "${BUCKET}"`,
            "whose default encryption key is DataKey",
            `does not let account ${PARTNER} (role/Reader) call kms:Decrypt`,
            "its GetObject requests fail with AccessDenied from KMS, although S3 allows them",
            `add kms:Decrypt for arn:aws:iam::${PARTNER}:role/Reader or arn:aws:iam::${PARTNER}:root to the key policy of DataKey`,
            "kmslint cannot see grants",
          ],
        },
      ],
    },
    {
      name: "write only: kms:Decrypt (multipart) and kms:GenerateDataKey are both missing, one finding",
      build: build(keyPolicy(), policy(statement("Upload", partnerRoot, "s3:PutObject"))),
      trust: TRUST,
      errors: [
        {
          line: 29,
          column: 22,
          message: ["call kms:Decrypt or kms:GenerateDataKey", "its PutObject requests fail", `add kms:Decrypt and kms:GenerateDataKey for arn:aws:iam::${PARTNER}:root to the key policy`],
        },
      ],
    },
    {
      name: "write only, the key allows kms:Decrypt: kms:GenerateDataKey is missing",
      build: build(keyPolicy(keyStatement("Partner", partnerRoot, "kms:Decrypt")), policy(statement("Upload", partnerRole, "s3:PutObject"))),
      trust: TRUST,
      errors: [{ line: 29, column: 22, message: ["kms:GenerateDataKey", "write objects (PutObject)"] }],
    },
    {
      name: "write only, the key allows kms:GenerateDataKey: multipart uploads need kms:Decrypt",
      build: build(keyPolicy(keyStatement("Partner", partnerRoot, "kms:GenerateDataKey")), policy(statement("Upload", partnerRole, "s3:PutObject"))),
      trust: TRUST,
      errors: [{ line: 29, column: 22, message: ["call kms:Decrypt", "multipart uploads"] }],
    },
    {
      name: "read-only key, read and write bucket access: kms:GenerateDataKey is missing",
      build: build(keyPolicy(keyStatement("Partner", partnerRoot, "kms:Decrypt")), policy(statement("ReadWrite", partnerRole, ["s3:GetObject", "s3:PutObject"]))),
      trust: TRUST,
      errors: [{ line: 29, column: 22, message: ["read objects (GetObject) and write objects (PutObject)", "call kms:GenerateDataKey"] }],
    },
    {
      name: "read and write, nothing allowed: one finding naming both permissions",
      build: build(keyPolicy(), policy(statement("ReadWrite", partnerRole, ["s3:GetObject", "s3:PutObject"]))),
      trust: TRUST,
      errors: [{ line: 29, column: 22, message: ["call kms:Decrypt or kms:GenerateDataKey", "its GetObject requests and PutObject requests fail"] }],
    },
    {
      name: "the key names another role of the partner account than the bucket",
      build: build(keyPolicy(keyStatement("Writer", { AWS: `arn:aws:iam::${PARTNER}:role/Writer` }, "kms:Decrypt")), policy(statement("Share", partnerRole))),
      trust: TRUST,
      errors: [{ line: 29, column: 22, message: `account ${PARTNER} (role/Reader) call kms:Decrypt` }],
    },
    {
      name: "the key admits an organization, the bucket an account without requiring it",
      build: build(keyPolicy(keyStatement("Org", "*", "kms:Decrypt", inOrg(ORG))), policy(statement("Share", partnerRole))),
      trust: TRUST,
      errors: [{ line: 29, column: 22 }],
    },
    {
      name: "the bucket admits another organization than the key",
      build: build(keyPolicy(keyStatement("Org", "*", "kms:Decrypt", inOrg(ORG))), policy(statement("Partners", "*", "s3:GetObject", inOrg(OTHER_ORG)))),
      trust: TRUST,
      errors: [
        {
          line: 28,
          column: 26,
          message: [`every account of organization ${OTHER_ORG} read objects`, `does not let the accounts of organization ${OTHER_ORG} call kms:Decrypt`, `Principal "*" with StringEquals aws:PrincipalOrgID ${OTHER_ORG}`],
        },
      ],
    },
    {
      name: "a key without a written policy has the default key policy",
      build: build(undefined, policy(statement("Share", partnerRole)), { key: { defaultPolicy: true } }),
      trust: TRUST,
      errors: [{ line: 29, column: 22, message: "no key policy is written, so it has the default key policy, which lets only its own account use it" }],
    },
    {
      name: "a trusted account is reported too: trust does not give it the key",
      build: build(keyPolicy(), policy(statement("Share", partnerRole))),
      trust: { ...TRUST, trustedAccounts: [PARTNER] },
      errors: [{ line: 29, column: 22, message: `account ${PARTNER} (a trusted account)` }],
    },
    {
      name: "two statements for one account: one finding, at the first, naming both",
      build: build(keyPolicy(), policy(statement("First", partnerRole), statement("Second", partnerRole, "s3:GetObjectVersion"))),
      trust: TRUST,
      errors: [{ line: 29, column: 22, message: ['Statement "First" and "Second"', "read objects (GetObject, GetObjectVersion)", "its GetObject and GetObjectVersion requests fail"] }],
    },
    {
      name: "the key's aliases are named",
      build: build(keyPolicy(), policy(statement("Share", partnerRole)), { key: { aliases: ["alias/data"] } }),
      trust: TRUST,
      errors: [{ line: 29, column: 22, message: "DataKey (alias/data)" }],
    },
    {
      name: "dual-layer encryption needs the same permissions",
      build: build(keyPolicy(), policy(statement("Share", partnerRole)), { algorithm: "aws:kms:dsse" }),
      trust: TRUST,
      errors: [{ line: 29, column: 22 }],
    },
    {
      name: "owner unknown: organizations are still compared",
      build: build(keyPolicy(), policy(statement("Share", partnerRole), statement("Org", "*", "s3:GetObject", inOrg(OTHER_ORG))), { owner: false }),
      errors: [{ line: 37, column: 26, message: `organization ${OTHER_ORG}` }],
    },
    {
      name: "Terraform: the finding belongs to the bucket policy resource",
      build: build(keyPolicy(), policy(statement("Share", partnerRole)), { format: "terraform-plan" }),
      trust: TRUST,
      errors: [{ line: 29, column: 22, resource: "aws_s3_bucket_policy.data", message: "the key policy of aws_kms_key.data" }],
    },
  ],
});
