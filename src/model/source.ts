/**
 * Turning the bytes of a file into text we can parse, or into a reason we cannot.
 *
 * Pure: takes bytes, returns text or a problem. The caller (src/sources) does the reading.
 */

/**
 * Files larger than this are not parsed. No policy comes close (KMS 32 KB, S3 20 KB) and no CloudFormation
 * template either (1 MB from S3); Terraform plans of large configurations run to tens of megabytes.
 */
export const MAX_SOURCE_FILE_BYTES = 64 * 1024 * 1024;

export type DecodedSource =
  | { ok: true; text: string; hadBom: boolean; bytes: number }
  | { ok: false; reason: "binary" | "not-utf8" | "too-large"; message: string; bytes: number; line: number; column: number };

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decode UTF-8 bytes; binary (a NUL byte) and invalid UTF-8 are reported with the position of the first bad byte. */
export function decodeSource(bytes: Uint8Array): DecodedSource {
  const size = bytes.byteLength;
  if (size > MAX_SOURCE_FILE_BYTES) {
    return {
      ok: false,
      reason: "too-large",
      message: tooLargeMessage(size),
      bytes: size,
      line: 1,
      column: 1,
    };
  }
  const nul = bytes.indexOf(0);
  if (nul !== -1) {
    const { line, column } = lineColumnOfByte(bytes, nul);
    return {
      ok: false,
      reason: "binary",
      message: `File contains a NUL byte at offset ${nul}: it is binary, not a JSON policy.`,
      bytes: size,
      line,
      column,
    };
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const { line, column } = lineColumnOfByte(bytes, bad);
    return {
      ok: false,
      reason: "not-utf8",
      message: `File is not valid UTF-8 (byte 0x${(bytes[bad] ?? 0).toString(16).padStart(2, "0")} at offset ${bad}). AWS policies are UTF-8 JSON; re-save the file as UTF-8.`,
      bytes: size,
      line,
      column,
    };
  }
  // None of the JSON parsers accept a byte order mark; editors do not count it as a column.
  const hadBom = text.charCodeAt(0) === 0xfeff;
  return { ok: true, text: hadBom ? text.slice(1) : text, hadBom, bytes: size };
}

export function tooLargeMessage(size: number): string {
  return `File is ${size.toLocaleString("en-US")} bytes, over the ${MAX_SOURCE_FILE_BYTES.toLocaleString("en-US")} bytes (64 MB) kmslint reads; no key policy (32,768 bytes), bucket policy (20,480 bytes) or CloudFormation template (1 MB) can be that large. It was not parsed.`;
}


/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let need: number;
    if (b < 0x80) need = 0;
    else if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) need = 2;
    else if (b >= 0xf0 && b <= 0xf4) need = 3;
    else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    i += need + 1;
  }
  return Math.max(0, bytes.length - 1);
}

/** 1-based line and column (in characters, counting a multi-byte sequence once) of a byte offset. */
function lineColumnOfByte(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let column = 1;
  for (let i = 0; i < offset && i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x0a) {
      line++;
      column = 1;
    } else if ((b & 0xc0) !== 0x80 && b !== 0x0d) {
      column++;
    }
  }
  return { line, column };
}
