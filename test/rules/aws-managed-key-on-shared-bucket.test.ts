import { InventoryBuilder, inventoryRuleTester, known, ORG, ORG_ACCOUNT, OTHER_ORG, OWNER, PARTNER, type EncryptionSettings } from "../inventory-builder.js";

const BUCKET = "amzn-s3-demo-data";
const OBJECTS = `arn:aws:s3:::${BUCKET}/*`;

function statement(sid: string, principal: unknown, action: string | string[] = "s3:GetObject", condition?: object): object {
  return { Sid: sid, Effect: "Allow", Principal: principal, Action: action, Resource: OBJECTS, ...(condition ? { Condition: condition } : {}) };
}
const policy = (...statements: object[]) => ({ Version: "2012-10-17", Statement: statements });
const partnerRole = { AWS: `arn:aws:iam::${PARTNER}:role/Reader` };

const SSE_KMS = { algorithm: known("aws:kms", 9, 29), line: 8 };

/**
 * DataBucket at line 3, its default encryption at line 8 (the anchor, 8:11) with SSEAlgorithm at 9:29, and
 * a bucket policy resource DataBucketPolicy whose PolicyDocument starts at line 22.
 */
function shared(encryption: Partial<EncryptionSettings>, bucketPolicy: object | undefined, options: { owner?: boolean; format?: "cloudformation" | "terraform-plan"; key?: boolean } = {}) {
  return () => {
    const builder = new InventoryBuilder({ format: options.format ?? "cloudformation", ...(options.owner === false ? {} : { owner: OWNER }) });
    const key = options.key ? builder.key(options.format === "terraform-plan" ? "aws_kms_key.data" : "DataKey", 40, { rotationEnabled: known(true, 41) }) : undefined;
    const settings: EncryptionSettings = { ...SSE_KMS, ...encryption } as EncryptionSettings;
    if (key) settings.key = key;
    const bucket = builder.bucket(options.format === "terraform-plan" ? "aws_s3_bucket.data" : "DataBucket", 3, { name: BUCKET, encryption: settings });
    if (bucketPolicy) builder.bucketPolicy(bucket, options.format === "terraform-plan" ? "aws_s3_bucket_policy.data" : "DataBucketPolicy", bucketPolicy, 22);
    return builder;
  };
}

const TRUST = { account: OWNER, org: ORG };

