import { defineRule } from "../src/engine/rule.js";
import { bucketWords, encryptionProperties, encryptsWithKms, objectAccessWords, sharedStatements } from "../src/analysis/storage.js";
import { joinWords } from "../src/analysis/explain.js";
import { statementLabel } from "../src/model/policy.js";

export default defineRule({
  meta: {
    id: "aws-managed-key-on-shared-bucket",
    severity: "error",
    appliesTo: [],
    inventory: true,
    description: "A bucket encrypted by default with the AWS managed key aws/s3 is shared with principals outside its account: their object requests fail with AccessDenied from KMS.",
    messages: {
      awsManagedKey:
        "Bucket {{bucket}} is encrypted by default with the AWS managed key aws/s3 ({{how}}), but statement {{statement}} of {{policy}} lets {{parties}} {{access}}. The aws/s3 key policy allows the key only when kms:CallerAccount is the bucket's own account{{owner}}, and nobody can change the policy of an AWS managed key, so those {{requests}} requests fail with AccessDenied from KMS (trusted accounts and accounts of your organization are no exception).{{ownerNote}} Fix: encrypt the bucket with a customer managed key whose key policy lets {{grantees}} call {{kmsActions}}, and name it by its key ARN.",
      requesterAccountKey:
        "Bucket {{bucket}} names its default encryption key by {{form}}{{reference}} ({{property}}), and statement {{statement}} of {{policy}} lets {{parties}} {{access}}. S3 resolves a key id or alias name in the account of the requester, not the bucket's: objects that another account uploads end up encrypted under that account's key of the same name (which the bucket owner may not be able to use), or the upload fails when there is none. Fix: name the key by its ARN ({{arnFix}}).",
    },
  },
  checkInventory(context) {
    const { inventory } = context;
    const properties = encryptionProperties(inventory.format);
    const ownerKnown = context.trust.account !== undefined;
    for (const bucket of inventory.buckets) {
      const encryption = bucket.encryption;
      if (!encryption || encryptsWithKms(encryption) !== true) continue;
      const awsManaged = encryption.awsManagedKey && encryption.keyReferenceForm !== "unknown";
      const requesterResolved = !awsManaged && (encryption.keyReferenceForm === "key-id" || encryption.keyReferenceForm === "alias-name");
      if (!awsManaged && !requesterResolved) continue;
      for (const shared of sharedStatements(bucket, (policy) => context.analysisOf(policy))) {
        const { policy, reach, parties, access } = shared;
        const common = {
          bucket: bucketWords(bucket),
          statement: statementLabel(reach.statement),
          policy: policy.resource.address,
          parties: joinWords(parties.map((p) => p.words)),
          access: objectAccessWords(access),
        };
        if (awsManaged) {
          const reference = encryption.keyReference?.known ? encryption.keyReference.value : undefined;
          const how =
            encryption.keyReferenceForm === "absent"
              ? `${properties.algorithm} is ${encryption.algorithm.known ? encryption.algorithm.value : "aws:kms"} and no ${properties.keyId} is set`
              : reference !== undefined
                ? `${properties.keyId} is ${reference}`
                : `${properties.keyId} leads to the AWS managed key aws/s3 (through a data source or an alias)`;
          const accounts = [...new Set(parties.flatMap((p) => (p.account ? [p.account] : [])))];
          const orgs = [...new Set(parties.flatMap((p) => (p.org ? [p.org] : [])))];
          const grantees = accounts.map((a) => `account ${a}`).concat(orgs.map((o) => `organization ${o}`));
          context.report({
            messageId: "awsManagedKey",
            data: {
              ...common,
              how,
              owner: ownerKnown ? ` (${context.trust.account})` : "",
              requests: joinWords([...access.reads, ...access.writes]),
              ownerNote: ownerKnown ? "" : " The owner account is unknown, so accounts the policy names are not reported: pass --account to check them too.",
              grantees: grantees.length > 0 ? joinWords(grantees) : "the principals that need it",
              kmsActions: access.writes.length > 0 ? "kms:Decrypt and kms:GenerateDataKey" : "kms:Decrypt",
            },
            resource: encryption.resource,
            range: encryption.anchor,
          });
          continue;
        }
        // The alias pitfall concerns uploads only: a read uses the key recorded with the object.
        if (access.writes.length === 0) continue;
        const key = encryption.key;
        const arnFix =
          inventory.format === "terraform-plan"
            ? `${properties.keyId} = ${key ? `${key.resource.address}.arn` : "aws_kms_key.<name>.arn"}`
            : inventory.format === "cloudformation"
              ? `${properties.keyId}: ${key ? `!GetAtt ${key.resource.address}.Arn` : "!GetAtt <Key>.Arn"}`
              : "arn:aws:kms:<region>:<account>:key/<key id>";
        context.report({
          messageId: "requesterAccountKey",
          data: {
            ...common,
            access: objectAccessWords({ reads: [], writes: access.writes }),
            form: encryption.keyReferenceForm === "key-id" ? "a bare key id" : "an alias name",
            reference: encryption.keyReference ? ` ${encryption.keyReference.known ? encryption.keyReference.value : encryption.keyReference.unresolved.expression}` : key && inventory.format === "terraform-plan" ? ` ${key.resource.address}.${encryption.keyReferenceForm === "key-id" ? "key_id" : "name"}` : "",
            property: properties.keyId,
            arnFix,
          },
          resource: encryption.resource,
          range: encryption.anchor,
          severity: "warning",
        });
      }
    }
  },
});
