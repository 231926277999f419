// npm run bench: figures for kmslint's start-up time and throughput. Prints measurements, never pass/fail;
// exits 0 (unless the bench itself breaks). Run after `npm run build` (npm run bench does both).
//
//  1. Start-up: a ~2 KB key policy (clean, and the same with one typo), whole process
//     `node bin/kmslint.js lint --format json|pretty FILE`, interleaved run by run with `node -e 0` so that
//     machine noise hits both; median / min / p90 of each and the ratio of the medians (goal <= 2.0x).
//  3. Infrastructure as code: a generated ~2 MB CloudFormation template (500 keys, 500 buckets with their
//     bucket policies; YAML, and the same template as JSON) and a Terraform plan of the same estate, whole
//     process `node bin/kmslint.js lint --format json FILE`, median of runs interleaved with `node -e 0`, and
//     the floor of parsing the same file in a process (`node -e` with the yaml package / JSON.parse).
//  2. Throughput over 10,000 generated policies (seeded PRNG; key and bucket policies; 1-30 KB as written;
//     8% seeded with one realistic mistake), goal >= 5,000 policies/s:
//     (a) in process: lintText over the bytes held in memory (median of 3 passes), against JSON.parse over
//         the same texts in the same process;
//     (b) the whole CLI over the folder in one process, JSON report written to a file.
//
// The in-process linter is a second esbuild bundle of src/engine/linter.ts (the CLI bundle exports only
// main), built into the temp folder with the options of scripts/build.mjs. Everything the bench writes goes
// into one temp folder, removed at the end.
//
// Knobs (environment): KMSLINT_BENCH_RUNS (start-up runs per case, default 25), KMSLINT_BENCH_POLICIES
// (default 10000), KMSLINT_BENCH_SEED (default 20240601), KMSLINT_BENCH_CLI_RUNS (default 3),
// KMSLINT_BENCH_KEEP=1 (keep the temp folder: policies/ and linter/linter.mjs, e.g. to profile the loop with
// node --cpu-prof; stage timers inside this process were too distorted by GC to be worth printing).
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { TextDecoder, TextEncoder } from 'node:util';
import { bundleSource } from './bundle-source.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'kmslint.js');
const NODE = process.execPath;
const RUNS = Number(process.env.KMSLINT_BENCH_RUNS ?? 25);
const WARMUP = 3;
const POLICIES = Number(process.env.KMSLINT_BENCH_POLICIES ?? 10_000);
const SEED = Number(process.env.KMSLINT_BENCH_SEED ?? 20240601);
const STARTUP_GOAL = 2.0;
const THROUGHPUT_GOAL = 5_000;

const benchStart = performance.now();
const tmp = mkdtempSync(join(os.tmpdir(), 'kmslint-bench-'));
const MB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------- helpers

