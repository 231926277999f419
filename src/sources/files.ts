/**
 * Files on disk: expanding the paths on the command line into files, and reading each one. Folders are
 * searched recursively for `*.json` (policies, CloudFormation templates, Terraform plans; kmslint's own config
 * file aside), `*.yaml`, `*.yml` and `*.template` (CloudFormation); `node_modules` and `.git` are never entered.
 * What a file is, is decided by its content (src/cli/lint-task.ts), not by its name.
 */
import { closeSync, openSync, readdirSync, readSync, realpathSync, statSync, fstatSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import picomatch from "picomatch";
import { createDocument, oversizedDocument, unreadableDocument, type PolicyDocument } from "../model/document.js";
import { MAX_SOURCE_FILE_BYTES } from "../model/source.js";
import { CONFIG_FILE_NAME } from "../engine/config.js";

export interface FoundFile {
  /** As given or found (relative paths stay relative to the working directory). */
  path: string;
  /** Named on the command line, as opposed to found inside a folder. */
  explicit: boolean;
}

export interface Expansion {
  files: FoundFile[];
  /** Paths on the command line that do not exist (a usage error). */
  missing: string[];
}

/** The files looked at inside folders. */
const SOURCE_FILE = /\.(json|ya?ml|template)$/i;

const SKIPPED_DIRECTORIES = new Set(["node_modules", ".git", ".hg", ".svn"]);

export type IgnoreTest = (absolutePath: string) => boolean;

/** Builds the ignore test for patterns relative to `base` (a config file's folder). */
export function ignoreMatcher(patterns: readonly string[], base: string): IgnoreTest {
  if (patterns.length === 0) return () => false;
  const match = picomatch(patterns as string[], { dot: true });
  return (absolutePath) => {
    const rel = relative(base, absolutePath).split(sep).join("/");
    if (rel.startsWith("..")) return false;
    // A folder pattern ("fixtures" or "fixtures/") ignores everything below it too.
    const parts = rel.split("/");
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join("/");
      if (match(prefix) || match(`${prefix}/`)) return true;
    }
    return false;
  };
}

/**
 * Expands files and folders, in the order given, each file once. `ignoredFor` gives the ignore test of the
 * config that applies to a path; explicitly named files are linted even when a pattern matches them.
 */
export function expandPaths(paths: readonly string[], ignoredFor: (absolutePath: string) => boolean): Expansion {
  const files: FoundFile[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  // Files found in folders are keyed by their folder's real path (walk resolves it once per folder);
  // only paths named on the command line pay for a realpath of their own.
  const add = (path: string, explicit: boolean, realKey?: string) => {
    let key = realKey;
    if (key === undefined) {
      try {
        key = realpathSync(path);
      } catch {
        key = resolve(path);
      }
    }
    if (seen.has(key)) return;
    seen.add(key);
    files.push({ path, explicit });
  };
  for (const path of paths) {
    let stats;
    try {
      stats = statSync(path);
    } catch {
      missing.push(path);
      continue;
    }
    if (stats.isDirectory()) walk(path, add, ignoredFor, new Set());
    else add(path, true);
  }
  return { files, missing };
}

function walk(directory: string, add: (path: string, explicit: boolean, realKey?: string) => void, ignoredFor: (p: string) => boolean, visited: Set<string>): void {
  let real: string;
  try {
    real = realpathSync(directory);
  } catch {
    return;
  }
  if (visited.has(real)) return; // a symbolic link loop
  visited.add(real);
  let entries;
  try {
    entries = readdirSync(directory, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (ignoredFor(resolve(path))) continue;
    let isDirectory = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      try {
        const target = statSync(path);
        isDirectory = target.isDirectory();
        isFile = target.isFile();
      } catch {
        continue; // a broken link
      }
    }
    if (isDirectory) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) walk(path, add, ignoredFor, visited);
    } else if (isFile && SOURCE_FILE.test(entry.name) && entry.name !== CONFIG_FILE_NAME) {
      add(path, false, entry.isSymbolicLink() ? undefined : join(real, entry.name));
    }
  }
}

/** Reads a file into a document; never throws (an unreadable or oversized file becomes a document with a problem). */
export function readDocument(path: string): PolicyDocument {
  const read = readSource(path);
  return "bytes" in read ? createDocument(read.bytes, path) : read.document;
}

/** Reads a file's bytes; an unreadable or oversized file becomes a document with a problem instead. Never throws. */
export function readSource(path: string): { bytes: Uint8Array } | { document: PolicyDocument } {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const size = fstatSync(fd).size;
    if (size > MAX_SOURCE_FILE_BYTES) return { document: oversizedDocument(path, size) };
    const buffer = Buffer.allocUnsafe(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, buffer, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return { bytes: buffer.subarray(0, read) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { document: unreadableDocument(path, code ? `${code}` : String(error)) };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