inventoryRuleTester("aws-managed-key-on-shared-bucket", {
  valid: [
    { name: "SSE-S3 (AES256) shared with a partner: no KMS involved", build: shared({ algorithm: known("AES256", 9, 29) }, policy(statement("Share", partnerRole))), trust: TRUST },
    { name: "aws/s3 without a bucket policy", build: shared({}, undefined), trust: TRUST },
    { name: "aws/s3 shared only within the owner account", build: shared({}, policy(statement("Own", { AWS: `arn:aws:iam::${OWNER}:role/App` }, ["s3:GetObject", "s3:PutObject"]))), trust: TRUST },
    { name: "aws/s3, partner may only list the bucket", build: shared({}, policy({ ...statement("List", partnerRole, "s3:ListBucket"), Resource: `arn:aws:s3:::${BUCKET}` })), trust: TRUST },
    { name: "aws/s3, partner may only read ACLs and tags (no KMS call)", build: shared({}, policy(statement("Meta", partnerRole, ["s3:GetObjectAcl", "s3:GetObjectTagging", "s3:PutObjectTagging", "s3:DeleteObject"]))), trust: TRUST },
    {
      name: "aws/s3, a Deny keeps every other account out",
      build: shared(
        {},
        policy(statement("Share", partnerRole), { Sid: "OnlyOwner", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [OBJECTS, `arn:aws:s3:::${BUCKET}`], Condition: { StringNotEquals: { "aws:PrincipalAccount": OWNER } } }),
      ),
      trust: TRUST,
    },
    { name: "aws/s3, a service principal without source condition (acts for the owner account)", build: shared({}, policy(statement("Logs", { Service: "cloudtrail.amazonaws.com" }, "s3:PutObject"))), trust: TRUST },
    { name: "aws/s3, a service principal bound to the owner account", build: shared({}, policy(statement("Logs", { Service: "logging.s3.amazonaws.com" }, "s3:PutObject", { StringEquals: { "aws:SourceAccount": OWNER } }))), trust: TRUST },
    { name: "a customer managed key by ARN: bucket-key-mismatch's concern", build: shared({ keyReference: known("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", 10, 29) }, policy(statement("Share", partnerRole, "s3:PutObject"))), trust: TRUST },
    { name: "a customer managed key by alias ARN: named in the owner's account", build: shared({ keyReference: known("arn:aws:kms:us-east-1:111122223333:alias/data", 10, 29) }, policy(statement("Share", partnerRole, "s3:PutObject"))), trust: TRUST },
    { name: "a bare key id, but the partner only reads (a read uses the key recorded with the object)", build: shared({ keyReference: known("1234abcd-12ab-34cd-56ef-1234567890ab", 10, 29) }, policy(statement("Share", partnerRole))), trust: TRUST },
    {
      name: "unknown algorithm (unresolved-value reports it)",
      build: () => {
        const builder = new InventoryBuilder({ owner: OWNER });
        const bucket = builder.bucket("DataBucket", 3, { name: BUCKET, encryption: { algorithm: builder.unknown("!Ref Algorithm", "the parameter has no Default", 9, 29), line: 8 } });
        builder.bucketPolicy(bucket, "DataBucketPolicy", policy(statement("Share", partnerRole)), 22);
        return builder;
      },
      trust: TRUST,
    },
    {
      name: "unknown KMSMasterKeyID",
      build: () => {
        const builder = new InventoryBuilder({ owner: OWNER });
        const bucket = builder.bucket("DataBucket", 3, { name: BUCKET, encryption: { ...SSE_KMS, keyReference: builder.unknown("!ImportValue KeyArn", "kmslint cannot read other stacks' exports", 10, 29) } });
        builder.bucketPolicy(bucket, "DataBucketPolicy", policy(statement("Share", partnerRole, "s3:PutObject")), 22);
        return builder;
      },
      trust: TRUST,
    },
    { name: "owner unknown: an account the policy names cannot be called outside", build: shared({}, policy(statement("Share", partnerRole)), { owner: false }) },
    { name: "owner unknown: a canonical user may be the owner's", build: shared({}, policy(statement("Share", { CanonicalUser: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be" })), { owner: false }) },
  ],
  invalid: [
    {
      name: "no KMSMasterKeyID: aws/s3, read by a partner role",
      build: shared({}, policy(statement("ShareWithPartner", partnerRole))),
      trust: TRUST,
      errors: [
        {
          messageId: "awsManagedKey",
          line: 8,
          column: 11,
          severity: "error",
          resource: "DataBucket",
          message: [
            `DataBucket: Bucket "${BUCKET}" is encrypted by default with the AWS managed key aws/s3 (SSEAlgorithm is aws:kms and no KMSMasterKeyID is set)`,
            `statement "ShareWithPartner" of DataBucketPolicy lets role/Reader in account ${PARTNER} (outside your organization) read objects (GetObject)`,
            `kms:CallerAccount is the bucket's own account (${OWNER})`,
            "nobody can change the policy of an AWS managed key",
            "those GetObject requests fail with AccessDenied from KMS",
            `customer managed key whose key policy lets account ${PARTNER} call kms:Decrypt`,
            "key ARN",
          ],
        },
      ],
    },
    {
      name: "KMSMasterKeyID alias/aws/s3",
      build: shared({ keyReference: known("alias/aws/s3", 10, 29) }, policy(statement("Share", partnerRole))),
      trust: TRUST,
      errors: [{ messageId: "awsManagedKey", line: 8, column: 11, message: "(KMSMasterKeyID is alias/aws/s3)" }],
    },
    {
      name: "KMSMasterKeyID the aws/s3 alias ARN",
      build: shared({ keyReference: known("arn:aws:kms:us-east-1:111122223333:alias/aws/s3", 10, 29) }, policy(statement("Share", partnerRole))),
      trust: TRUST,
      errors: [{ messageId: "awsManagedKey", line: 8, column: 11, message: "(KMSMasterKeyID is arn:aws:kms:us-east-1:111122223333:alias/aws/s3)" }],
    },
    {
      name: "dual-layer encryption (aws:kms:dsse) with aws/s3",
      build: shared({ algorithm: known("aws:kms:dsse", 9, 29) }, policy(statement("Share", partnerRole))),
      trust: TRUST,
      errors: [{ messageId: "awsManagedKey", line: 8, column: 11, message: "SSEAlgorithm is aws:kms:dsse and no KMSMasterKeyID is set" }],
    },
    {
      name: "writes need kms:GenerateDataKey too",
      build: shared({}, policy(statement("Upload", partnerRole, ["s3:PutObject", "s3:GetObject"]))),
      trust: TRUST,
      errors: [{ line: 8, column: 11, message: ["read objects (GetObject) and write objects (PutObject)", "those GetObject and PutObject requests", "kms:Decrypt and kms:GenerateDataKey"] }],
    },
    {
      name: "s3:* counts as reads and writes",
      build: shared({}, policy(statement("All", partnerRole, "s3:*"))),
      trust: TRUST,
      errors: [{ line: 8, column: 11, message: ["read objects (GetObject, GetObjectVersion, GetObjectVersionForReplication) and write objects (PutObject)", "those GetObject, GetObjectVersion, GetObjectVersionForReplication and PutObject requests"] }],
    },
    {
      name: "a trusted account is still reported: aws/s3 works only for its own account",
      build: shared({}, policy(statement("Share", partnerRole))),
      trust: { ...TRUST, trustedAccounts: [PARTNER] },
      errors: [{ line: 8, column: 11, message: [`account ${PARTNER} (a trusted account)`, "trusted accounts and accounts of your organization are no exception"] }],
    },
    {
      name: "an account of the owner's organization is still reported",
      build: shared({}, policy(statement("Share", { AWS: ORG_ACCOUNT }, "s3:GetObject", { StringEquals: { "aws:PrincipalOrgID": ORG } }))),
      trust: TRUST,
      errors: [{ line: 8, column: 11, message: `account ${ORG_ACCOUNT} (an account of your organization)` }],
    },
    {
      name: "the whole organization",
      build: shared({}, policy(statement("Org", "*", "s3:GetObject", { StringEquals: { "aws:PrincipalOrgID": ORG } }))),
      trust: TRUST,
      errors: [{ line: 8, column: 11, message: [`every account of organization ${ORG}`, `organization ${ORG} call kms:Decrypt`] }],
    },
    {
      name: "public read: anyone",
      build: shared({}, policy(statement("Public", "*"))),
      trust: TRUST,
      errors: [{ line: 8, column: 11, message: "lets anyone read objects (GetObject)" }],
    },
    {
      name: "a service acting for another account",
      build: shared({}, policy(statement("Logs", { Service: "logging.s3.amazonaws.com" }, "s3:PutObject", { StringEquals: { "aws:SourceAccount": PARTNER } }))),
      trust: TRUST,
      errors: [{ line: 8, column: 11, message: `the service logging.s3.amazonaws.com acting for account ${PARTNER}` }],
    },
    {
      name: "federated identities",
      build: shared({}, policy(statement("Web", { Federated: "cognito-identity.amazonaws.com" }))),
      trust: TRUST,
      errors: [{ line: 8, column: 11, message: 'federated identities of "cognito-identity.amazonaws.com"' }],
    },
    {
      name: "two sharing statements: one finding each, in statement order",
      build: shared({}, policy(statement("First", partnerRole), statement("Second", "*", "s3:PutObject", { StringEquals: { "aws:PrincipalOrgID": OTHER_ORG } }))),
      trust: TRUST,
      errors: [
        { line: 8, column: 11, message: 'statement "First"' },
        { line: 8, column: 11, message: ['statement "Second"', `every account of organization ${OTHER_ORG}`] },
      ],
    },
    {
      name: "two principals in one statement: one finding naming both",
      build: shared({}, policy(statement("Both", { AWS: [`arn:aws:iam::${PARTNER}:role/Reader`, ORG_ACCOUNT] }))),
      trust: TRUST,
      errors: [{ line: 8, column: 11, message: [`role/Reader in account ${PARTNER} (outside your organization) and account ${ORG_ACCOUNT} (outside your organization)`, `lets account ${PARTNER} and account ${ORG_ACCOUNT} call kms:Decrypt`] }],
    },
    {
      name: "without --org, another account is just another account",
      build: shared({}, policy(statement("Share", partnerRole))),
      trust: { account: OWNER },
      errors: [{ line: 8, column: 11, message: `role/Reader in account ${PARTNER} (another account)` }],
    },
    {
      name: "owner unknown: an organization is reported, with a note to pass --account",
      build: shared({}, policy(statement("Share", partnerRole), statement("Org", "*", "s3:GetObject", { StringEquals: { "aws:PrincipalOrgID": ORG } })), { owner: false }),
      errors: [{ line: 8, column: 11, message: [`every account of organization ${ORG}`, "pass --account"] }],
    },
    {
      name: "Terraform: a separate encryption resource carries the finding, the bucket is named",
      build: () => {
        const builder = new InventoryBuilder({ format: "terraform-plan", owner: OWNER });
        const encryptionResource = builder.resource("aws_s3_bucket_server_side_encryption_configuration.data", "aws_s3_bucket_server_side_encryption_configuration", 30);
        const bucket = builder.bucket("aws_s3_bucket.data", 3, { encryption: { algorithm: known("aws:kms", 33, 29), resource: encryptionResource, line: 32 } });
        builder.bucketPolicy(bucket, "aws_s3_bucket_policy.data", policy(statement("Share", partnerRole)), 22);
        return builder;
      },
      trust: TRUST,
      errors: [
        {
          line: 32,
          column: 11,
          resource: "aws_s3_bucket_server_side_encryption_configuration.data",
          message: ["Bucket aws_s3_bucket.data is encrypted", "sse_algorithm is aws:kms and no kms_master_key_id is set", "of aws_s3_bucket_policy.data"],
        },
      ],
    },
    {
      name: "the config's severity replaces the rule's",
      build: shared({}, policy(statement("Share", partnerRole))),
      trust: TRUST,
      severities: { "aws-managed-key-on-shared-bucket": "warning" },
      errors: [{ messageId: "awsManagedKey", line: 8, column: 11, severity: "warning" }],
    },
    {
      name: "a bare key id on a bucket other accounts write to: a warning",
      build: shared({ keyReference: known("1234abcd-12ab-34cd-56ef-1234567890ab", 10, 29) }, policy(statement("Upload", partnerRole, ["s3:PutObject", "s3:GetObject"])), { key: true }),
      trust: TRUST,
      errors: [
        {
          messageId: "requesterAccountKey",
          line: 8,
          column: 11,
          severity: "warning",
          message: [
            "names its default encryption key by a bare key id 1234abcd-12ab-34cd-56ef-1234567890ab (KMSMasterKeyID)",
            `lets role/Reader in account ${PARTNER} (outside your organization) write objects (PutObject)`,
            "in the account of the requester",
            "KMSMasterKeyID: !GetAtt DataKey.Arn",
          ],
        },
      ],
    },
    {
      name: "an alias name on a bucket the organization writes to: a warning",
      build: shared({ keyReference: known("alias/data", 10, 29) }, policy(statement("Org", "*", "s3:PutObject", { StringEquals: { "aws:PrincipalOrgID": ORG } }))),
      trust: TRUST,
      errors: [{ messageId: "requesterAccountKey", line: 8, column: 11, message: ["by an alias name alias/data", "!GetAtt <Key>.Arn"] }],
    },
    {
      name: "Terraform: a key id known only after apply is named by its expression",
      build: () => {
        const builder = new InventoryBuilder({ format: "terraform-plan", owner: OWNER });
        const key = builder.key("aws_kms_key.data", 40, { rotationEnabled: known(true, 41) });
        const keyReference = builder.unknown<string>("aws_kms_key.data.key_id", "known only after apply", 10, 29);
        const bucket = builder.bucket("aws_s3_bucket.data", 3, { encryption: { ...SSE_KMS, keyReference, form: "key-id", key } });
        builder.bucketPolicy(bucket, "aws_s3_bucket_policy.data", policy(statement("Upload", partnerRole, "s3:PutObject")), 22);
        return builder;
      },
      trust: TRUST,
      errors: [{ messageId: "requesterAccountKey", line: 8, column: 11, message: ["by a bare key id aws_kms_key.data.key_id (kms_master_key_id)", "kms_master_key_id = aws_kms_key.data.arn"] }],
    },
    {
      name: "Terraform: an alias name, fixed with the key's arn attribute",
      build: shared({ keyReference: known("alias/data", 10, 29) }, policy(statement("Upload", partnerRole, "s3:PutObject")), { format: "terraform-plan", key: true }),
      trust: TRUST,
      errors: [{ messageId: "requesterAccountKey", line: 8, column: 11, message: "kms_master_key_id = aws_kms_key.data.arn" }],
    },
  ],
});