function quantile(sorted, q) {
  // nearest rank
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}
function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: median(sorted), min: sorted[0], p90: quantile(sorted, 0.9), n: sorted.length };
}
function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
const ms = (v) => `${v.toFixed(1)} ms`;
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function timeProcess(args, stdio = ['ignore', 'pipe', 'pipe']) {
  const t0 = performance.now();
  const r = spawnSync(NODE, args, { cwd: ROOT, stdio, maxBuffer: 1024 * MB });
  const elapsed = performance.now() - t0;
  if (r.error) throw r.error;
  return { elapsed, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Deterministic PRNG (mulberry32).
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = (list) => list[Math.floor(next() * list.length)];
  const some = (list, lo, hi) => {
    const n = Math.min(list.length, int(lo, hi));
    const copy = [...list];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy.slice(0, n);
  };
  return { next, int, pick, some, chance: (p) => next() < p };
}

// ------------------------------------------------------------------------------------ policy generation

const REGIONS = ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2', 'ap-northeast-1'];
const TEAMS = ['payments', 'ledger', 'analytics', 'platform', 'search', 'identity', 'billing', 'ml', 'data-eng', 'risk', 'growth', 'infra'];
const ROLE_KINDS = ['app', 'etl', 'batch', 'api', 'worker', 'reader', 'writer', 'ci', 'deploy', 'admin', 'ops', 'audit'];
const KMS_ADMIN_ACTIONS = [
  'kms:Create*', 'kms:Describe*', 'kms:Enable*', 'kms:List*', 'kms:Put*', 'kms:Update*', 'kms:Revoke*', 'kms:Disable*',
  'kms:Get*', 'kms:Delete*', 'kms:TagResource', 'kms:UntagResource', 'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion',
  'kms:RotateKeyOnDemand',
];
const KMS_USE_ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'];
const KMS_EXTRA_ACTIONS = ['kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:Sign', 'kms:Verify', 'kms:GetPublicKey', 'kms:GenerateMac', 'kms:VerifyMac'];
const KMS_VIA_SERVICES = ['s3', 'secretsmanager', 'ssm', 'dynamodb', 'rds', 'ec2', 'sqs', 'sns', 'lambda', 'logs'];
const S3_READ = ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging', 's3:GetObjectAcl', 's3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketVersions'];
const S3_WRITE = ['s3:PutObject', 's3:PutObjectTagging', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObjectAcl'];
const S3_REPLICATION = ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags', 's3:GetObjectVersionTagging', 's3:ObjectOwnerOverrideToBucketOwner'];

// The trust context of the generated estate: one owner account, its organization, and the partner accounts
// its policies grant. Clean policies are clean under it; the seeded mistakes are not.
const OWNER = '111122223333';
const ORG = 'o-a1b2c3d4e5';
const PARTNERS = Array.from({ length: 12 }, (_, i) => String(200000000000 + i * 7919));
const TRUST = { account: OWNER, org: ORG, trustedAccounts: PARTNERS };

function makeGenerator(seed) {
  const r = prng(seed);
  const account = () => r.pick(PARTNERS);
  const role = (acct, team) => `arn:aws:iam::${acct}:role/${team ?? r.pick(TEAMS)}-${r.pick(ROLE_KINDS)}-${r.int(1, 99)}`;
  const roles = (acct, lo, hi) => Array.from({ length: r.int(lo, hi) }, () => (r.chance(0.15) ? `arn:aws:iam::${account()}:root` : role(acct)));
  const one = (list) => (list.length === 1 ? list[0] : list);
  const orgId = () => `o-${Math.floor(r.next() * 36 ** 10).toString(36).padStart(10, '0')}`;
  const vpce = () => `vpce-${Math.floor(r.next() * 16 ** 8).toString(16).padStart(8, '0')}${Math.floor(r.next() * 16 ** 8).toString(16).padStart(8, '0')}`.slice(0, 22);
  const cidr = () => (r.chance(0.8) ? `${r.int(1, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.0/${r.pick([16, 20, 24, 28])}` : `2001:db8:${r.int(0, 65535).toString(16)}::/48`);

  function keyStatements(ctx) {
    const { acct, region } = ctx;
    const extra = [
      () => ({
        Sid: 'AllowViaService',
        Effect: 'Allow',
        Principal: { AWS: one(roles(acct, 1, 6)) },
        Action: r.some([...KMS_USE_ACTIONS, ...KMS_EXTRA_ACTIONS], 2, 6),
        Resource: '*',
        Condition: {
          StringEquals: { 'kms:ViaService': one(r.some(KMS_VIA_SERVICES, 1, 3).map((s) => `${s}.${region}.amazonaws.com`)), 'kms:CallerAccount': acct },
        },
      }),
      () => ({
        Sid: 'AllowCloudWatchLogs',
        Effect: 'Allow',
        Principal: { Service: `logs.${region}.amazonaws.com` },
        Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        Resource: '*',
        Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${region}:${acct}:log-group:/${r.pick(TEAMS)}/*` } },
      }),
      () => ({
        Sid: 'AllowCloudTrailEncrypt',
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 'kms:GenerateDataKey*',
        Resource: '*',
        Condition: {
          StringEquals: { 'aws:SourceArn': `arn:aws:cloudtrail:${region}:${acct}:trail/${r.pick(TEAMS)}-trail` },
          StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:aws:cloudtrail:*:${acct}:trail/*` },
        },
      }),
      () => ({
        Sid: 'AllowOrganizationDecrypt',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['kms:Decrypt', 'kms:DescribeKey'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:PrincipalOrgID': ctx.org }, ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::*:role/${r.pick(TEAMS)}-*` } },
      }),
      () => ({
        Sid: 'DenyDeletionExceptBreakGlass',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: ['kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:PutKeyPolicy'],
        Resource: '*',
        Condition: { ArnNotLike: { 'aws:PrincipalArn': roles(acct, 1, 4).concat(`arn:aws:iam::${acct}:role/break-glass`) } },
      }),
      () => ({
        Sid: 'AllowCrossAccountUse',
        Effect: 'Allow',
        Principal: { AWS: Array.from({ length: r.int(1, 8) }, () => (r.chance(0.5) ? `arn:aws:iam::${account()}:root` : account())) },
        Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey'],
        Resource: '*',
        Condition: { 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': r.some(['tenant', 'purpose', 'aws:s3:arn', 'team', 'env'], 1, 3) } },
      }),
      () => ({
        Sid: 'AllowTaggedPrincipals',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${acct}:root` },
        Action: r.some(KMS_USE_ACTIONS, 2, 5),
        Resource: '*',
        Condition: {
          StringEquals: { [`aws:PrincipalTag/${r.pick(['team', 'project', 'cost-center'])}`]: r.pick(TEAMS), 'aws:ResourceTag/env': r.pick(['prod', 'staging', 'dev']) },
          DateLessThan: { 'aws:CurrentTime': `20${r.int(26, 30)}-0${r.int(1, 9)}-1${r.int(0, 9)}T00:00:00Z` },
        },
      }),
      () => ({
        Sid: 'DenyOutsideNetwork',
        Effect: 'Deny',
        Principal: '*',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: {
          NotIpAddress: { 'aws:SourceIp': Array.from({ length: r.int(1, 6) }, cidr) },
          Bool: { 'aws:ViaAWSService': 'false' },
          StringNotEquals: { 'aws:SourceVpce': Array.from({ length: r.int(1, 3) }, vpce) },
        },
      }),
      () => ({
        Sid: 'AllowGrantsForServices',
        Effect: 'Allow',
        Principal: { AWS: one(roles(acct, 1, 4)) },
        Action: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
        Resource: '*',
        Condition: {
          Bool: { 'kms:GrantIsForAWSResource': r.chance(0.5) ? 'true' : true },
          'ForAllValues:StringEquals': { 'kms:GrantOperations': r.some(['Decrypt', 'Encrypt', 'GenerateDataKey', 'ReEncryptFrom', 'ReEncryptTo', 'DescribeKey'], 2, 5) },
        },
      }),
    ];
    const statements = [
      { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${acct}:root` }, Action: 'kms:*', Resource: '*' },
      { Sid: 'Allow access for Key Administrators', Effect: 'Allow', Principal: { AWS: one(roles(acct, 1, 3)) }, Action: KMS_ADMIN_ACTIONS, Resource: '*' },
      { Sid: 'Allow use of the key', Effect: 'Allow', Principal: { AWS: one(roles(acct, 1, 4)) }, Action: KMS_USE_ACTIONS, Resource: '*' },
      {
        Sid: 'Allow attachment of persistent resources',
        Effect: 'Allow',
        Principal: { AWS: one(roles(acct, 1, 4)) },
        Action: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
        Resource: '*',
        Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      },
    ];
    return { statements, extra };
  }

  function bucketStatements(ctx) {
    const { acct, region, bucket } = ctx;
    const b = `arn:aws:s3:::${bucket}`;
    const prefix = () => `${r.pick(TEAMS)}/${r.pick(['raw', 'curated', 'exports', 'reports', 'tmp', 'archive'])}`;
    const extra = [
      () => ({
        Sid: 'CrossAccountRead',
        Effect: 'Allow',
        Principal: { AWS: one(roles(account(), 1, 8)) },
        Action: r.some(S3_READ, 2, 6),
        Resource: [b, `${b}/${prefix()}/*`],
      }),
      () => ({
        Sid: 'TeamReadWrite',
        Effect: 'Allow',
        Principal: { AWS: one(roles(acct, 1, 6)) },
        Action: r.some([...S3_READ, ...S3_WRITE], 3, 9),
        Resource: Array.from({ length: r.int(1, 4) }, () => `${b}/${prefix()}/*`),
      }),
      () => ({
        Sid: 'ListOwnPrefix',
        Effect: 'Allow',
        Principal: { AWS: one(roles(acct, 1, 4)) },
        Action: 's3:ListBucket',
        Resource: b,
        Condition: { StringLike: { 's3:prefix': [`${prefix()}/*`, 'home/${aws:username}/*', ''] } },
      }),
      () => ({
        Sid: 'CloudFrontOAC',
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Resource: `${b}/*`,
        Condition: { StringEquals: { 'AWS:SourceArn': `arn:aws:cloudfront::${acct}:distribution/E${Math.floor(r.next() * 36 ** 12).toString(36).toUpperCase().padStart(12, '0')}` } },
      }),
      () => ({
        Sid: 'AllowELBAccessLogs',
        Effect: 'Allow',
        Principal: { Service: 'logdelivery.elasticloadbalancing.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: `${b}/${r.pick(['alb', 'nlb', 'elb'])}-logs/AWSLogs/${acct}/*`,
      }),
      () => ({
        Sid: 'S3ServerAccessLogs',
        Effect: 'Allow',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: `${b}/access-logs/*`,
        Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:s3:::${r.pick(TEAMS)}-${region}-data` }, StringEquals: { 'aws:SourceAccount': acct } },
      }),
      () => ({
        Sid: 'ReplicationFromSource',
        Effect: 'Allow',
        Principal: { AWS: role(account(), 'replication') },
        Action: r.some(S3_REPLICATION, 3, 5),
        Resource: `${b}/*`,
      }),
      () => ({
        Sid: 'DenyOutsideVpce',
        Effect: 'Deny',
        Principal: '*',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        Resource: [`${b}/*`],
        Condition: { StringNotEquals: { 'aws:SourceVpce': Array.from({ length: r.int(1, 4) }, vpce) }, ArnNotLike: { 'aws:PrincipalArn': roles(acct, 1, 3) } },
      }),
      () => ({
        Sid: 'OrgRead',
        Effect: 'Allow',
        Principal: '*',
        Action: ['s3:GetObject', 's3:ListBucket'],
        Resource: [b, `${b}/shared/*`],
        Condition: { StringEquals: { 'aws:PrincipalOrgID': ctx.org }, IpAddress: { 'aws:SourceIp': Array.from({ length: r.int(1, 5) }, cidr) } },
      }),
      () => ({
        Sid: 'DenyWrongKey',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:PutObject',
        Resource: `${b}/*`,
        Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': `arn:aws:kms:${region}:${acct}:key/${uuid()}` } },
      }),
      () => ({
        Sid: 'RequireObjectTags',
        Effect: 'Deny',
        Principal: { AWS: one(roles(acct, 1, 3)) },
        Action: 's3:PutObject',
        Resource: `${b}/${prefix()}/*`,
        Condition: { 'ForAnyValue:StringNotLike': { 's3:RequestObjectTagKeys': ['team', 'classification', 'owner'] }, NumericGreaterThan: { 's3:signatureAge': String(r.int(60000, 600000)) } },
      }),
    ];
    const statements = [
      { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [b, `${b}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    ];
    if (r.chance(0.5)) statements.push({ Sid: 'EnforceTLSv12', Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: [b, `${b}/*`], Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } } });
    if (r.chance(0.6)) statements.push({ Sid: 'DenyUnencryptedUploads', Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `${b}/*`, Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } } });
    return { statements, extra };
  }

  function uuid() {
    const h = (n) => Array.from({ length: n }, () => r.int(0, 15).toString(16)).join('');
    return `${h(8)}-${h(4)}-4${h(3)}-${r.pick(['8', '9', 'a', 'b'])}${h(3)}-${h(12)}`;
  }

  // A realistic mistake, seeded into a minority of the policies, so that the reporting path (positions) runs too.
  const MISTAKES = {
    'key-policy': [
      (p) => { p.Statement[2].Action = ['kms:Encrypt', 'kms:Decrpyt', 'kms:GenerateDataKey*']; return 'unknown-action'; },
      (p) => { p.Statement[3].Condition = { Bool: { 'kms:GrantIsForAwsResources': 'true' } }; return 'unknown-condition-key'; },
      (p) => { p.Statement[1].Principal = { AWS: `arn:aws:iam::${account().slice(1)}:role/admin` }; return 'invalid-policy'; },
      (p) => { delete p.Version; return 'invalid-policy'; },
    ],
    'bucket-policy': [
      (p) => { p.Statement[0].Condition = { Bool: { 'aws:SecureTransport': 'no' } }; return 'invalid-policy'; },
      (p) => { p.Statement.push({ Sid: 'Typo', Effect: 'Allow', Principal: { AWS: role(p.__acct) }, Action: 's3:GetObjects', Resource: `arn:aws:s3:::${p.__bucket}/*` }); return 'unknown-action'; },
      (p) => { p.Statement.push({ Sid: 'WrongKey', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: `arn:aws:s3:::${p.__bucket}/*`, Condition: { StringNotEquals: { 'aws:SourceVPCE': vpce() } } }); return 'unknown-condition-key'; },
      (p) => { p.Statement.push({ Sid: 'KmsInBucket', Effect: 'Allow', Principal: { AWS: role(p.__acct) }, Action: 'kms:Decrypt', Resource: `arn:aws:s3:::${p.__bucket}/*` }); return 'unknown-action'; },
    ],
  };

  const encoder = new TextEncoder();

  /** One policy: kind, target size (bytes as written), text. Adds statements until the text reaches the target. */
  return function generate(index) {
    const kind = r.chance(0.55) ? 'key-policy' : 'bucket-policy';
    // Sizes: log-uniform between 1 KB and 30 KB (many small policies, a long tail of large ones).
    const target = Math.round(1024 * Math.exp(r.next() * Math.log(30)));
    const indent = r.pick([2, 2, 4, '\t']);
    void orgId;
    const ctx = { acct: OWNER, region: r.pick(REGIONS), org: ORG, bucket: `${r.pick(TEAMS)}-${r.pick(['data', 'logs', 'assets', 'backups', 'exports'])}-${r.int(1000, 9999)}` };
    const { statements, extra } = kind === 'key-policy' ? keyStatements(ctx) : bucketStatements(ctx);
    const policy = { Version: '2012-10-17', ...(r.chance(0.5) ? { Id: kind === 'key-policy' ? 'key-consolepolicy-3' : `Policy${r.int(1e12, 1e13)}` } : {}), Statement: statements };
    // Sizes are tracked incrementally: a statement is an element of a non-empty array at depth 2, so it adds
    // its own text, twice the indentation on each of its lines, and ",\n" (minified: its text and ",").
    let raw = JSON.stringify(policy, null, indent).length;
    let minified = JSON.stringify(policy).length;
    const indentWidth = typeof indent === 'number' ? indent : indent.length;
    const sids = new Map();
    // Bucket policies stop below S3's 20 KB (minified) limit; key policies below KMS's 32 KB.
    const limit = kind === 'key-policy' ? 31_000 : 19_500;
    while (raw < target) {
      const s = r.pick(extra)();
      const n = (sids.get(s.Sid) ?? 0) + 1;
      sids.set(s.Sid, n);
      if (n > 1) s.Sid = `${s.Sid}${n}`;
      const own = JSON.stringify(s, null, indent);
      const lines = own.split('\n').length;
      const nextRaw = raw + own.length + lines * 2 * indentWidth + 2;
      const nextMinified = minified + JSON.stringify(s).length + 1;
      if ((kind === 'key-policy' ? nextRaw : nextMinified) > limit) break;
      statements.push(s);
      raw = nextRaw;
      minified = nextMinified;
    }
    let text = JSON.stringify(policy, null, indent);
    if (text.length !== raw) throw new Error(`bench: size bookkeeping is off (${text.length} != ${raw})`);
    let mistake;
    if (r.chance(0.08)) {
      policy.__acct = ctx.acct;
      policy.__bucket = ctx.bucket;
      mistake = r.pick(MISTAKES[kind])(policy);
      delete policy.__acct;
      delete policy.__bucket;
      text = JSON.stringify(policy, null, indent);
    }
    if (r.chance(0.3)) text += '\n';
    const name = `${kind === 'key-policy' ? 'key' : 'bucket'}-${String(index).padStart(5, '0')}.json`;
    return { name, kind, text, bytes: encoder.encode(text), mistake };
  };
}

function startupKeyPolicy() {
  const acct = '111122223333';
  return {
    Version: '2012-10-17',
    Id: 'key-consolepolicy-3',
    Statement: [
      { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${acct}:root` }, Action: 'kms:*', Resource: '*' },
      {
        Sid: 'Allow access for Key Administrators',
        Effect: 'Allow',
        Principal: { AWS: [`arn:aws:iam::${acct}:role/KeyAdmin`, `arn:aws:iam::${acct}:role/SecurityBreakGlass`] },
        Action: KMS_ADMIN_ACTIONS,
        Resource: '*',
      },
      {
        Sid: 'Allow use of the key',
        Effect: 'Allow',
        Principal: { AWS: [`arn:aws:iam::${acct}:role/payments-api`, `arn:aws:iam::${acct}:role/payments-worker`] },
        Action: KMS_USE_ACTIONS,
        Resource: '*',
      },
      {
        Sid: 'Allow attachment of persistent resources',
        Effect: 'Allow',
        Principal: { AWS: [`arn:aws:iam::${acct}:role/payments-api`, `arn:aws:iam::${acct}:role/payments-worker`] },
        Action: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
        Resource: '*',
        Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      },
    ],
  };
}

// ------------------------------------------------------------------------------------ IaC generation

const IAC_KEYS = Number(process.env.KMSLINT_BENCH_IAC_KEYS ?? 500);
const IAC_RUNS = Number(process.env.KMSLINT_BENCH_IAC_RUNS ?? 9);

/** The estate as CloudFormation: keys with a 4-statement key policy, buckets encrypted with them, bucket policies. */
function iacTemplate(n) {
  const resources = {};
  const tags = (i, kind) => [
    { Key: 'Name', Value: `${kind}-${i}` },
    { Key: 'CostCenter', Value: `cc-${1000 + (i % 37)}` },
    { Key: 'DataClassification', Value: i % 3 === 0 ? 'confidential' : 'internal' },
  ];
  for (let i = 0; i < n; i++) {
    const partner = PARTNERS[i % PARTNERS.length];
    resources[`Key${i}`] = {
      Type: 'AWS::KMS::Key',
      Properties: {
        Description: `Data set ${i}`,
        EnableKeyRotation: i % 10 !== 3,
        Tags: tags(i, 'key'),
        KeyPolicy: {
          Version: '2012-10-17',
          Statement: [
            { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: { 'Fn::Sub': 'arn:aws:iam::${AWS::AccountId}:root' } }, Action: 'kms:*', Resource: '*' },
            { Sid: 'KeyAdministrators', Effect: 'Allow', Principal: { AWS: { 'Fn::Sub': 'arn:aws:iam::${AWS::AccountId}:role/KeyAdmin' } }, Action: ['kms:Create*', 'kms:Describe*', 'kms:Enable*', 'kms:List*', 'kms:Put*', 'kms:Update*', 'kms:Revoke*', 'kms:Disable*', 'kms:Get*', 'kms:Delete*', 'kms:TagResource', 'kms:UntagResource', 'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion'], Resource: '*' },
            { Sid: 'PartnerReadsThroughS3', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${partner}:role/Reader` }, Action: ['kms:Decrypt', 'kms:DescribeKey'], Resource: '*', Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 's3.${AWS::Region}.amazonaws.com' } } } },
            { Sid: 'KeyUsers', Effect: 'Allow', Principal: { AWS: [{ 'Fn::Sub': `arn:aws:iam::\${AWS::AccountId}:role/etl-writer-${i % 17}` }, { 'Fn::Sub': `arn:aws:iam::\${AWS::AccountId}:role/analytics-reader-${i % 23}` }] }, Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'], Resource: '*' },
            { Sid: 'AllowAttachmentOfPersistentResources', Effect: 'Allow', Principal: { AWS: { 'Fn::Sub': 'arn:aws:iam::${AWS::AccountId}:role/App' } }, Action: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'], Resource: '*', Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } },
          ],
        },
      },
    };
    resources[`Bucket${i}`] = {
      Type: 'AWS::S3::Bucket',
      Properties: {
        BucketName: `amzn-s3-demo-bucket-${i}`,
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        Tags: tags(i, 'bucket'),
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', ...(i % 25 === 7 ? {} : { KMSMasterKeyID: { 'Fn::GetAtt': [`Key${i}`, 'Arn'] } }) }, BucketKeyEnabled: true }] },
      },
    };
    resources[`BucketPolicy${i}`] = {
      Type: 'AWS::S3::BucketPolicy',
      Properties: {
        Bucket: { Ref: `Bucket${i}` },
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Sid: 'PartnerReads', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${partner}:role/Reader` }, Action: ['s3:GetObject', 's3:ListBucket'], Resource: [{ 'Fn::GetAtt': [`Bucket${i}`, 'Arn'] }, { 'Fn::Sub': `\${Bucket${i}.Arn}/*` }] },
            { Sid: 'DenyUploadsWithAnotherKey', Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: { 'Fn::Sub': `\${Bucket${i}.Arn}/*` }, Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': { 'Fn::GetAtt': [`Key${i}`, 'Arn'] } } } },
            { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [{ 'Fn::GetAtt': [`Bucket${i}`, 'Arn'] }, { 'Fn::Sub': `\${Bucket${i}.Arn}/*` }], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
          ],
        },
      },
    };
  }
  return { AWSTemplateFormatVersion: '2010-09-09', Description: 'kmslint bench estate', Resources: resources };
}

/** JSON to CloudFormation YAML with short-form tags (the template above uses only Fn::Sub, Fn::GetAtt and Ref). */
function toCfnYaml(value, indent = '') {
  const scalar = (v) => (typeof v === 'string' ? (/^[A-Za-z0-9/_.-][A-Za-z0-9/_.:* -]*$/.test(v) && !/: |^\d|^(true|false|null|yes|no)$/i.test(v) && !v.endsWith(':') ? v : JSON.stringify(v)) : String(v));
  const tagged = (v) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === 'Ref') return `!Ref ${v.Ref}`;
      if (keys.length === 1 && keys[0] === 'Fn::Sub' && typeof v['Fn::Sub'] === 'string') return `!Sub ${JSON.stringify(v['Fn::Sub'])}`;
      if (keys.length === 1 && keys[0] === 'Fn::GetAtt') return `!GetAtt ${v['Fn::GetAtt'].join('.')}`;
    }
    return undefined;
  };
  const lines = [];
  if (Array.isArray(value)) {
    for (const item of value) {
      const t = tagged(item);
      if (t || item === null || typeof item !== 'object') lines.push(`${indent}- ${t ?? scalar(item)}`);
      else {
        const inner = toCfnYaml(item, `${indent}  `).split('\n');
        lines.push(`${indent}- ${inner[0].trimStart()}`, ...inner.slice(1));
      }
    }
  } else {
    for (const [k, v] of Object.entries(value)) {
      const key = /^[A-Za-z0-9:_-]+$/.test(k) ? k : JSON.stringify(k);
      const t = tagged(v);
      if (t || v === null || typeof v !== 'object') lines.push(`${indent}${key}: ${t ?? scalar(v)}`);
      else if (Array.isArray(v) && v.length === 0) lines.push(`${indent}${key}: []`);
      else lines.push(`${indent}${key}:`, toCfnYaml(v, `${indent}  `));
    }
  }
  return lines.join('\n');
}

/** The same estate as a Terraform plan (terraform show -json): policies as JSON strings, keys linked by references. */
function iacPlan(n) {
  const owner = TRUST.account;
  const resources = [];
  const changes = [];
  const config = [];
  for (let i = 0; i < n; i++) {
    const partner = PARTNERS[i % PARTNERS.length];
    const keyPolicy = JSON.stringify({ Version: '2012-10-17', Statement: [
      { Sid: 'EnableIAMUserPermissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${owner}:root` }, Action: 'kms:*', Resource: '*' },
      { Sid: 'PartnerReadsThroughS3', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${partner}:role/Reader` }, Action: ['kms:Decrypt', 'kms:DescribeKey'], Resource: '*', Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } } },
    ] });
    const bucket = `amzn-s3-demo-bucket-${i}`;
    const bucketPolicy = JSON.stringify({ Version: '2012-10-17', Statement: [
      { Sid: 'PartnerReads', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${partner}:role/Reader` }, Action: ['s3:GetObject', 's3:ListBucket'], Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] },
    ] });
    const add = (type, name, values, unknown, expressions) => {
      const address = `${type}.${name}`;
      resources.push({ address, mode: 'managed', type, name, provider_name: 'registry.terraform.io/hashicorp/aws', schema_version: 0, values, sensitive_values: {} });
      changes.push({ address, mode: 'managed', type, name, provider_name: 'registry.terraform.io/hashicorp/aws', change: { actions: ['create'], before: null, after: values, after_unknown: { arn: true, id: true, ...unknown }, before_sensitive: false, after_sensitive: {} } });
      config.push({ address, mode: 'managed', type, name, provider_config_key: 'aws', expressions, schema_version: 0 });
    };
    add('aws_kms_key', `k${i}`, { customer_master_key_spec: 'SYMMETRIC_DEFAULT', key_usage: 'ENCRYPT_DECRYPT', enable_key_rotation: i % 10 !== 3, rotation_period_in_days: 365, is_enabled: true, multi_region: false, policy: keyPolicy }, {}, {});
    add('aws_s3_bucket', `b${i}`, { bucket, force_destroy: false }, {}, { bucket: { constant_value: bucket } });
    add('aws_s3_bucket_server_side_encryption_configuration', `b${i}`, { rule: [{ apply_server_side_encryption_by_default: [{ sse_algorithm: 'aws:kms' }], bucket_key_enabled: true }] }, { bucket: true, rule: [{ apply_server_side_encryption_by_default: [{ kms_master_key_id: true }] }] },
      { bucket: { references: [`aws_s3_bucket.b${i}.id`, `aws_s3_bucket.b${i}`] }, rule: [{ apply_server_side_encryption_by_default: [{ kms_master_key_id: { references: [`aws_kms_key.k${i}.arn`, `aws_kms_key.k${i}`] } }] }] });
    add('aws_s3_bucket_policy', `b${i}`, { policy: bucketPolicy }, { bucket: true }, { bucket: { references: [`aws_s3_bucket.b${i}.id`, `aws_s3_bucket.b${i}`] } });
  }
  return { format_version: '1.2', terraform_version: '1.9.8', planned_values: { root_module: { resources } }, resource_changes: changes, configuration: { root_module: { resources: config } } };
}

// ------------------------------------------------------------------------------------ pre-commit hook

// 4. The pre-commit hook's entry (.pre-commit-hooks.yaml: `kmslint lint --ignore-unknown`) with the file names
// pre-commit passes, whole process, interleaved run by run with `node -e 0`: one clean policy (a commit that
// touches one file), and 20 changed files (policies with and without findings, a CloudFormation template, and
// package.json and a workflow, which --ignore-unknown skips). Then the same 20 files split as pre-commit would
// split them if the hook had require_serial: false (partitions of max(4, ceil(files / cores)) files, run at
// once), timed until the last process ends: the figure behind require_serial: true in .pre-commit-hooks.yaml.
// KMSLINT_BENCH_HOOK_RUNS sets the runs (default 15, at least 11).
const HOOK_RUNS = Math.max(11, Number(process.env.KMSLINT_BENCH_HOOK_RUNS ?? 15));

async function preCommitHookSection() {
  const { spawn } = await import('node:child_process');
  const examples = join(ROOT, 'policies-examples');
  const dir = join(tmp, 'pre-commit');
  const place = (from, to) => {
    mkdirSync(dirname(join(dir, to)), { recursive: true });
    writeFileSync(join(dir, to), readFileSync(join(examples, from)));
    return join(dir, to);
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'kmslint.config.json'), JSON.stringify(TRUST));
  const cleanFile = join(dir, 'one', 'key-policy.json');
  mkdirSync(dirname(cleanFile), { recursive: true });
  writeFileSync(cleanFile, `${JSON.stringify(startupKeyPolicy(), null, 2)}\n`);

  const policies = [
    ...['account-id-as-number', 'condition-key-typo', 'cross-account-untrusted', 'effect-case', 'external-admin', 'grant-without-guard', 'lockout', 'public-decrypt', 'service-principal-without-source', 'unknown-action'].map((f) => `key-policies/bad-${f}.json`),
    'key-policies/good-default-key-policy.json',
    'key-policies/good-data-perimeter-key-policy.json',
    ...['public-read', 'not-principal-allow', 'vpce-only-read', 'wildcard-in-principal-arn'].map((f) => `bucket-policies/bad-${f}.json`),
    'bucket-policies/good-enforce-tls-and-sse-kms.json',
  ];
  const changed = policies.map((f) => place(f, join('changed', f)));
  changed.push(place('cloudformation/bad-bucket-key-mismatch.yaml', 'changed/infra/stack.yaml'));
  const pkg = join(dir, 'changed', 'package.json');
  writeFileSync(pkg, `${JSON.stringify({ name: 'infra', version: '1.0.0', private: true, scripts: { test: 'vitest' } }, null, 2)}\n`);
  const workflow = join(dir, 'changed', '.github', 'workflows', 'ci.yml');
  mkdirSync(dirname(workflow), { recursive: true });
  writeFileSync(workflow, 'name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v6\n      - run: npm test\n');
  changed.push(pkg, workflow);

  const hook = (files, extra = []) => [BIN, 'lint', '--ignore-unknown', ...extra, ...files];
  const describe = (files) => {
    const run = timeProcess(hook(files, ['--format', 'json']));
    try {
      const results = JSON.parse(run.stdout.toString());
      const found = results.reduce((n, r) => n + r.messages.length, 0);
      const withFindings = results.filter((r) => r.messages.length > 0).length;
      return `${results.length} files linted (${files.length - results.length} skipped), ${found} findings in ${withFindings} files, exit ${run.status}`;
    } catch {
      return `unreadable output, exit ${run.status}: ${run.stderr.toString().slice(0, 300)}`;
    }
  };
  const empty = ['-e', '0'];
  const compare = (args) => {
    for (let i = 0; i < WARMUP; i++) {
      timeProcess(empty);
      timeProcess(args);
    }
    const a = [];
    const b = [];
    for (let i = 0; i < HOOK_RUNS; i++) {
      if (i % 2 === 0) {
        b.push(timeProcess(empty).elapsed);
        a.push(timeProcess(args).elapsed);
      } else {
        a.push(timeProcess(args).elapsed);
        b.push(timeProcess(empty).elapsed);
      }
    }
    return { hook: stats(a), node: stats(b) };
  };
  const print = (label, s) => {
    console.log(`    ${label.padEnd(22)} median ${ms(s.hook.median)}  min ${ms(s.hook.min)}  p90 ${ms(s.hook.p90)}`);
    console.log(`    ${'node -e 0'.padEnd(22)} median ${ms(s.node.median)}  min ${ms(s.node.min)}  p90 ${ms(s.node.p90)}`);
    console.log(`    ratio of medians: ${(s.hook.median / s.node.median).toFixed(2)}x   kmslint - node = ${ms(s.hook.median - s.node.median)}`);
  };

  header(`4. pre-commit hook: node bin/kmslint.js lint --ignore-unknown <files>, whole process, ${WARMUP} warm-up + ${HOOK_RUNS} runs each, interleaved with node -e 0`);
  console.log(`  1 clean policy (${readFileSync(cleanFile).length.toLocaleString('en-US')}-byte key policy): ${describe([cleanFile])}`);
  print('kmslint hook, 1 file', compare(hook([cleanFile])));
  console.log(`  20 changed files: ${policies.length} policies, 1 CloudFormation template, package.json and a workflow: ${describe(changed)}`);
  print('kmslint hook, 20 files', compare(hook(changed)));

  // As pre-commit would run the hook with require_serial: false: partitions (pre_commit/xargs.py) at the same time.
  const cores = os.cpus().length;
  const size = Math.max(4, Math.ceil(changed.length / cores));
  const parts = [];
  for (let i = 0; i < changed.length; i += size) parts.push(changed.slice(i, i + size));
  const runAll = () => {
    const t0 = performance.now();
    return Promise.all(parts.map((files) => new Promise((done, fail) => {
      const child = spawn(NODE, hook(files), { cwd: ROOT, stdio: 'ignore' });
      child.on('error', fail);
      child.on('close', (code) => done(code));
    }))).then((codes) => ({ elapsed: performance.now() - t0, status: Math.max(...codes) }));
  };
  for (let i = 0; i < WARMUP; i++) await runAll();
  const split = [];
  let splitStatus;
  for (let i = 0; i < HOOK_RUNS; i++) {
    const r = await runAll();
    split.push(r.elapsed);
    splitStatus = r.status;
  }
  const ss = stats(split);
  console.log(`  the 20 files split as pre-commit would split them on ${cores} cores with require_serial: false: ${parts.length} processes of ${parts.map((p) => p.length).join(' + ')} files at once, exit ${splitStatus} (the highest)`);
  console.log(`    ${'until the last ends'.padEnd(22)} median ${ms(ss.median)}  min ${ms(ss.min)}  p90 ${ms(ss.p90)}`);
}

// ------------------------------------------------------------------------------------------------ main

const loadavg = () => os.loadavg().map((v) => v.toFixed(2)).join(' / ') + ' (1 / 5 / 15 min)';

function header(title) {
  console.log(`\n== ${title}`);
}

async function main() {
  const cpus = os.cpus();
  console.log('kmslint bench');
  console.log(`machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${os.platform()} ${os.release()}, node ${process.version}`);
  console.log(`load average at start: ${loadavg()} (other work on the machine skews every figure below)`);

  // ---------------------------------------------------------------------------------- 1. start-up
  const keyFile = join(tmp, 'startup', 'key-policy.json');
  mkdirSync(dirname(keyFile), { recursive: true });
  writeFileSync(keyFile, `${JSON.stringify(startupKeyPolicy(), null, 4)}\n`);
  const keyBytes = readFileSync(keyFile).length;
  // The same policy with one typo, so that --format pretty has something to print.
  const typoFile = join(tmp, 'startup', 'key-policy-typo.json');
  const typo = startupKeyPolicy();
  typo.Statement[2].Action = typo.Statement[2].Action.map((a) => (a === 'kms:Decrypt' ? 'kms:Decrpyt' : a));
  writeFileSync(typoFile, `${JSON.stringify(typo, null, 4)}\n`);

  const findingsIn = (file) => {
    const run = timeProcess([BIN, 'lint', '--format', 'json', file]);
    try {
      return `${JSON.parse(run.stdout.toString()).reduce((n, r) => n + r.messages.length, 0)} findings, exit ${run.status}`;
    } catch {
      return `unreadable output, exit ${run.status}: ${run.stderr.toString().slice(0, 300)}`;
    }
  };
  // Whether a run loads eslint-formatter-pretty (from Node's ESM debug log, one extra run).
  const loadsFormatter = (args) => {
    const r = spawnSync(NODE, args, { cwd: ROOT, env: { ...process.env, NODE_DEBUG: 'esm' }, encoding: 'utf8', maxBuffer: 64 * MB });
    return /eslint-formatter-pretty/.test(`${r.stderr}${r.stdout}`) ? 'loads eslint-formatter-pretty' : 'does not load eslint-formatter-pretty';
  };

  header(`1. start-up (${WARMUP} warm-up + ${RUNS} runs each, interleaved run by run with node -e 0; goal: ratio of medians <= ${STARTUP_GOAL.toFixed(1)}x)`);
  console.log(`  clean file: ${keyBytes.toLocaleString('en-US')}-byte key policy (default + administrators + users + grants), ${findingsIn(keyFile)}`);
  console.log(`  typo file:  the same with "kms:Decrpyt", ${findingsIn(typoFile)}`);
  const cases = [
    { label: '--format json, clean file', args: [BIN, 'lint', '--format', 'json', keyFile] },
    { label: '--format pretty, clean file', args: [BIN, 'lint', '--format', 'pretty', keyFile] },
    { label: '--format pretty, typo file', args: [BIN, 'lint', '--format', 'pretty', typoFile] },
  ];
  const empty = ['-e', '0'];
  for (const c of cases) {
    for (let i = 0; i < WARMUP; i++) {
      timeProcess(empty);
      timeProcess(c.args);
    }
    const a = [];
    const b = [];
    for (let i = 0; i < RUNS; i++) {
      // Alternate which one goes first, so that neither always follows the other.
      if (i % 2 === 0) {
        b.push(timeProcess(empty).elapsed);
        a.push(timeProcess(c.args).elapsed);
      } else {
        a.push(timeProcess(c.args).elapsed);
        b.push(timeProcess(empty).elapsed);
      }
    }
    const sa = stats(a);
    const sb = stats(b);
    console.log(`  ${c.label} (${loadsFormatter(c.args)}):`);
    console.log(`    ${'kmslint lint'.padEnd(14)} median ${ms(sa.median)}  min ${ms(sa.min)}  p90 ${ms(sa.p90)}`);
    console.log(`    ${'node -e 0'.padEnd(14)} median ${ms(sb.median)}  min ${ms(sb.min)}  p90 ${ms(sb.p90)}`);
    console.log(`    ratio of medians: ${(sa.median / sb.median).toFixed(2)}x   (goal: <= ${STARTUP_GOAL.toFixed(1)}x)   kmslint - node = ${ms(sa.median - sb.median)}`);
  }

  // ---------------------------------------------------------------------------------- 4. pre-commit hook (before 3 and 2, which load the machine)
  await preCommitHookSection();

  // ---------------------------------------------------------------------------------- 3. IaC (run before 2, which loads the machine)
  {
    const dir = join(tmp, 'iac');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'kmslint.config.json'), JSON.stringify(TRUST));
    const template = iacTemplate(IAC_KEYS);
    const files = [
      { label: 'CloudFormation YAML', file: join(dir, 'estate.yaml'), text: `${toCfnYaml(template)}\n`, floor: `const y=await import(${JSON.stringify(pathToFileURL(join(ROOT, 'node_modules', 'yaml', 'dist', 'index.js')).href)});y.parseDocument(require('fs').readFileSync(process.argv[1],'utf8'))` },
      { label: 'CloudFormation JSON', file: join(dir, 'estate.template.json'), text: `${JSON.stringify(template, null, 2)}\n`, floor: "JSON.parse(require('fs').readFileSync(process.argv[1],'utf8'))" },
      { label: 'Terraform plan JSON', file: join(dir, 'estate.plan.json'), text: JSON.stringify(iacPlan(IAC_KEYS)), floor: "JSON.parse(require('fs').readFileSync(process.argv[1],'utf8'))" },
    ];
    header(`3. infrastructure as code: ${IAC_KEYS} keys, ${IAC_KEYS} buckets and ${IAC_KEYS} bucket policies per file, whole process, ${IAC_RUNS} runs each interleaved with node -e 0 and the parse floor`);
    for (const f of files) {
      writeFileSync(f.file, f.text);
      const run = timeProcess([BIN, 'lint', '--format', 'json', f.file]);
      let summary;
      try {
        const results = JSON.parse(run.stdout.toString());
        const byRule = new Map();
        for (const m of results.flatMap((r) => r.messages)) byRule.set(m.ruleId, (byRule.get(m.ruleId) ?? 0) + 1);
        summary = `${results[0]?.kind}, ${[...byRule].sort().map(([k, v]) => `${k} ${v}`).join(', ') || 'no findings'}, exit ${run.status}`;
      } catch {
        summary = `unreadable output, exit ${run.status}: ${run.stderr.toString().slice(0, 300)}`;
      }
      const floorArgs = ['--input-type=module', '-e', `import {createRequire} from 'node:module';const require=createRequire(import.meta.url);${f.floor}`, f.file];
      const a = [];
      const b = [];
      const c = [];
      for (let i = 0; i < IAC_RUNS; i++) {
        b.push(timeProcess(empty).elapsed);
        a.push(timeProcess([BIN, 'lint', '--format', 'json', f.file]).elapsed);
        c.push(timeProcess(floorArgs).elapsed);
      }
      const sa = stats(a);
      const sb = stats(b);
      const sc = stats(c);
      console.log(`  ${f.label}: ${(f.text.length / MB).toFixed(2)} MB, ${summary}`);
      console.log(`    ${'kmslint lint'.padEnd(22)} median ${ms(sa.median)}  min ${ms(sa.min)}  p90 ${ms(sa.p90)}   ${(f.text.length / MB / (sa.median / 1000)).toFixed(1)} MB/s`);
      console.log(`    ${'floor: parse in node'.padEnd(22)} median ${ms(sc.median)}   kmslint / floor = ${(sa.median / sc.median).toFixed(2)}x`);
      console.log(`    ${'node -e 0'.padEnd(22)} median ${ms(sb.median)}   kmslint / node -e 0 = ${(sa.median / sb.median).toFixed(2)}x`);
    }
  }

  // ---------------------------------------------------------------------------------- 2. throughput
  const t0 = performance.now();
  const generate = makeGenerator(SEED);
  const corpus = Array.from({ length: POLICIES }, (_, i) => generate(i));
  const folder = join(tmp, 'policies');
  mkdirSync(folder, { recursive: true });
  // The CLI reads the same trust context from the folder's config file.
  writeFileSync(join(folder, 'kmslint.config.json'), JSON.stringify(TRUST));
  for (const p of corpus) writeFileSync(join(folder, p.name), p.bytes);
  const genMs = performance.now() - t0;

  const totalBytes = corpus.reduce((n, p) => n + p.bytes.length, 0);
  const totalMB = totalBytes / MB;
  const sizes = corpus.map((p) => p.bytes.length).sort((x, y) => x - y);
  const keys = corpus.filter((p) => p.kind === 'key-policy').length;
  const withMistake = corpus.filter((p) => p.mistake).length;
  const band = (lo, hi) => sizes.filter((s) => s >= lo * 1024 && s < hi * 1024).length;
  header(`2. throughput: ${fmt(POLICIES)} generated policies (seed ${SEED}; written in ${(genMs / 1000).toFixed(1)} s)`);
  console.log(`  corpus: ${totalMB.toFixed(1)} MB total, mean ${(totalBytes / POLICIES / 1024).toFixed(1)} KB, median ${(median(sizes) / 1024).toFixed(1)} KB, min ${(sizes[0] / 1024).toFixed(1)} KB, max ${(sizes[sizes.length - 1] / 1024).toFixed(1)} KB`);
  console.log(`          ${fmt(keys)} key policies, ${fmt(POLICIES - keys)} bucket policies; by size: <4 KB ${band(0, 4)}, 4-10 KB ${band(4, 10)}, 10-20 KB ${band(10, 20)}, >=20 KB ${band(20, 1e9)}`);
  console.log(`          ${fmt(withMistake)} (${((withMistake / POLICIES) * 100).toFixed(1)}%) seeded with one realistic mistake; the rest are meant to be clean`);

  // In-process linter: a bundle of src/engine/linter.ts with the options of scripts/build.mjs.
  const linterDir = join(tmp, 'linter');
  await bundleSource({ root: ROOT, outfile: join(linterDir, 'linter.mjs'), exports: ["export { lintText } from './src/engine/linter.ts';"] });
  const { lintText } = await import(pathToFileURL(join(linterDir, 'linter.mjs')).href);

  const texts = corpus.map((p) => p.text);
  const paths = corpus.map((p) => join('policies', p.name));
  const inputs = corpus.map((p) => p.bytes);
  let sink = 0;
  // Time per policy, split by whether it had findings: a file with something to report pays for momoa's
  // positioned parse (about ten times JSON.parse); a clean file never does.
  const split = { clean: { n: 0, ms: 0, bytes: 0 }, findings: { n: 0, ms: 0, bytes: 0 } };
  const lintPass = (count = POLICIES) => {
    let findings = 0;
    const cpu = process.cpuUsage();
    const t = performance.now();
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      const n = lintText(inputs[i], paths[i], { trust: TRUST }).findings.length;
      const bucket = n > 0 ? split.findings : split.clean;
      bucket.n++;
      bucket.ms += performance.now() - t0;
      bucket.bytes += inputs[i].length;
      findings += n;
    }
    const elapsed = performance.now() - t;
    const used = process.cpuUsage(cpu);
    sink += findings;
    return { elapsed, findings, cpu: (used.user + used.system) / 1000 };
  };
  const parsePass = (count = POLICIES) => {
    const t = performance.now();
    for (let i = 0; i < count; i++) sink += typeof JSON.parse(texts[i]) === 'object' ? 1 : 0;
    return { elapsed: performance.now() - t };
  };
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const decodeParsePass = () => {
    const t = performance.now();
    for (let i = 0; i < POLICIES; i++) sink += typeof JSON.parse(decoder.decode(inputs[i])) === 'object' ? 1 : 0;
    return { elapsed: performance.now() - t };
  };

  // Warm-up on a tenth of the corpus, then 3 timed passes of each, alternated.
  lintPass(Math.ceil(POLICIES / 10));
  parsePass(Math.ceil(POLICIES / 10));
  const lintTimes = [];
  const lintCpu = [];
  const parseTimes = [];
  const decodeTimes = [];
  let findingsPerPass = 0;
  for (let pass = 0; pass < 3; pass++) {
    const l = lintPass();
    lintTimes.push(l.elapsed);
    lintCpu.push(l.cpu);
    findingsPerPass = l.findings;
    parseTimes.push(parsePass().elapsed);
    decodeTimes.push(decodeParsePass().elapsed);
  }

  // What was found (outside the timed passes): by rule, and how many policies have any.
  const byRule = new Map();
  let policiesWithFindings = 0;
  let cleanWithFindings = 0;
  for (let i = 0; i < POLICIES; i++) {
    const { findings } = lintText(inputs[i], paths[i], { trust: TRUST });
    if (findings.length > 0) {
      policiesWithFindings++;
      if (!corpus[i].mistake) cleanWithFindings++;
    }
    for (const f of findings) byRule.set(`${f.ruleId}/${f.severity}`, (byRule.get(`${f.ruleId}/${f.severity}`) ?? 0) + 1);
  }

  const rate = (elapsedMs) => ({ pps: POLICIES / (elapsedMs / 1000), mbps: totalMB / (elapsedMs / 1000) });
  const lm = median(lintTimes);
  const pm = median(parseTimes);
  const dm = median(decodeTimes);
  const lr = rate(lm);
  const pr = rate(pm);
  const dr = rate(dm);
  console.log(`  findings: ${fmt(findingsPerPass)} in ${fmt(policiesWithFindings)} policies (${fmt(cleanWithFindings)} of them without a seeded mistake); ${[...byRule].sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`  (a) in process, lintText(bytes) over the corpus in memory, median of 3 passes (wall ${lintTimes.map((t) => (t / 1000).toFixed(2)).join(' / ')} s; CPU ${lintCpu.map((t) => (t / 1000).toFixed(2)).join(' / ')} s, GC threads included):`);
  console.log(`      lintText                     ${fmt(lr.pps).padStart(8)} policies/s  ${lr.mbps.toFixed(1).padStart(7)} MB/s   (${(lm / 1000).toFixed(2)} s; ${((lm * 1000) / POLICIES).toFixed(0)} us/policy)   goal: >= ${fmt(THROUGHPUT_GOAL)} policies/s`);
  console.log(`      floor: JSON.parse(text)      ${fmt(pr.pps).padStart(8)} policies/s  ${pr.mbps.toFixed(1).padStart(7)} MB/s   (${(pm / 1000).toFixed(2)} s)   lintText / JSON.parse = ${(lm / pm).toFixed(1)}x the time`);
  console.log(`      (ref: UTF-8 decode + parse   ${fmt(dr.pps).padStart(8)} policies/s  ${dr.mbps.toFixed(1).padStart(7)} MB/s   (${(dm / 1000).toFixed(2)} s)   lintText / decode+parse = ${(lm / dm).toFixed(1)}x)`);
  for (const [label, bucket] of [['policies without findings', split.clean], ['policies with findings   ', split.findings]]) {
    if (bucket.n === 0) continue;
    console.log(`      ${label}   ${fmt(Math.round(bucket.n / (bucket.ms / 1000))).padStart(8)} policies/s  ${(bucket.bytes / 1e6 / (bucket.ms / 1000)).toFixed(1).padStart(7)} MB/s   (${bucket.n} timed, ${((bucket.ms * 1000) / bucket.n).toFixed(0)} us/policy; all passes)`);
  }

  // Whole CLI over the folder, one process, JSON report to a file.
  const cliRuns = [];
  let cliStatus;
  let cliResults;
  const outFile = join(tmp, 'report.json');
  const cliCount = Number(process.env.KMSLINT_BENCH_CLI_RUNS ?? 3);
  for (let i = 0; i < cliCount; i++) {
    const fd = openSync(outFile, 'w');
    try {
      const run = timeProcess([BIN, 'lint', '--format', 'json', folder], ['ignore', fd, 'pipe']);
      cliRuns.push(run.elapsed);
      cliStatus = run.status;
      if (run.status === 2) console.log(`  CLI failed: ${run.stderr.toString().slice(0, 500)}`);
    } finally {
      closeSync(fd);
    }
  }
  try {
    cliResults = JSON.parse(readFileSync(outFile, 'utf8')).length;
  } catch {
    cliResults = -1;
  }
  const cm = median(cliRuns);
  const cr = rate(cm);
  console.log(`  (b) whole CLI: node bin/kmslint.js lint --format json <folder> > file, median of ${cliRuns.length} runs (${cliRuns.map((t) => (t / 1000).toFixed(2)).join(' / ')} s; exit ${cliStatus}; ${fmt(cliResults)} results, report ${(readFileSync(outFile).length / MB).toFixed(1)} MB):`);
  console.log(`      CLI                          ${fmt(cr.pps).padStart(8)} policies/s  ${cr.mbps.toFixed(1).padStart(7)} MB/s   (${(cm / 1000).toFixed(2)} s, start-up included)   goal: >= ${fmt(THROUGHPUT_GOAL)} policies/s`);

  console.log(`\nload average at end: ${loadavg()}; bench time: ${((performance.now() - benchStart) / 1000).toFixed(1)} s`);
  // (sink keeps the timed loops' results observable, so that nothing in them can be optimized away)
  if (sink === -1) console.log(sink);
}

try {
  await main();
} finally {
  if (process.env.KMSLINT_BENCH_KEEP === '1') console.log(`kept: ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
